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

int netns_tap_make(struct nl_sock *sk, struct netns_iface *ifc, const char *tap, int *tap_ifindex,
		   char *err, size_t errlen)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct ifreq ifr = {0};
	int fd, rc;

	/* The device is made in the namespace of the thread that opens
	 * /dev/net/tun, so this runs inside the container's. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "netns: %s: open /dev/net/tun: %s", ifc->name,
			      strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	/* IFF_TUN_EXCL (0x8000, the sign bit of ifr_flags): an existing device
	 * by this name is refused (EBUSY) instead of attached to. Not
	 * persistent: the tap goes away with its last descriptor, so a runtime
	 * or VMM that dies leaves none behind. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = errno == EBUSY ? hy_err(err, errlen, -EEXIST,
					     "netns: %s: make tap %s: a link by that name exists",
					     ifc->name, tap)
				    : hy_err(err, errlen, -errno, "netns: %s: make tap %s: %s",
					     ifc->name, tap, strerror(errno));
		close(fd);
		return rc;
	}
	snprintf(ifc->tap, sizeof(ifc->tap), "%s", tap);
	ifc->tap_fd = fd;

	rc = rtnl_link_get_kernel(sk, 0, tap, &link);
	if (rc < 0)
		goto fail;
	change = rtnl_link_alloc();
	if (!change) {
		rc = -NLE_NOMEM;
		goto fail;
	}
	rtnl_link_set_mtu(change, ifc->mtu);
	rtnl_link_set_flags(change, IFF_UP);
	rc = rtnl_link_change(sk, link, change, 0);
	if (rc < 0)
		goto fail;
	*tap_ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return 0;
fail:
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	return hy_err(err, errlen, netns_nl_errno(rc), "netns: %s: set tap %s up, mtu %u: %s",
		      ifc->name, tap, ifc->mtu, nl_geterror(rc));
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
