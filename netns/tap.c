/* tap.c: the tap made next to each interface, toward hyrun-vmm. */
#include "netns/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <netlink/route/link.h>

#include "common/err.h"
#include "netns/internal.h"

int netns_tap_open(const char *iface, const char *tap, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int fd, rc;

	/* The device is made in the namespace of the thread that opens
	 * /dev/net/tun, so this runs inside the container's. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "netns: %s: open /dev/net/tun: %s", iface,
			      strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	/* IFF_TUN_EXCL (0x8000, the sign bit of ifr_flags): an existing device
	 * by this name is refused (EBUSY) instead of attached to. Not
	 * persistent: the tap goes away with its last descriptor, so a runtime
	 * or VMM that dies leaves none behind. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = errno == EBUSY
			 ? hy_err(err, errlen, -EEXIST,
				  "netns: %s: make tap %s: a link by that name exists", iface, tap)
			 : hy_err(err, errlen, -errno, "netns: %s: make tap %s: %s", iface, tap,
				  strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

/* The tap `tap` (a link of kind "tun"): 0, -ENODEV when there is none by that name. */
static int tap_get(struct nl_sock *sk, const char *iface, const char *tap, struct rtnl_link **linkp,
		   char *err, size_t errlen)
{
	const char *type;
	int rc = rtnl_link_get_kernel(sk, 0, tap, linkp);

	if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
		return hy_err(err, errlen, -ENODEV, "netns: %s: find tap %s: no link by that name",
			      iface, tap);
	if (rc < 0)
		return hy_err(err, errlen, netns_nl_errno(rc), "netns: %s: find tap %s: %s", iface,
			      tap, nl_geterror(rc));
	type = rtnl_link_get_type(*linkp);
	if (!type || strcmp(type, "tun") != 0) {
		rtnl_link_put(*linkp);
		return hy_err(err, errlen, -ENODEV,
			      "netns: %s: find tap %s: the link by that name is not a tap", iface,
			      tap);
	}
	return 0;
}

int netns_tap_set(struct nl_sock *sk, const char *iface, const char *tap, uint32_t mtu, bool up,
		  int *tap_ifindex, char *err, size_t errlen)
{
	struct rtnl_link *link, *change;
	int rc = tap_get(sk, iface, tap, &link, err, errlen);

	if (rc < 0)
		return rc;
	change = rtnl_link_alloc();
	rc = -NLE_NOMEM;
	if (change) {
		if (mtu)
			rtnl_link_set_mtu(change, mtu);
		if (up)
			rtnl_link_set_flags(change, IFF_UP);
		else
			rtnl_link_unset_flags(change, IFF_UP);
		rc = rtnl_link_change(sk, link, change, 0);
		rtnl_link_put(change);
	}
	if (tap_ifindex)
		*tap_ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	if (rc < 0)
		return hy_err(err, errlen, netns_nl_errno(rc),
			      "netns: %s: set tap %s %s, mtu %u: %s", iface, tap,
			      up ? "up" : "down", mtu, nl_geterror(rc));
	return 0;
}

int netns_tap_make(struct nl_sock *sk, struct netns_iface *ifc, const char *tap, int *tap_ifindex,
		   char *err, size_t errlen)
{
	int fd = netns_tap_open(ifc->name, tap, err, errlen);

	if (fd < 0)
		return fd;
	snprintf(ifc->tap, sizeof(ifc->tap), "%s", tap);
	ifc->tap_fd = fd;
	return netns_tap_set(sk, ifc->name, tap, ifc->mtu, true, tap_ifindex, err, errlen);
}

int netns_tap_delete(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link;
	const char *type;
	int rc = rtnl_link_get_kernel(sk, 0, name, &link);

	if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
		return 0;
	if (rc < 0)
		return netns_nl_errno(rc);
	/* Only a tun/tap device: a link that took the name since is not ours. */
	type = rtnl_link_get_type(link);
	rc = type && strcmp(type, "tun") == 0 ? rtnl_link_delete(sk, link) : 0;
	rtnl_link_put(link);
	if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
		return 0;
	return rc < 0 ? netns_nl_errno(rc) : 0;
}
