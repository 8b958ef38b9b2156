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
 * Open and enter the namespace at `path`, and a netlink socket in it; leave()
 * undoes both.
 */
static int enter_path(const char *path, int *saved, struct nl_sock **sk, char *err, size_t errlen)
{
	int rc = ns_open(path, err, errlen);

	if (rc >= 0)
		rc = ns_enter(rc, path, saved, err, errlen);
	if (rc < 0)
		return rc;
	rc = nl_open(sk, path, err, errlen);
	if (rc < 0)
		ns_leave(*saved);
	return rc;
}

static void leave(int saved, struct nl_sock *sk)
{
	nl_socket_free(sk);
	ns_leave(saved);
}

/* Delete the ingress qdisc of the link `dev`: 0 when done or when the link is gone. */
static int ingress_delete(struct nl_sock *sk, const char *dev)
{
	int ifindex, rc = netns_link_ifindex(sk, dev, &ifindex);

	if (rc == 0)
		rc = netns_tc_ingress_delete(sk, ifindex);
	return rc == -ENODEV ? 0 : rc;
}

/*
 * Remove the ingress qdiscs (their filters with them) that w says were
 * added on the interfaces, clearing ingress_added. Undoing starts here, so
 * that no more frames go toward the taps.
 */
static int undo_ingress(struct nl_sock *sk, struct netns_wiring *w, char *err, size_t errlen)
{
	int first = 0, rc;

	for (size_t i = 0; i < w->nr; i++) {
		struct netns_iface *ifc = &w->ifaces[i];

		if (!ifc->ingress_added)
			continue;
		rc = ingress_delete(sk, ifc->name);
		if (rc == 0)
			ifc->ingress_added = false;
		else if (!first)
			first = hy_err(err, errlen, rc, "netns: %s: delete ingress qdisc: %s",
				       ifc->name, strerror(-rc));
	}
	return first;
}

/*
 * Inside the namespace: remove what w says was made, clearing each part
 * once it is gone (ingress_added, tap): the interfaces' qdiscs, then the
 * taps (closing our descriptors already removed a tap no one else holds).
 */
static int undo(struct nl_sock *sk, struct netns_wiring *w, char *err, size_t errlen)
{
	int first, rc;

	close_taps(w);
	first = undo_ingress(sk, w, err, errlen);
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

/*
 * undo() for netns_wire_standby(), after a failure err already names: the
 * taps are hyrun-vmm's standby NICs and stay. Each one it brought up (tap
 * set) loses its ingress qdisc and filter and goes back down, as
 * netns_standby_make() left it, so that a later try starts from the same.
 */
static void undo_standby(struct nl_sock *sk, struct netns_wiring *w)
{
	undo_ingress(sk, w, NULL, 0);
	for (size_t i = 0; i < w->nr; i++) {
		struct netns_iface *ifc = &w->ifaces[i];

		if (!ifc->tap[0])
			continue;
		/* Its ingress qdisc can only be ours: the tap was made in a
		 * namespace of the runtime's own, before the engine came. */
		ingress_delete(sk, ifc->tap);
		netns_tap_set(sk, ifc->name, ifc->tap, 0, false, NULL, NULL, 0);
	}
}

/* Join interface ifc and its tap, up already: an ingress qdisc on each, a redirect each way. */
static int join(struct nl_sock *sk, struct netns_iface *ifc, int ifindex, int tap_ifindex,
		char *err, size_t errlen)
{
	int rc = netns_tc_ingress_add(sk, ifc->name, ifc->name, ifindex, err, errlen);

	if (rc < 0)
		return rc;
	ifc->ingress_added = true;
	rc = netns_tc_ingress_add(sk, ifc->name, ifc->tap, tap_ifindex, err, errlen);
	if (rc < 0)
		return rc;
	rc = netns_tc_redirect(sk, ifc->name, ifc->name, ifindex, ifc->tap, tap_ifindex, err,
			       errlen);
	if (rc < 0)
		return rc;
	return netns_tc_redirect(sk, ifc->name, ifc->tap, tap_ifindex, ifc->name, ifindex, err,
				 errlen);
}

/* Make interface i's tap and the redirect both ways. */
static int wire_one(struct nl_sock *sk, struct netns_iface *ifc, size_t i, int ifindex, char *err,
		    size_t errlen)
{
	char tap[IF_NAMESIZE];
	int tap_ifindex, rc;

	snprintf(tap, sizeof(tap), NETNS_TAP_PREFIX "%u", (unsigned)i);
	rc = netns_tap_make(sk, ifc, tap, &tap_ifindex, err, errlen);
	return rc < 0 ? rc : join(sk, ifc, ifindex, tap_ifindex, err, errlen);
}

int netns_wire(const char *path, struct netns_wiring *w, char *err, size_t errlen)
{
	int ifindex[NETNS_MAX_IFACES];
	struct nl_sock *sk;
	size_t found;
	int saved, rc;

	wiring_init(w);
	rc = enter_path(path, &saved, &sk, err, errlen);
	if (rc < 0)
		return rc;
	rc = netns_link_read(sk, path, w, ifindex, &found, err, errlen);
	for (size_t i = 0; rc == 0 && i < w->nr; i++)
		rc = wire_one(sk, &w->ifaces[i], i, ifindex[i], err, errlen);
	if (rc < 0) {
		/* err keeps the first failure; what undo cannot remove is lost
		 * with it (a qdisc left on a veth is refused, loudly, by the
		 * next netns_wire()). */
		undo(sk, w, NULL, 0);
		wiring_init(w);
	}
	leave(saved, sk);
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

/* In the new namespace: the taps NETNS_TAP_PREFIX "0".."nr-1", down, into w. */
static int make_standby_taps(size_t nr, struct netns_wiring *w, char *err, size_t errlen)
{
	for (size_t i = 0; i < nr; i++) {
		struct netns_iface *ifc = &w->ifaces[i];
		char tap[IF_NAMESIZE];
		int fd;

		snprintf(tap, sizeof(tap), NETNS_TAP_PREFIX "%u", (unsigned)i);
		fd = netns_tap_open("standby", tap, err, errlen);
		if (fd < 0)
			return fd;
		snprintf(ifc->tap, sizeof(ifc->tap), "%s", tap);
		ifc->tap_fd = fd;
		w->nr = i + 1;
	}
	return 0;
}

int netns_standby_make(size_t nr, int *nsfd, struct netns_wiring *w, char *err, size_t errlen)
{
	int saved, fd, rc;

	wiring_init(w);
	*nsfd = -1;
	if (nr < 1 || nr > NETNS_MAX_IFACES)
		return hy_err(err, errlen, -EINVAL, "netns: standby: %zu NICs, 1 to %d wanted", nr,
			      NETNS_MAX_IFACES);
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return hy_err(err, errlen, -errno, "netns: standby: /proc/thread-self/ns/net: %s",
			      strerror(errno));
	/* unshare() moves this thread only, and ns_leave() brings it back; the
	 * new namespace lives on through fd (and the taps' descriptors). */
	if (unshare(CLONE_NEWNET) < 0) {
		rc = hy_err(err, errlen, -errno, "netns: standby: new network namespace: %s",
			    strerror(errno));
		close(saved);
		return rc;
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	rc = fd < 0 ? hy_err(err, errlen, -errno,
			     "netns: standby: /proc/thread-self/ns/net in the new namespace: %s",
			     strerror(errno))
		    : make_standby_taps(nr, w, err, errlen);
	ns_leave(saved);
	if (rc < 0) {
		/* With the last reference the namespace goes, and the taps
		 * with their descriptors. */
		close_taps(w);
		wiring_init(w);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	*nsfd = fd;
	return 0;
}

/* Interface i to standby tap i, there already: its MTU, up, joined. */
static int wire_standby_one(struct nl_sock *sk, struct netns_iface *ifc, size_t i, int ifindex,
			    char *err, size_t errlen)
{
	char tap[IF_NAMESIZE];
	int tap_ifindex, rc;

	snprintf(tap, sizeof(tap), NETNS_TAP_PREFIX "%u", (unsigned)i);
	rc = netns_tap_set(sk, ifc->name, tap, ifc->mtu, true, &tap_ifindex, err, errlen);
	if (rc < 0)
		return rc;
	/* Up now: from here undo_standby() puts it back down. */
	snprintf(ifc->tap, sizeof(ifc->tap), "%s", tap);
	return join(sk, ifc, ifindex, tap_ifindex, err, errlen);
}

int netns_wire_standby(const char *path, size_t nr_standby, struct netns_wiring *w, char *err,
		       size_t errlen)
{
	int ifindex[NETNS_MAX_IFACES];
	struct nl_sock *sk;
	size_t found;
	int saved, rc;

	wiring_init(w);
	rc = enter_path(path, &saved, &sk, err, errlen);
	if (rc < 0)
		return rc;
	rc = netns_link_read(sk, path, w, ifindex, &found, err, errlen);
	/* The VM's NICs were fixed at boot: an interface too many is the
	 * problem to report, whatever else reading them found. */
	if (found > nr_standby)
		rc = hy_err(err, errlen, -E2BIG,
			    "netns: %s: %zu interfaces appeared after create (Ethernet, up), but "
			    "the VM has %zu standby NIC%s to take them",
			    path, found, nr_standby, nr_standby == 1 ? "" : "s");
	for (size_t i = 0; rc == 0 && i < w->nr; i++)
		rc = wire_standby_one(sk, &w->ifaces[i], i, ifindex[i], err, errlen);
	if (rc < 0) {
		undo_standby(sk, w);
		wiring_init(w);
	}
	leave(saved, sk);
	return rc;
}

int netns_unwire_standby(const char *path, struct netns_wiring *w, char *err, size_t errlen)
{
	struct nl_sock *sk;
	int saved, rc;

	if (w->nr > NETNS_MAX_IFACES)
		return hy_err(err, errlen, -EINVAL, "netns: %s: %zu interfaces, at most %d", path,
			      w->nr, NETNS_MAX_IFACES);
	rc = enter_path(path, &saved, &sk, err, errlen);
	if (rc == -ENOENT || rc == -EINVAL) {
		/* The VMM ended: its namespace went, and all that was in it. */
		wiring_init(w);
		return 0;
	}
	if (rc < 0)
		return rc;
	undo_standby(sk, w);
	wiring_init(w);
	leave(saved, sk);
	return 0;
}
