/* console.c: openpty + SCM_RIGHTS of the master to the console socket. */
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/err.h"
#include "runtime/runtime.h"

int console_send_fd(int sock, const char *name, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* connect() to a path that may be longer than sun_path, through its directory's fd. */
static int connect_path(int sock, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char *copy, *dir, *base;
	int dfd, r;

	if (strlen(path) < sizeof(addr.sun_path)) {
		strcpy(addr.sun_path, path);
		return connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
	}
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (dfd < 0)
		return -errno;
	copy = strdup(path);
	if (!copy) {
		close(dfd);
		return -ENOMEM;
	}
	base = basename(copy);
	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dfd, base) >=
	    (int)sizeof(addr.sun_path)) {
		r = -ENAMETOOLONG;
	} else {
		r = connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
	}
	free(copy);
	close(dfd);
	return r;
}

/* A pty pair: the slave's fd, the master in *master and the slave's name in
 * name; or a negative errno with err set and nothing open. */
static int open_pty(int *master, char *name, size_t namelen, char *err, size_t errlen)
{
	int m, slave, r;

	errno = 0;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, namelen) != 0) {
		r = hy_err(err, errlen, errno ? -errno : -EIO, "allocating a pty: %s",
			   strerror(errno ? errno : EIO));
		if (m >= 0)
			close(m);
		return r;
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		r = hy_err(err, errlen, -errno, "open '%s': %s", name, strerror(errno));
		close(m);
		return r;
	}
	*master = m;
	return slave;
}

int console_copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) < 0 || ioctl(to, TIOCSWINSZ, &ws) < 0)
		return -errno;
	return 0;
}

int console_open_pty(int *master, int size_from, char *err, size_t errlen)
{
	char name[64];
	int slave = open_pty(master, name, sizeof(name), err, errlen);

	/* A size that cannot be copied leaves the pty's own (0x0), as a
	 * caller without a terminal has. */
	if (slave >= 0 && size_from >= 0)
		console_copy_winsize(size_from, *master);
	return slave;
}

int console_send_pty(const char *socket_path, char *err, size_t errlen)
{
	int master = -1, slave, sock = -1, r;
	char name[64];

	slave = open_pty(&master, name, sizeof(name), err, errlen);
	if (slave < 0)
		return slave;
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		r = hy_err(err, errlen, -errno, "socket: %s", strerror(errno));
		goto fail;
	}
	if ((r = connect_path(sock, socket_path)) < 0) {
		r = hy_err(err, errlen, r, "--console-socket '%s': %s", socket_path, strerror(-r));
		goto fail;
	}
	if ((r = console_send_fd(sock, name, master)) < 0) {
		r = hy_err(err, errlen, r, "--console-socket '%s': sending the pty: %s",
			   socket_path, strerror(-r));
		goto fail;
	}
	close(sock);
	close(master);
	return slave;
fail:
	if (sock >= 0)
		close(sock);
	if (slave >= 0)
		close(slave);
	if (master >= 0)
		close(master);
	return r;
}
