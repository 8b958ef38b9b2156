# shellcheck shell=bash
# shellcheck disable=SC2016  # the guests' shell code is single-quoted on purpose
# tests/integration/net.sh: networking; sourced by run (group "net", tests named test_net_*).
#
# Every test makes its own network namespaces and veth pairs with addresses from
# 10.213.0.0/16 and fd00:213::/32, inside the test host (which has no network card):
# nothing a test sends can leave it. The hyrun tests put the container in a namespace the
# test made (as Podman and CNI do: linux.namespaces names its path), the Podman tests use
# Podman's own networks. Servers are busybox httpd processes the test starts and stops.
#
# Environment: HYRUN_NET_CYCLES  networked create/start/delete cycles of the leak test
#                                (default 5; hack/leak-test runs 50)

NET_NS=()	# namespaces the test made (removed by net_cleanup)
NET_LINKS=()	# links the test made in the test host's namespace
NET_PIDS=()	# servers the test started
NET_N=0		# the test's namespaces so far (numbers its addresses)

# net_modules: the test host's kernel loads no module by itself (no modules.dep where
# its modprobe looks): load what the bridge, tc redirect and the engines' firewall
# rules need, from the test host kernel's own tree, and bring up its loopback. Nothing
# to do on a real machine.
net_modules() {
	local kdir=$ROOT/build/testhost/kernel
	[ -n "${HYRUN_IN_TESTHOST:-}" ] || return 0
	[ ! -e /run/hyrun-net-modules ] || return 0
	# Nobody brings up the test host's loopback: published ports listen there.
	ip link set lo up
	[ -e "$kdir/lib/modules/$(uname -r)/modules.dep" ] ||
		fail "no modules.dep for the test host's kernel in $kdir (tests/integration/run makes it)"
	modprobe -d "$kdir" -a veth bridge tun sch_ingress cls_u32 act_mirred \
		nf_tables nft_compat nft_chain_nat nft_ct nft_nat nft_masq nft_redir nft_reject \
		nft_reject_inet nft_fib_inet nf_nat nf_conntrack xt_MASQUERADE xt_nat xt_comment \
		xt_multiport xt_addrtype xt_conntrack xt_mark xt_tcpudp xt_LOG ip_tables \
		ip6_tables iptable_nat iptable_filter ip6table_nat ip6table_filter br_netfilter \
		2>"$TDIR/modprobe.err" || fail "modprobe: $(cat "$TDIR/modprobe.err")"
	touch /run/hyrun-net-modules
}

net_cleanup() {
	local ns pid l
	for pid in "${NET_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	[ -z "${SDIR:-}" ] || rt_cleanup
	for l in "${NET_LINKS[@]}"; do
		ip link del "$l" 2>/dev/null || true
	done
	for ns in "${NET_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

# net_ns: $NS = a new namespace, with lo up.
net_ns() {
	trap net_cleanup EXIT
	NET_N=$((NET_N + 1))
	NS=hyrun-net-$$-$NET_N
	ip netns add "$NS" || fail "ip netns add $NS failed"
	NET_NS+=("$NS")
	ip -n "$NS" link set lo up
}

# net_veth NAME SUBNET [MTU]: a veth pair: NAME in $NS with SUBNET.2/24 and
# fd00:213:SUBNET::2/64, its peer hyv<pid><n> in the test host with SUBNET.1 and
# fd00:213:SUBNET::1; sets HOSTIF.
net_veth() {
	local name=$1 sub=$2 mtu=${3:-1500} v6
	v6=fd00:213:${sub##*.}
	HOSTIF=hyv$$${#NET_LINKS[@]}
	HOSTIF=${HOSTIF:0:15}
	ip link add "$HOSTIF" mtu "$mtu" type veth peer name "$name" mtu "$mtu" netns "$NS" ||
		fail "ip link add $HOSTIF failed"
	NET_LINKS+=("$HOSTIF")
	ip addr add "$sub.1/24" dev "$HOSTIF"
	ip addr add "$v6::1/64" dev "$HOSTIF" nodad
	ip link set "$HOSTIF" up
	ip -n "$NS" addr add "$sub.2/24" dev "$name"
	ip -n "$NS" addr add "$v6::2/64" dev "$name" nodad
	ip -n "$NS" link set "$name" up
}

# net_bundle [PYTHON]: rt_bundle whose network namespace is $NS.
net_bundle() {
	rt_bundle "${1:-}"
	trap net_cleanup EXIT
	rt_config "for n in c['linux']['namespaces']:
    if n['type'] == 'network': n['path'] = '/run/netns/$NS'
for s in c['process']['capabilities'].values():
    s.append('CAP_NET_RAW')"
}

# net_httpd ADDR:PORT: a busybox httpd serving $TDIR/www (page: "hyrun-net-page").
net_httpd() {
	mkdir -p "$TDIR/www"
	echo hyrun-net-page >"$TDIR/www/page"
	busybox httpd -f -p "$1" -h "$TDIR/www" &
	NET_PIDS+=($!)
}

# net_expect_unwired: no tap and no ingress qdisc left in $NS.
net_expect_unwired() {
	local l
	l=$(ip -n "$NS" -o link show 2>/dev/null | grep -o 'hytap[0-9]*' || true)
	[ -z "$l" ] || fail "taps left in $NS: $l"
	l=$(tc -n "$NS" qdisc show 2>/dev/null | grep -E 'ingress' || true)
	[ -z "$l" ] || fail "qdiscs left in $NS: $l"
}

mac_of() {	# mac_of IF: the MAC of IF in $NS
	ip -n "$NS" -o link show "$1" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2
}

# --- a namespace made here, hyrun alone ---------------------------------------------------

# Two interfaces, IPv4 and IPv6, a default route, a route with its own MTU, jumbo frames
# on the second: what the guest sees, and traffic both ways through the tc redirect.
test_net_namespace_two_nics() {
	net_modules
	net_ns
	net_veth eth0 10.213.1
	net_veth eth1 10.213.2 9000
	ip -n "$NS" route add default via 10.213.1.1
	ip -n "$NS" route add 10.214.0.0/24 via 10.213.1.1 mtu 1400
	ip -n "$NS" -6 route add default via fd00:213:1::1
	local mac0 mac1
	mac0=$(mac_of eth0)
	mac1=$(mac_of eth1)
	net_bundle 'c["process"]["args"] = ["sh", "-c", "ip -o addr; ip -o link; ip route; ip -6 route; /probe routes; wget -q -O - http://10.213.1.1:18080/page; ping -c 1 -W 5 10.213.2.1 >/dev/null && echo ping-ok; ping -6 -c 1 -W 5 fd00:213:1::1 >/dev/null && echo ping6-ok"]'
	cp "$PROBE" "$B/rootfs/probe"
	net_httpd 10.213.1.1:18080
	hr run --bundle "$B" n1
	expect_status 0
	local want
	for want in "eth0 *inet 10.213.1.2/24" "eth0 *inet6 fd00:213:1::2/64" \
		"eth1 *inet 10.213.2.2/24" "eth1 *inet6 fd00:213:2::2/64" "link/ether $mac0" \
		"link/ether $mac1" "eth1: .* mtu 9000 " "default via 10.213.1.1 dev eth0" \
		"^route=10.214.0.0/24 gw=10.213.1.1 dev=eth0 mtu=1400$" "default via fd00:213:1::1 dev eth0" \
		"^hyrun-net-page$" "^ping-ok$" "^ping6-ok$"; do
		grep -qE -- "$want" <<<"$OUT" || fail "the guest's output lacks '$want'"
	done
	# The guest's NICs keep the namespace's order: eth0 first.
	[ "$(grep -oE '^[0-9]+: eth[01]' <<<"$OUT" | head -n 1 | cut -d' ' -f2)" = eth0 ] ||
		fail "eth0 is not the first NIC"
	rt_expect_nothing_left n1
	net_expect_unwired
	[ -n "$(mac_of eth0)" ] || fail "the engine's interface eth0 is gone"
}

# A server in the guest, reached from the test host through the namespace's veth.
test_net_guest_server() {
	net_modules
	net_ns
	net_veth eth0 10.213.3
	net_bundle 'c["process"]["args"] = ["sh", "-c", "mkdir -p /tmp/www && echo from-guest >/tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"]'
	rt_create n2
	hr start n2
	expect_status 0
	local i got=''
	for ((i = 0; i < 60; i++)); do
		got=$(curl -s --max-time 2 http://10.213.3.2/ 2>/dev/null || true)
		[ -z "$got" ] || break
		sleep 0.5
	done
	expect_eq "page served by the guest" "$got" from-guest
	hr delete --force n2
	expect_status 0
	rt_expect_nothing_left n2
	net_expect_unwired
}

# A new, empty namespace (podman --network none, ctr run without --cni): loopback only,
# and up.
test_net_none_loopback_only() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "ip -o link; ping -c 1 -W 5 127.0.0.1 >/dev/null && echo lo-ok"]'
	rt_config 'for s in c["process"]["capabilities"].values(): s.append("CAP_NET_RAW")'
	hr run --bundle "$B" n3
	expect_status 0
	grep -qE '^1: lo: <LOOPBACK,UP' <<<"$OUT" || fail "lo is not up: $OUT"
	[ "$(grep -cE '^[0-9]+: ' <<<"$OUT")" = 1 ] || fail "the guest has more than lo: $OUT"
	grep -qx lo-ok <<<"$OUT" || fail "no ping on lo"
}

# --- a namespace filled after create (ctr run --cni, Docker's prestart hook) --------------

# net_cni_veth PID NAME SUBNET: what a CNI plugin does to the runtime's new namespace
# (/proc/PID/ns/net) between create and start: a veth pair, one end moved in as NAME with
# SUBNET.2/24 and a default route through SUBNET.1, the other in the test host with
# SUBNET.1; sets HOSTIF and CNI_MAC (NAME's MAC).
net_cni_veth() {
	local pid=$1 name=$2 sub=$3 peer
	HOSTIF=hyv$$${#NET_LINKS[@]}
	HOSTIF=${HOSTIF:0:15}
	peer=hyp$$${#NET_LINKS[@]}
	peer=${peer:0:15}
	trap net_cleanup EXIT
	ip link add "$HOSTIF" type veth peer name "$peer" || fail "ip link add $HOSTIF failed"
	NET_LINKS+=("$HOSTIF")
	ip addr add "$sub.1/24" dev "$HOSTIF"
	ip link set "$HOSTIF" up
	ip link set "$peer" netns "/proc/$pid/ns/net" || fail "moving $peer into /proc/$pid/ns/net failed"
	nsenter --net="/proc/$pid/ns/net" sh -c "ip link set $peer name $name &&
		ip addr add $sub.2/24 dev $name && ip link set $name up &&
		ip route replace default via $sub.1" || fail "configuring $name in /proc/$pid/ns/net failed"
	CNI_MAC=$(nsenter --net="/proc/$pid/ns/net" ip -o link show "$name" |
		grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
}

# A namespace of the runtime's making, filled between create and start: the guest gets
# the interface's MAC, address and route at start and reaches the test host through it.
test_net_wired_at_start() {
	net_modules
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "ip -o addr; ip -o link; ip route; wget -q -O - http://10.213.41.1:18082/page; ping -c 1 -W 5 10.213.41.1 >/dev/null && echo ping-ok"]'
	rt_config 'for s in c["process"]["capabilities"].values(): s.append("CAP_NET_RAW")'
	rt_create s1
	local pid want
	pid=$(rt_pid s1)
	net_cni_veth "$pid" eth0 10.213.41
	net_httpd 10.213.41.1:18082
	hr start s1
	expect_status 0
	rt_wait_status s1 stopped 60 || fail "the container did not stop: $(cat "$SDIR/s1.err")"
	OUT=$(cat "$SDIR/s1.out")
	for want in "eth0 *inet 10.213.41.2/24" "link/ether $CNI_MAC" "default via 10.213.41.1 dev eth0" \
		"^hyrun-net-page$" "^ping-ok$" "^1: lo: <LOOPBACK,UP"; do
		grep -qE -- "$want" <<<"$OUT" || fail "the guest's output lacks '$want': $OUT $(cat "$SDIR/s1.err")"
	done
	# `ip -o link` lines ("N: NAME: <FLAGS>"): lo and eth0, the standby NIC renamed.
	[ "$(grep -cE '^[0-9]+: [^ ]+: <' <<<"$OUT")" = 2 ] ||
		fail "the guest should have lo and eth0 only: $OUT"
	hr delete s1
	expect_status 0
	rt_expect_nothing_left s1
}

# More interfaces after create than the VM has standby NICs: start fails, saying so, and
# takes back what it wired; the container can still be deleted, leaving nothing.
test_net_wired_at_start_too_many() {
	net_modules
	rt_bundle 'c["process"]["args"] = ["true"]'
	rt_create s2
	local pid q
	pid=$(rt_pid s2)
	net_cni_veth "$pid" eth0 10.213.42
	net_cni_veth "$pid" eth1 10.213.43
	hr start s2
	expect_status 1
	expect_stderr_has "2 interfaces"
	q=$(nsenter --net="/proc/$pid/ns/net" tc qdisc show | grep ingress || true)
	[ -z "$q" ] || fail "qdiscs left after the failed start: $q"
	expect_eq "status after the failed start" "$(rt_status s2)" created
	hr delete --force s2
	expect_status 0
	rt_expect_nothing_left s2
}

test_net_host_network_refused() {
	rt_bundle 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
	hr create --bundle "$B" n4
	expect_status 1
	expect_stderr_has "share the host's network"
	rt_expect_nothing_left n4
}

test_net_bad_namespace_path() {
	NS=hyrun-net-$$-missing
	net_bundle
	hr create --bundle "$B" n5
	expect_status 1
	expect_stderr_has "/run/netns/$NS"
	rt_expect_nothing_left n5
	rt_config 'for n in c["linux"]["namespaces"]:
    if n["type"] == "network": n["path"] = "/proc/self/ns/uts"'
	hr create --bundle "$B" n5
	expect_status 1
	expect_stderr_has "not a network namespace"
	rt_expect_nothing_left n5
}

test_net_too_many_interfaces() {
	net_modules
	net_ns
	local i
	for i in 0 1 2 3 4; do
		net_veth "eth$i" "10.213.$((10 + i))"
	done
	net_bundle
	hr create --bundle "$B" n6
	expect_status 1
	expect_stderr_has "at most 4"
	rt_expect_nothing_left n6
	net_expect_unwired
}

# An ingress qdisc that is not ours on the interface: refused, and left as it was.
test_net_foreign_qdisc_left_alone() {
	net_modules
	net_ns
	net_veth eth0 10.213.20
	net_veth eth1 10.213.21
	tc -n "$NS" qdisc add dev eth1 ingress || fail "tc qdisc add failed"
	net_bundle
	hr create --bundle "$B" n7
	expect_status 1
	expect_stderr_has "eth1"
	rt_expect_nothing_left n7
	[ -z "$(ip -n "$NS" -o link show | grep -o 'hytap[0-9]*' || true)" ] || fail "a tap is left"
	[ -z "$(tc -n "$NS" qdisc show dev eth0 | grep ingress || true)" ] || fail "eth0's qdisc is left"
	[ -n "$(tc -n "$NS" qdisc show dev eth1 | grep ingress || true)" ] || fail "eth1's own qdisc is gone"
}

# Networked create/start/delete cycles leave no tap, filter or qdisc.
test_net_leak_cycles() {
	net_modules
	net_ns
	net_veth eth0 10.213.30
	net_bundle 'c["process"]["args"] = ["sh", "-c", "ip -o addr show eth0 | grep -q 10.213.30.2 && echo up"]'
	local i n=${HYRUN_NET_CYCLES:-5}
	for ((i = 0; i < n; i++)); do
		rt_create "l$i"
		hr start "l$i"
		expect_status 0
		rt_wait_status "l$i" stopped 60
		grep -qx up "$SDIR/l$i.out" || fail "cycle $i: the guest's eth0 had no address: $(cat "$SDIR/l$i.out" "$SDIR/l$i.err")"
		hr delete "l$i"
		expect_status 0
		net_expect_unwired
	done
	rt_expect_nothing_left "l$((n - 1))"
}

# --- Podman's networks ----------------------------------------------------------------------

# net_podman: the client tests' private Podman (clients.sh), with a CNI configuration
# directory of its own (user-defined networks are written there) and, in the test host,
# a tmpfs for the IPAM leases in /var/lib/cni (its root filesystem is read-only).
net_podman() {
	local d
	net_modules
	cl_podman
	d=$CL_DIR/podman
	if ! grep -q network_config_dir "$CONTAINERS_CONF"; then
		mkdir -p "$d/cni"
		[ ! -e /etc/cni/net.d/87-podman-bridge.conflist ] ||
			cp /etc/cni/net.d/87-podman-bridge.conflist "$d/cni/"
		printf '[network]\nnetwork_backend = "cni"\nnetwork_config_dir = "%s"\n' "$d/cni" \
			>>"$CONTAINERS_CONF"
	fi
	net_var_lib_cni
	# shellcheck disable=SC2064  # expand now
	trap "podman rm -f -t 0 -a >/dev/null 2>&1 || true; podman network rm -f hyrun-net-$$ >/dev/null 2>&1 || true; net_cleanup" EXIT
}

# net_var_lib_cni: in the test host, a tmpfs for CNI's leases and cache in /var/lib/cni
# (its root filesystem is read-only).
net_var_lib_cni() {
	if [ -n "${HYRUN_IN_TESTHOST:-}" ] && ! mountpoint -q /var/lib/cni; then
		[ -d /var/lib/cni ] || skip "/var/lib/cni is missing (hack/setup makes it)"
		mount -t tmpfs -o mode=0755 tmpfs /var/lib/cni || fail "mount /var/lib/cni"
	fi
}

# net_podman_wait_page URL: the page a guest serves, fetched from the test host (60 s).
net_fetch() {
	local i got=''
	for ((i = 0; i < 120; i++)); do
		got=$(curl -s --max-time 2 "$1" 2>/dev/null || true)
		[ -z "$got" ] || break
		sleep 0.5
	done
	printf '%s' "$got"
}

# Podman's default network: the guest has the address Podman assigned and the veth's
# MAC, serves a published port on the test host's loopback, reaches the bridge's gateway
# and another hyrun container by address.
test_net_podman_default_network() {
	local ns mac ip got
	net_podman
	net_httpd 0.0.0.0:18081
	pm run -d --name "hyrun-web-$$" --network podman -p 127.0.0.1:18080:80 "$CL_IMAGE" \
		sh -c 'ip -o link show eth0; ip -o addr show eth0; mkdir -p /tmp/www && echo from-guest >/tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'
	expect_status 0
	ns=$(podman inspect --format '{{.NetworkSettings.SandboxKey}}' "hyrun-web-$$")
	ip=$(podman inspect --format '{{.NetworkSettings.IPAddress}}' "hyrun-web-$$")
	[[ $ip == 10.88.* ]] || fail "no address from Podman: '$ip'"
	mac=$(nsenter --net="$ns" ip -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$mac" ] || fail "no eth0 in $ns"
	got=$(net_fetch http://127.0.0.1:18080/)
	expect_eq "page through the published port" "$got" from-guest
	cl_ok podman logs "hyrun-web-$$"
	grep -q "link/ether $mac" <<<"$OUT" || fail "the guest's eth0 lacks the veth's MAC $mac: $OUT"
	grep -q "inet $ip/" <<<"$OUT" || fail "the guest's eth0 lacks $ip: $OUT"
	pm run --rm --network podman "$CL_IMAGE" sh -c "timeout 10 wget -q -O - http://$ip/ && timeout 10 wget -q -O - http://10.88.0.1:18081/page"
	expect_status 0
	expect_stdout "$(printf 'from-guest\nhyrun-net-page')"
	cl_ok podman rm -f -t 0 "hyrun-web-$$"
	pm_gone "hyrun-web-$$" || fail "Podman still has the container"
}

# A user-defined network with jumbo frames and IPv6: the guest's MTU, both families, and
# two hyrun containers reaching each other by address.
test_net_podman_mtu_ipv6_network() {
	local ip
	net_podman
	cl_ok podman network create --subnet 10.213.100.0/24 --ipv6 --subnet fd00:213:100::/64 \
		--opt mtu=9000 "hyrun-net-$$"
	pm run -d --name "hyrun-web-$$" --network "hyrun-net-$$" "$CL_IMAGE" \
		sh -c 'mkdir -p /tmp/www && head -c 100000 /dev/zero | tr "\0" x >/tmp/www/big && exec httpd -f -p 80 -h /tmp/www'
	expect_status 0
	ip=$(podman inspect --format '{{(index .NetworkSettings.Networks "hyrun-net-'"$$"'").IPAddress}}' "hyrun-web-$$")
	[[ $ip == 10.213.100.* ]] || fail "no address from Podman: '$ip'"
	pm run --rm --network "hyrun-net-$$" "$CL_IMAGE" sh -c 'cat /sys/class/net/eth0/mtu; ip -o addr show eth0; ping -c 1 -W 5 -s 8000 10.213.100.1 >/dev/null && echo ping-ok; ping -6 -c 1 -W 5 fd00:213:100::1 >/dev/null && echo ping6-ok; for i in 1 2 3 4 5 6 7 8 9 10; do timeout 10 wget -q -O - http://'"$ip"'/big | wc -c && break; sleep 1; done'
	expect_status 0
	local want
	for want in "^9000$" "inet 10.213.100." "inet6 fd00:213:100:" "^ping-ok$" "^ping6-ok$" "^ *100000$"; do
		grep -qE -- "$want" <<<"$OUT" || fail "the guest's output lacks '$want'"
	done
	cl_ok podman rm -f -t 0 "hyrun-web-$$"
	echo "note: names of other containers are not checked: Podman's CNI backend resolves them only with the dnsname plugin, which Debian 12 does not package"
	cl_ok podman network rm "hyrun-net-$$"
}

test_net_podman_none() {
	net_podman
	pm run --rm --network none "$CL_IMAGE" ip -o link
	expect_status 0
	grep -qE '^1: lo: <LOOPBACK,UP' <<<"$OUT" || fail "lo is not up: $OUT"
	[ "$(grep -cE '^[0-9]+: ' <<<"$OUT")" = 1 ] || fail "the guest has more than lo: $OUT"
}

# --- containerd ---------------------------------------------------------------------------

# `ctr run --cni`: ctr sets the network up in the runtime's new namespace after create,
# with the first configuration in /etc/cni/net.d (here a bridge of the test's own, bound
# over that directory for ctr alone). The guest has the address the bridge plugin gave
# and fetches a page from the bridge's gateway. Runs last in the group: it stops the
# engines the group started.
test_net_ctr_cni() {
	local d conf
	net_modules
	cl_containerd
	net_var_lib_cni
	[ -d /etc/cni/net.d ] || skip "/etc/cni/net.d is missing (containernetworking-plugins makes it)"
	d=$CL_DIR/ctr-cni
	mkdir -p "$d/net.d" "$d/ipam"
	conf=$d/net.d/10-hyrun-ctr.conflist
	cat >"$conf" <<-EOF
		{"cniVersion": "0.4.0", "name": "hyrun-ctr-$$",
		 "plugins": [{"type": "bridge", "bridge": "hyctr$$", "isGateway": true, "ipMasq": false,
		              "ipam": {"type": "host-local", "dataDir": "$d/ipam",
		                       "ranges": [[{"subnet": "10.213.44.0/24"}]]}}]}
	EOF
	net_httpd 18083
	cl_run unshare -m -- sh -c 'mount --bind "$1" /etc/cni/net.d && shift && exec "$@"' sh "$d/net.d" \
		"${CL_CTR[@]}" run --rm --cni --runc-binary "$CL_RT" "$CL_IMAGE" "hyrun-cni-$$" \
		sh -c 'ip -o addr show eth0; wget -q -O - http://10.213.44.1:18083/page'
	expect_status 0
	grep -qE 'eth0 *inet 10\.213\.44\.[0-9]+/24' <<<"$OUT" || fail "no address from the bridge plugin: $OUT $ERR"
	grep -qx hyrun-net-page <<<"$OUT" || fail "no page from the gateway: $OUT $ERR"
	ip link del "hyctr$$" 2>/dev/null || true
	cl_teardown || fail "the engines left the above behind"
}
