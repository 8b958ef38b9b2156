/* netns.c: netns_wire() and netns_unwire(): enter the namespace, read, make, undo. */
#include "netns/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/nsfs.h>
#include <netlink/errno.h>

#include "common/err.h"
#include "common/log.h"
#include "netns/internal.h"

int netns_nl_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

/* Open the namespace file at `path`: a descriptor, -ENOENT (or another
 * -errno of open()), or -EINVAL when it is not a network namespace. */
static int ns_open(const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO given by mistake must not hang the runtime. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return hy_err(err, errlen, -errno, "netns: %s: %s", path, strerror(errno));
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return hy_err(err, errlen, -EINVAL, "netns: %s: not a network namespace", path);
	}
	return fd;
}

/*
 * Switch the calling thread into the network namespace `fd` (closed here);
 * *saved gets a descriptor of the one it was in, for ns_leave().
 */
static int ns_enter(int fd, const char *path, int *saved, char *err, size_t errlen)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), rc = 0;

	if (self < 0)
		rc = hy_err(err, errlen, -errno, "netns: /proc/thread-self/ns/net: %s",
			    strerror(errno));
	else if (setns(fd, CLONE_NEWNET) < 0)
		rc = hy_err(err, errlen, -errno, "netns: %s: setns: %s", path, strerror(errno));
	close(fd);
	if (rc < 0 && self >= 0)
		close(self);
	if (rc == 0)
		*saved = self;
	return rc;
}

/*
 * Back to the namespace ns_enter() saved. If that fails the thread is stuck
 * in the container's namespace, where whatever the runtime does next (its
 * own sockets, the VMM it starts, the next container) would quietly happen:
 * there is no safe way on, so this aborts with a message, the one place this
 * layer prints.
 */
static void ns_leave(int saved)
{
	if (setns(saved, CLONE_NEWNET) < 0) {
		log_error("netns: cannot return to the runtime's network namespace: %s",
			  strerror(errno));
		abort();
	}
	close(saved);
}

static int nl_open(struct nl_sock **skp, const char *path, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk)
		return hy_err(err, errlen, -ENOMEM, "netns: %s: netlink socket: %s", path,
			      strerror(ENOMEM));
	/* Bound to the namespace the thread is in now: the container's. */
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return hy_err(err, errlen, netns_nl_errno(rc), "netns: %s: netlink socket: %s",
			      path, nl_geterror(rc));
	}
	*skp = sk;
	return 0;
}

static void wiring_init(struct netns_wiring *w)
{
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < NETNS_MAX_IFACES; i++)
		w->ifaces[i].tap_fd = -1;
}

static void close_taps(struct netns_wiring *w)
{
	for (size_t i = 0; i < w->nr; i++)
		if (w->ifaces[i].tap_fd >= 0) {
			close(w->ifaces[i].tap_fd);
			w->ifaces[i].tap_fd = -1;
		}
}

/*
 * Inside the namespace: remove what w says was made, clearing each part
 * once it is gone (ingress_added, tap). First the veths' qdiscs, so no more
 * frames go toward the taps; then the taps (closing our descriptors already
 * removed a tap no one else holds).
 */
static int undo(struct nl_sock *sk, struct netns_wiring *w, char *err, size_t errlen)
{
	int first = 0, rc, ifindex;

	close_taps(w);
	for (size_t i = 0; i < w->nr; i++) {
		struct netns_iface *ifc = &w->ifaces[i];

		if (!ifc->ingress_added)
			continue;
		rc = netns_link_ifindex(sk, ifc->name, &ifindex);
		if (rc == 0)
			rc = netns_tc_ingress_delete(sk, ifindex);
		if (rc == 0 || rc == -ENODEV)
			ifc->ingress_added = false;
		else if (!first)
			first = hy_err(err, errlen, rc, "netns: %s: delete ingress qdisc: %s",
				       ifc->name, strerror(-rc));
	}
	for (size_t i = 0; i < w->nr; i++) {
		struct netns_iface *ifc = &w->ifaces[i];

		if (!ifc->tap[0])
			continue;
		rc = netns_tap_delete(sk, ifc->tap);
		if (rc == 0)
			ifc->tap[0] = '\0';
		else if (!first)
			first = hy_err(err, errlen, rc, "netns: %s: delete tap %s: %s", ifc->name,
				       ifc->tap, strerror(-rc));
	}
	return first;
}

/* Make interface i's tap and the redirect both ways. */
static int wire_one(struct nl_sock *sk, struct netns_iface *ifc, unsigned i, int ifindex, char *err,
		    size_t errlen)
{
	char tap[IF_NAMESIZE];
	int tap_ifindex, rc;

	snprintf(tap, sizeof(tap), NETNS_TAP_PREFIX "%u", i);
	rc = netns_tap_make(sk, ifc, tap, &tap_ifindex, err, errlen);
	if (rc < 0)
		return rc;
	rc = netns_tc_ingress_add(sk, ifc->name, ifc->name, ifindex, err, errlen);
	if (rc < 0)
		return rc;
	ifc->ingress_added = true;
	rc = netns_tc_ingress_add(sk, ifc->name, tap, tap_ifindex, err, errlen);
	if (rc < 0)
		return rc;
	rc = netns_tc_redirect(sk, ifc->name, ifc->name, ifindex, tap, tap_ifindex, err, errlen);
	if (rc < 0)
		return rc;
	return netns_tc_redirect(sk, ifc->name, tap, tap_ifindex, ifc->name, ifindex, err, errlen);
}

int netns_wire(const char *path, struct netns_wiring *w, char *err, size_t errlen)
{
	int ifindex[NETNS_MAX_IFACES];
	struct nl_sock *sk;
	int saved, rc;

	wiring_init(w);
	rc = ns_open(path, err, errlen);
	if (rc >= 0)
		rc = ns_enter(rc, path, &saved, err, errlen);
	if (rc < 0)
		return rc;
	rc = nl_open(&sk, path, err, errlen);
	if (rc < 0) {
		ns_leave(saved);
		return rc;
	}
	rc = netns_link_read(sk, path, w, ifindex, err, errlen);
	for (size_t i = 0; rc == 0 && i < w->nr; i++)
		rc = wire_one(sk, &w->ifaces[i], i, ifindex[i], err, errlen);
	if (rc < 0) {
		/* err keeps the first failure; what undo cannot remove is lost
		 * with it (a qdisc left on a veth is refused, loudly, by the
		 * next netns_wire()). */
		undo(sk, w, NULL, 0);
		wiring_init(w);
	}
	nl_socket_free(sk);
	ns_leave(saved);
	return rc;
}

int netns_unwire(const char *path, struct netns_wiring *w, char *err, size_t errlen)
{
	struct nl_sock *sk;
	int saved, rc;

	if (w->nr > NETNS_MAX_IFACES)
		return hy_err(err, errlen, -EINVAL, "netns: %s: %zu interfaces, at most %d", path,
			      w->nr, NETNS_MAX_IFACES);
	for (size_t i = 0; i < w->nr; i++)
		if (!memchr(w->ifaces[i].name, '\0', IF_NAMESIZE) ||
		    !memchr(w->ifaces[i].tap, '\0', IF_NAMESIZE))
			return hy_err(err, errlen, -EINVAL, "netns: %s: interface %zu: bad name",
				      path, i);
	close_taps(w);
	rc = ns_open(path, err, errlen);
	if (rc == -ENOENT || rc == -EINVAL) {
		/* The engine removed the namespace (and all that was in it),
		 * or its file is an empty mount point now. */
		for (size_t i = 0; i < w->nr; i++) {
			w->ifaces[i].ingress_added = false;
			w->ifaces[i].tap[0] = '\0';
		}
		if (err && errlen)
			err[0] = '\0';
		return 0;
	}
	if (rc >= 0)
		rc = ns_enter(rc, path, &saved, err, errlen);
	if (rc < 0)
		return rc;
	rc = nl_open(&sk, path, err, errlen);
	if (rc == 0) {
		rc = undo(sk, w, err, errlen);
		nl_socket_free(sk);
	}
	ns_leave(saved);
	return rc;
}
