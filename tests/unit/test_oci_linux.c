/* test_oci_linux.c: linux.namespaces, id mappings, cgroupsPath, resources and hooks. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "oci/linux.h"

static struct oci_linux l;
static char err[512];
static json_t *doc;

static int parse(const char *text)
{
	json_error_t jerr;

	json_decref(doc);
	doc = json_loads(text, 0, &jerr);
	cr_assert_not_null(doc, "test JSON: %s", jerr.text);
	oci_linux_free(&l);
	return oci_linux_parse(&l, doc, err, sizeof(err));
}

static void expect_error(const char *text, const char *msg)
{
	cr_assert_eq(parse(text), -EINVAL, "accepted: %s", text);
	cr_assert_str_eq(err, msg);
}

static void cleanup(void)
{
	oci_linux_free(&l);
	json_decref(doc);
	doc = NULL;
}

TestSuite(oci_linux, .fini = cleanup);

Test(oci_linux, full_document)
{
	cr_assert_eq(
	    parse("{\"linux\": {"
		  " \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
		  "\"/var/run/netns/x\"}, {\"type\": \"user\"}],"
		  " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": "
		  "65536}],"
		  " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1}],"
		  " \"cgroupsPath\": \"/default/c1\","
		  " \"resources\": {\"memory\": {\"limit\": 536870912, \"swap\": 1073741824},"
		  "   \"cpu\": {\"shares\": 512, \"quota\": 150000, \"period\": 100000, "
		  "\"cpus\": \"0-2,5\", \"mems\": \"0\"},"
		  "   \"pids\": {\"limit\": 100}, \"devices\": [{\"allow\": false}]}},"
		  " \"hooks\": {\"prestart\": [{\"path\": \"/bin/a\", \"args\": [\"a\", "
		  "\"1\"], \"env\": [\"X=1\"], \"timeout\": 5}],"
		  "   \"poststop\": [{\"path\": \"/bin/b\"}]}}"),
	    0, "%s", err);
	cr_assert(l.ns[OCI_NS_PID].enabled);
	cr_assert_null(l.ns[OCI_NS_PID].path);
	cr_assert_str_eq(l.ns[OCI_NS_NETWORK].path, "/var/run/netns/x");
	cr_assert_not(l.ns[OCI_NS_MOUNT].enabled);
	cr_assert(l.ns[OCI_NS_USER].enabled);
	cr_assert_eq(l.nr_uid_mappings, 1);
	cr_assert_eq(l.uid_mappings[0].host_id, 100000);
	cr_assert_eq(l.uid_mappings[0].size, 65536);
	cr_assert_eq(l.gid_mappings[0].host_id, 200000);
	cr_assert_str_eq(l.cgroups_path, "/default/c1");
	cr_assert_eq(l.res.memory_limit, 536870912);
	cr_assert(l.res.has_memory_swap);
	cr_assert_eq(l.res.memory_swap, 1073741824);
	cr_assert_eq(l.res.cpu_shares, 512);
	cr_assert_eq(l.res.cpu_quota, 150000);
	cr_assert_eq(l.res.cpu_period, 100000);
	cr_assert_str_eq(l.res.cpus, "0-2,5");
	cr_assert_str_eq(l.res.mems, "0");
	cr_assert_eq(l.res.pids_limit, 100);
	/* A rule without access is for all of r, w and m. */
	cr_assert(l.res.has_devices);
	cr_assert_eq(l.res.nr_devices, 1);
	cr_assert_not(l.res.devices[0].allow);
	cr_assert_eq(l.res.devices[0].type, 'a');
	cr_assert_eq(l.res.devices[0].major, -1);
	cr_assert_eq(l.res.devices[0].minor, -1);
	cr_assert(l.res.devices[0].read && l.res.devices[0].write && l.res.devices[0].mknod);
	cr_assert_eq(l.nr_hooks[OCI_HOOK_PRESTART], 1);
	cr_assert_str_eq(l.hooks[OCI_HOOK_PRESTART][0].path, "/bin/a");
	cr_assert_eq(l.hooks[OCI_HOOK_PRESTART][0].nr_args, 2);
	cr_assert_str_eq(l.hooks[OCI_HOOK_PRESTART][0].env[0], "X=1");
	cr_assert_null(l.hooks[OCI_HOOK_PRESTART][0].env[1]);
	cr_assert_eq(l.hooks[OCI_HOOK_PRESTART][0].timeout, 5);
	cr_assert_null(l.hooks[OCI_HOOK_POSTSTOP][0].args);
	cr_assert_not_null(l.hooks[OCI_HOOK_POSTSTOP][0].env, "no env: an empty one");
	cr_assert_null(l.hooks[OCI_HOOK_POSTSTOP][0].env[0]);
	cr_assert_eq(l.nr_hooks[OCI_HOOK_CREATE_RUNTIME], 0);
}

Test(oci_linux, defaults)
{
	cr_assert_eq(parse("{\"ociVersion\": \"1.0.2\"}"), 0, "%s", err);
	cr_assert_eq(l.res.memory_limit, -1);
	cr_assert_eq(l.res.cpu_quota, -1);
	cr_assert_eq(l.res.pids_limit, -1);
	cr_assert_not(l.res.has_memory_swap);
	cr_assert_null(l.cgroups_path);
	for (int t = 0; t < OCI_NS_NR; t++)
		cr_assert_not(l.ns[t].enabled);
	/* runc's "unset" values */
	cr_assert_eq(parse("{\"linux\": {\"cgroupsPath\": \"\", \"resources\": {\"memory\": "
			   "{\"limit\": 0}, \"cpu\": {\"quota\": 0, \"cpus\": \"\"}, \"pids\": "
			   "{\"limit\": 0}}}}"),
		     0, "%s", err);
	cr_assert_null(l.cgroups_path);
	cr_assert_eq(l.res.memory_limit, -1);
	cr_assert_eq(l.res.cpu_quota, -1);
	cr_assert_null(l.res.cpus);
	cr_assert_eq(l.res.pids_limit, -1);
}

Test(oci_linux, namespace_errors)
{
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"time\"}]}}",
		     "linux.namespaces[1].type: \"time\" is not supported: the microVM has its own "
		     "clocks");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"pidd\"}]}}",
		     "linux.namespaces[0].type: unknown namespace type \"pidd\"");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}, {\"type\": \"ipc\"}]}}",
		     "linux.namespaces[1].type: \"ipc\" is listed twice");
	expect_error("{\"linux\": {\"namespaces\": [{\"path\": \"/x\"}]}}",
		     "linux.namespaces[0].type: required");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"uts\", \"path\": \"x\"}]}}",
		     "linux.namespaces[0].path: must be an absolute path (\"x\")");
	expect_error("{\"linux\": {\"namespaces\": {\"type\": \"uts\"}}}",
		     "linux.namespaces: must be an array of objects");
}

Test(oci_linux, idmap_errors)
{
	expect_error("{\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, "
		     "\"size\": 1}], \"gidMappings\": []}}",
		     "linux.uidMappings: id mappings need a \"user\" entry in linux.namespaces");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}}",
		     "linux.uidMappings: a new user namespace needs both uidMappings and "
		     "gidMappings");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": "
		     "[{\"containerID\": 0, \"hostID\": 1}]}}",
		     "linux.uidMappings[0].size: required");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": "
		     "[{\"containerID\": 0, \"hostID\": -1, \"size\": 1}]}}",
		     "linux.uidMappings[0].hostID: must be an integer from 0 to 4294967295");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"gidMappings\": "
		     "[{\"containerID\": 0, \"hostID\": 1, \"size\": 0}], \"uidMappings\": []}}",
		     "linux.gidMappings[0].size: must be at least 1");
}

Test(oci_linux, cgroups_path)
{
	expect_error("{\"linux\": {\"cgroupsPath\": \"machine.slice:libpod:abc\"}}",
		     "linux.cgroupsPath: \"machine.slice:libpod:abc\" is a systemd path "
		     "(slice:prefix:name); hyrun manages cgroups with cgroupfs only: give a path "
		     "such as \"/hyrun/<id>\"");
	expect_error("{\"linux\": {\"cgroupsPath\": \"/a/../../b\"}}",
		     "linux.cgroupsPath: must not contain \"..\"");
	expect_error("{\"linux\": {\"cgroupsPath\": 5}}", "linux.cgroupsPath: must be a string");
	cr_assert_eq(parse("{\"linux\": {\"cgroupsPath\": \"a/b..c\"}}"), 0, "%s", err);
	cr_assert_str_eq(l.cgroups_path, "a/b..c");
}

Test(oci_linux, resource_errors)
{
	expect_error("{\"linux\": {\"resources\": {\"memory\": {\"limit\": 268435456, \"swap\": "
		     "1000}}}}",
		     "linux.resources.memory.swap: 1000 is below memory.limit (268435456): it "
		     "counts memory plus swap");
	expect_error("{\"linux\": {\"resources\": {\"memory\": {\"swap\": 1000}}}}",
		     "linux.resources.memory.swap: needs linux.resources.memory.limit as well");
	expect_error("{\"linux\": {\"resources\": {\"memory\": {\"limit\": -5}}}}",
		     "linux.resources.memory.limit: must be a positive number of bytes, or -1 for "
		     "none");
	expect_error("{\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
		     "linux.resources.memory.limit: must be an integer");
	expect_error("{\"linux\": {\"resources\": {\"cpu\": {\"quota\": 10}}}}",
		     "linux.resources.cpu.quota: must be at least 1000 (microseconds), or -1 for "
		     "none");
	expect_error("{\"linux\": {\"resources\": {\"cpu\": {\"period\": 10}}}}",
		     "linux.resources.cpu.period: must be from 1000 to 1000000 (microseconds)");
	expect_error("{\"linux\": {\"resources\": {\"cpu\": {\"shares\": 1}}}}",
		     "linux.resources.cpu.shares: must be from 2 to 262144");
	expect_error("{\"linux\": {\"resources\": {\"cpu\": {\"cpus\": \"0-\"}}}}",
		     "linux.resources.cpu.cpus: must be a list of CPUs such as \"0-3,6\"");
	expect_error("{\"linux\": {\"resources\": {\"cpu\": {\"realtimeRuntime\": 100}}}}",
		     "linux.resources.cpu.realtimeRuntime: real-time scheduling is not supported");
	expect_error("{\"linux\": {\"resources\": {\"pids\": {\"limit\": true}}}}",
		     "linux.resources.pids.limit: must be an integer");
	expect_error("{\"linux\": {\"timeOffsets\": {\"monotonic\": {\"secs\": 1}}}}",
		     "linux.timeOffsets: not supported: the microVM has its own clocks");
}

Test(oci_linux, device_rules)
{
	cr_assert_eq(parse("{\"linux\": {\"resources\": {\"devices\": ["
			   "{\"allow\": false, \"access\": \"rwm\"},"
			   "{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, "
			   "\"access\": \"wr\"},"
			   "{\"allow\": true, \"type\": \"b\", \"major\": 8, \"minor\": null, "
			   "\"access\": \"m\"},"
			   "{\"allow\": false, \"type\": \"c\", \"major\": 4294967295, "
			   "\"minor\": -1, \"access\": \"r\"}]}}}"),
		     0, "%s", err);
	cr_assert_eq(l.res.nr_devices, 4);
	cr_assert(l.res.devices[1].allow);
	cr_assert_eq(l.res.devices[1].type, 'c');
	cr_assert_eq(l.res.devices[1].major, 1);
	cr_assert_eq(l.res.devices[1].minor, 3);
	cr_assert(l.res.devices[1].read && l.res.devices[1].write && !l.res.devices[1].mknod);
	cr_assert_eq(l.res.devices[2].type, 'b');
	cr_assert_eq(l.res.devices[2].minor, -1);
	cr_assert(!l.res.devices[2].read && !l.res.devices[2].write && l.res.devices[2].mknod);
	cr_assert_eq(l.res.devices[3].major, 4294967295);
	cr_assert(l.res.devices[3].read && !l.res.devices[3].write);
	/* Present and empty: a filter that allows nothing. Absent: none. */
	cr_assert_eq(parse("{\"linux\": {\"resources\": {\"devices\": []}}}"), 0, "%s", err);
	cr_assert(l.res.has_devices);
	cr_assert_eq(l.res.nr_devices, 0);
	cr_assert_eq(parse("{\"linux\": {\"resources\": {\"memory\": {}}}}"), 0, "%s", err);
	cr_assert_not(l.res.has_devices);
	cr_assert_eq(parse("{\"linux\": {\"resources\": {\"devices\": null}}}"), 0, "%s", err);
	cr_assert_not(l.res.has_devices);
}

Test(oci_linux, device_rule_errors)
{
	expect_error("{\"linux\": {\"resources\": {\"devices\": {}}}}",
		     "linux.resources.devices: must be an array of objects");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [7]}}}",
		     "linux.resources.devices[0]: must be an object");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"access\": \"r\"}]}}}",
		     "linux.resources.devices[0].allow: required");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": 1}]}}}",
		     "linux.resources.devices[0].allow: must be true or false");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true}, "
		     "{\"allow\": true, \"type\": \"p\"}]}}}",
		     "linux.resources.devices[1].type: must be \"a\", \"c\" or \"b\"");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
		     "\"type\": 99}]}}}",
		     "linux.resources.devices[0].type: must be \"a\", \"c\" or \"b\"");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
		     "\"major\": -2}]}}}",
		     "linux.resources.devices[0].major: must be -1 (any) or an integer from 0 to "
		     "4294967295");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
		     "\"minor\": \"3\"}]}}}",
		     "linux.resources.devices[0].minor: must be -1 (any) or an integer from 0 to "
		     "4294967295");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
		     "\"access\": \"\"}]}}}",
		     "linux.resources.devices[0].access: must be a non-empty combination of r, w "
		     "and m");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
		     "\"access\": \"rwx\"}]}}}",
		     "linux.resources.devices[0].access: \"rwx\" is not a combination of r, w and "
		     "m");
	expect_error("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
		     "\"access\": \"mm\"}]}}}",
		     "linux.resources.devices[0].access: \"mm\" is not a combination of r, w and "
		     "m");
}

/* runc's refusals: sysctls of namespaces the container does not have, and the
 * two that the hostname and domainname members set. */
Test(oci_linux, sysctl_refusals)
{
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"uts\"}], \"sysctl\": "
		     "{\"kernel.hostname\": \"x\"}}}",
		     "linux.sysctl.kernel.hostname: not allowed: it conflicts with the "
		     "\"hostname\" member of config.json, which sets it");
	expect_error("{\"domainname\": \"example.org\", \"linux\": {\"namespaces\": "
		     "[{\"type\": \"uts\"}], \"sysctl\": {\"kernel.domainname\": \"x\"}}}",
		     "linux.sysctl.kernel.domainname: not allowed: it conflicts with the "
		     "\"domainname\" member of config.json, which sets it");
	expect_error("{\"linux\": {\"sysctl\": {\"kernel.domainname\": \"x\"}}}",
		     "linux.sysctl.kernel.domainname: not allowed without a uts namespace (a "
		     "\"uts\" entry in linux.namespaces)");
	expect_error("{\"linux\": {\"sysctl\": {\"kernel.hostname\": \"x\"}}}",
		     "linux.sysctl.kernel.hostname: not allowed: it conflicts with the "
		     "\"hostname\" member of config.json, which sets it");
	/* Docker's way of setting a domain name, with a uts namespace and no
	 * domainname member, as runc takes it. */
	cr_assert_eq(parse("{\"domainname\": \"\", \"linux\": {\"namespaces\": [{\"type\": "
			   "\"uts\"}], \"sysctl\": {\"kernel.domainname\": \"example.org\"}}}"),
		     0, "%s", err);
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": "
		     "{\"net.ipv4.ip_forward\": \"1\"}}}",
		     "linux.sysctl.net.ipv4.ip_forward: not allowed without a network namespace "
		     "(a \"network\" entry in linux.namespaces)");
	expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"network\"}], \"sysctl\": "
		     "{\"kernel.shmmax\": \"1\"}}}",
		     "linux.sysctl.kernel.shmmax: not allowed without an ipc namespace (an "
		     "\"ipc\" entry in linux.namespaces)");
	expect_error("{\"linux\": {\"sysctl\": {\"fs.mqueue.msg_max\": \"10\"}}}",
		     "linux.sysctl.fs.mqueue.msg_max: not allowed without an ipc namespace (an "
		     "\"ipc\" entry in linux.namespaces)");
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",	    "kernel.msgmni",
					  "kernel.sem",	   "kernel.shmall",	    "kernel.shmmax",
					  "kernel.shmmni", "kernel.shm_rmid_forced"};
	for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "{\"linux\": {\"sysctl\": {\"%s\": \"1\"}}}", ipc[i]);
		cr_assert_eq(parse(text), -EINVAL, "%s accepted without an ipc namespace", ipc[i]);
		snprintf(text, sizeof(text),
			 "{\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}], \"sysctl\": "
			 "{\"%s\": \"1\"}}}",
			 ipc[i]);
		cr_assert_eq(parse(text), 0, "%s: %s", ipc[i], err);
	}
	/* With the namespaces, joined by path or new, they pass; so do the others,
	 * which the guest's own kernel takes. */
	cr_assert_eq(parse("{\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": "
			   "\"/run/netns/a\"}, {\"type\": \"ipc\"}], \"sysctl\": "
			   "{\"net.core.somaxconn\": \"1024\", \"fs.mqueue.queues_max\": \"9\", "
			   "\"vm.swappiness\": \"10\", \"kernel.msgmaxx\": \"1\"}}}"),
		     0, "%s", err);
	/* A malformed sysctl is oci/spec.c's to name. */
	cr_assert_eq(parse("{\"linux\": {\"sysctl\": [1]}}"), 0, "%s", err);
}

Test(oci_linux, hook_errors)
{
	expect_error("{\"hooks\": {\"prestart\": [{\"path\": \"hook\"}]}}",
		     "hooks.prestart[0].path: must be an absolute path (\"hook\")");
	expect_error("{\"hooks\": {\"poststart\": [{\"args\": []}]}}",
		     "hooks.poststart[0].path: required");
	expect_error("{\"hooks\": {\"createRuntime\": [{\"path\": \"/h\", \"env\": [\"X\"]}]}}",
		     "hooks.createRuntime[0].env: element 0 (\"X\") is not NAME=VALUE");
	expect_error(
	    "{\"hooks\": {\"startContainer\": [{\"path\": \"/h\", \"timeout\": 0}]}}",
	    "hooks.startContainer[0].timeout: must be a number of seconds from 1 to 86400");
	expect_error("{\"hooks\": {\"createContainer\": {\"path\": \"/h\"}}}",
		     "hooks.createContainer: must be an array of objects");
	expect_error("{\"hooks\": {\"poststop\": [{\"path\": \"/h\", \"args\": [1]}]}}",
		     "hooks.poststop[0].args: must be an array of strings (element 0 is not a "
		     "string)");
}

Test(oci_linux, cpuset_count)
{
	cr_assert_eq(oci_cpuset_count("0"), 1);
	cr_assert_eq(oci_cpuset_count("0-3"), 4);
	cr_assert_eq(oci_cpuset_count("0-3,6,8-9"), 7);
	cr_assert_eq(oci_cpuset_count(""), -1);
	cr_assert_eq(oci_cpuset_count("3-1"), -1);
	cr_assert_eq(oci_cpuset_count("1,"), -1);
	cr_assert_eq(oci_cpuset_count("a"), -1);
	cr_assert_eq(oci_cpuset_count("1 2"), -1);
}

Test(oci_linux, names)
{
	cr_assert_str_eq(oci_ns_name(OCI_NS_NETWORK), "network");
	cr_assert_str_eq(oci_hook_kind_name(OCI_HOOK_CREATE_RUNTIME), "createRuntime");
}

Test(oci_linux, unified)
{
	cr_assert_eq(parse("{\"linux\": {\"resources\": {\"unified\": {\"memory.high\": \"100M\","
			   " \"cgroup.max.descendants\": \"5\", \"io.weight\": \"\"}}}}"),
		     0, "%s", err);
	cr_assert_eq(l.res.nr_unified, 3);
	cr_assert_str_eq(l.res.unified[0].key, "memory.high");
	cr_assert_str_eq(l.res.unified[0].value, "100M");
	cr_assert_str_eq(l.res.unified[1].key, "cgroup.max.descendants");
	cr_assert_str_eq(l.res.unified[2].value, "");
	cr_assert_eq(parse("{\"linux\": {\"resources\": {\"unified\": null}}}"), 0, "%s", err);
	cr_assert_eq(l.res.nr_unified, 0);
	cr_assert_null(l.res.unified);
	expect_error("{\"linux\": {\"resources\": {\"unified\": {\"../memory.max\": \"1\"}}}}",
		     "linux.resources.unified: \"../memory.max\" is not the name of a cgroup file "
		     "(one without '/', not \".\" or \"..\")");
	expect_error("{\"linux\": {\"resources\": {\"unified\": {\"..\": \"1\"}}}}",
		     "linux.resources.unified: \"..\" is not the name of a cgroup file (one "
		     "without '/', not \".\" or \"..\")");
	expect_error("{\"linux\": {\"resources\": {\"unified\": {\".\": \"1\"}}}}",
		     "linux.resources.unified: \".\" is not the name of a cgroup file (one "
		     "without '/', not \".\" or \"..\")");
	expect_error("{\"linux\": {\"resources\": {\"unified\": {\"\": \"1\"}}}}",
		     "linux.resources.unified: \"\" is not the name of a cgroup file (one "
		     "without '/', not \".\" or \"..\")");
	expect_error("{\"linux\": {\"resources\": {\"unified\": {\"memory.max\": 100}}}}",
		     "linux.resources.unified.memory.max: must be a string");
	expect_error("{\"linux\": {\"resources\": {\"unified\": [\"memory.max\"]}}}",
		     "linux.resources.unified: must be an object with string values");
}

Test(oci_linux, uts_names_need_a_uts_namespace)
{
	expect_error("{\"hostname\": \"box\"}",
		     "hostname: not allowed without a uts namespace (a \"uts\" entry in "
		     "linux.namespaces)");
	expect_error("{\"hostname\": \"box\", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
		     "hostname: not allowed without a uts namespace (a \"uts\" entry in "
		     "linux.namespaces)");
	expect_error("{\"domainname\": \"example.org\", \"linux\": {}}",
		     "domainname: not allowed without a uts namespace (a \"uts\" entry in "
		     "linux.namespaces)");
	/* Empty names set nothing, as with runc. */
	cr_assert_eq(parse("{\"hostname\": \"\", \"domainname\": \"\"}"), 0, "%s", err);
	cr_assert_eq(parse("{\"hostname\": \"box\", \"domainname\": \"example.org\", \"linux\":"
			   " {\"namespaces\": [{\"type\": \"uts\"}]}}"),
		     0, "%s", err);
	cr_assert_eq(parse("{\"hostname\": \"box\", \"linux\": {\"namespaces\": [{\"type\": "
			   "\"uts\", \"path\": \"/proc/1/ns/uts\"}]}}"),
		     0, "%s", err);
	/* A malformed one is oci/spec.c's to name. */
	cr_assert_eq(parse("{\"hostname\": 7}"), 0, "%s", err);
}
