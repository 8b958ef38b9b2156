/* tc.c: ingress qdiscs and the redirect filters that join an interface and its tap.
 *
 * The filter is u32 with one key of mask 0 (it matches every frame,
 * protocol ETH_P_ALL) and a mirred egress-redirect action: Kata Containers'
 * "tcfilter" scheme, which uses u32 too. matchall would say the same more
 * directly, but some kernels are built without it (CONFIG_NET_CLS_MATCHALL;
 * this project's build machines among them), while u32 is everywhere tc is.
 */
#include "netns/netns.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "common/err.h"
#include "netns/internal.h"

#define INGRESS_HANDLE TC_H_MAKE(TC_H_INGRESS, 0) /* ffff: */
/* A qdisc being created or destroyed elsewhere answers EBUSY or EAGAIN for a
 * moment; tries * wait stays well under a second. */
#define TC_TRIES 8
#define TC_WAIT_US (50 * 1000)

/* Whether to send a request that failed with rc once more (after a short wait). */
static bool again(int rc, int *tries)
{
	if ((rc != -NLE_BUSY && rc != -NLE_AGAIN) || ++*tries >= TC_TRIES)
		return false;
	usleep(TC_WAIT_US);
	return true;
}

static struct rtnl_qdisc *ingress_qdisc(int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), INGRESS_HANDLE);
	if (rtnl_tc_set_kind(TC_CAST(q), "ingress") < 0) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

int netns_tc_ingress_add(struct nl_sock *sk, const char *iface, const char *dev, int ifindex,
			 char *err, size_t errlen)
{
	struct rtnl_qdisc *q = ingress_qdisc(ifindex);
	char step[64];
	int rc = -NLE_NOMEM, tries = 0;

	/* "add ingress qdisc" for the interface itself, "... on hytap0" for its tap */
	snprintf(step, sizeof(step), "add ingress qdisc%s%s", strcmp(iface, dev) ? " on " : "",
		 strcmp(iface, dev) ? dev : "");
	/* NLM_F_EXCL: an ingress qdisc already there (someone else's redirect,
	 * or a clsact) is refused, never replaced. */
	if (q) {
		do
			rc = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
		while (again(rc, &tries));
		rtnl_qdisc_put(q);
	}
	if (rc == -NLE_EXIST)
		return hy_err(err, errlen, -EEXIST, "netns: %s: %s: %s has one already", iface,
			      step, dev);
	if (rc < 0)
		return hy_err(err, errlen, netns_nl_errno(rc), "netns: %s: %s: %s", iface, step,
			      nl_geterror(rc));
	return 0;
}

int netns_tc_ingress_delete(struct nl_sock *sk, int ifindex)
{
	struct nl_cache *qdiscs;
	struct rtnl_qdisc *q;
	int rc, tries = 0;
	const char *kind;

	rc = rtnl_qdisc_alloc_cache(sk, &qdiscs);
	if (rc < 0)
		return netns_nl_errno(rc);
	q = rtnl_qdisc_get_by_parent(qdiscs, ifindex, TC_H_INGRESS);
	nl_cache_free(qdiscs);
	if (!q)
		return 0;
	/* A clsact in its place is not the qdisc netns_wire() added. */
	kind = rtnl_tc_get_kind(TC_CAST(q));
	if (kind && strcmp(kind, "ingress") == 0) {
		do
			rc = rtnl_qdisc_delete(sk, q);
		while (again(rc, &tries));
	}
	rtnl_qdisc_put(q);
	if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
		return 0;
	return rc < 0 ? netns_nl_errno(rc) : 0;
}

int netns_tc_redirect(struct nl_sock *sk, const char *iface, const char *from, int from_ifindex,
		      const char *to, int to_ifindex, char *err, size_t errlen)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct rtnl_act *act = rtnl_act_alloc();
	int rc = -NLE_NOMEM, tries = 0;

	if (!cls || !act)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(cls), from_ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), INGRESS_HANDLE);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	if ((rc = rtnl_tc_set_kind(TC_CAST(cls), "u32")) < 0 ||
	    (rc = rtnl_u32_add_key(cls, 0, 0, 0, 0)) < 0 ||
	    (rc = rtnl_u32_set_cls_terminal(cls)) < 0)
		goto out;

	if ((rc = rtnl_tc_set_kind(TC_CAST(act), "mirred")) < 0 ||
	    (rc = rtnl_mirred_set_action(act, TCA_EGRESS_REDIR)) < 0 ||
	    (rc = rtnl_mirred_set_policy(act, TC_ACT_STOLEN)) < 0 ||
	    (rc = rtnl_mirred_set_ifindex(act, to_ifindex)) < 0 ||
	    (rc = rtnl_u32_add_action(cls, act)) < 0)
		goto out;

	do
		rc = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
	while (again(rc, &tries));
out:
	if (act)
		rtnl_act_put(act);
	if (cls)
		rtnl_cls_put(cls);
	if (rc < 0)
		return hy_err(err, errlen, netns_nl_errno(rc), "netns: %s: redirect %s to %s: %s",
			      iface, from, to, nl_geterror(rc));
	return 0;
}
