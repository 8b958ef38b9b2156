/* console.c: openpty + SCM_RIGHTS of the master to the console socket. */
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int console_send_pty(const char *socket_path, char *err, size_t errlen)
{
	int master = -1, slave = -1, sock = -1, r;
	char name[64];

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0) {
		r = hy_err(err, errlen, errno ? -errno : -EIO, "allocating a pty: %s",
			   strerror(errno));
		goto fail;
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		r = hy_err(err, errlen, -errno, "open '%s': %s", name, strerror(errno));
		goto fail;
	}
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
