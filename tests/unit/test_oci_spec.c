/* test_oci_spec.c: OCI config.json parsing and validation messages. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "oci/spec.h"

static const char valid[] =
    "{\n"
    "  \"ociVersion\": \"1.0.2\",\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"process\": {\n"
    "    \"terminal\": false,\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
    "    \"args\": [\"/bin/sh\", \"-c\", \"echo hi\"],\n"
    "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\"],\n"
    "    \"cwd\": \"/work\",\n"
    "    \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\"],\n"
    "                       \"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"],\n"
    "                       \"ambient\": [\"CAP_NET_BIND_SERVICE\"]},\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512},\n"
    "                  {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615,\n"
    "                   \"soft\": 0}],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"oomScoreAdj\": -500,\n"
    "    \"someFutureField\": {\"x\": 1}\n"
    "  },\n"
    "  \"hostname\": \"box\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\",\n"
    "     \"options\": [\"rbind\", \"ro\"]},\n"
    "    {\"destination\": \"/etc/hosts\", \"source\": \"/tmp/hosts\", \"options\": [\"bind\"]}\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
    "    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
    "                 \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
    "                 \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": "
    "\"SCMP_ACT_ALLOW\"},\n"
    "                              {\"names\": [\"personality\"], \"action\": "
    "\"SCMP_ACT_ALLOW\",\n"
    "                               \"args\": [{\"index\": 0, \"value\": 8, \"op\": "
    "\"SCMP_CMP_EQ\"}]},\n"
    "                              {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", "
    "\"errnoRet\": 13}]}\n"
    "  },\n"
    "  \"annotations\": {\"org.example\": \"v\"}\n"
    "}\n";

static struct oci_spec spec;
static char err[512];

static int parse(const char *text, unsigned flags)
{
	return oci_spec_parse(&spec, text, strlen(text), flags, err, sizeof(err));
}

static void cleanup(void)
{
	oci_spec_free(&spec);
}

TestSuite(oci_spec, .fini = cleanup);

Test(oci_spec, valid_document)
{
	cr_assert_eq(parse(valid, 0), 0, "%s", err);
	cr_assert_str_eq(spec.oci_version, "1.0.2");
	cr_assert_str_eq(spec.root_path, "rootfs");
	cr_assert(spec.root_readonly);
	cr_assert_eq(spec.uid, 1000);
	cr_assert_eq(spec.gid, 100);
	cr_assert(spec.has_umask);
	cr_assert_eq(spec.umask, 022);
	cr_assert_eq(spec.nr_additional_gids, 2);
	cr_assert_eq(spec.additional_gids[1], 6);
	cr_assert_eq(spec.nr_args, 3);
	cr_assert_str_eq(spec.args[2], "echo hi");
	cr_assert_null(spec.args[3]);
	cr_assert_eq(spec.nr_env, 2);
	cr_assert_str_eq(spec.env[1], "TERM=xterm");
	cr_assert_str_eq(spec.cwd, "/work");
	cr_assert(spec.has_caps);
	cr_assert_eq(spec.caps[HY_CAP_BOUNDING], (1ULL << 0) | (1ULL << 5));
	cr_assert_eq(spec.caps[HY_CAP_EFFECTIVE], 1ULL << 5);
	cr_assert_eq(spec.caps[HY_CAP_INHERITABLE], 0);
	cr_assert_eq(spec.caps[HY_CAP_AMBIENT], 1ULL << 10);
	cr_assert_eq(spec.nr_rlimits, 2);
	cr_assert_eq(spec.rlimits[0].resource, RLIMIT_NOFILE);
	cr_assert_eq(spec.rlimits[0].hard, 1024);
	cr_assert_eq(spec.rlimits[0].soft, 512);
	cr_assert_eq(spec.rlimits[1].hard, UINT64_MAX, "RLIM_INFINITY survives");
	cr_assert(spec.no_new_privileges);
	cr_assert(spec.has_oom_score_adj);
	cr_assert_eq(spec.oom_score_adj, -500);
	cr_assert_str_eq(spec.hostname, "box");
	cr_assert_eq(spec.nr_mounts, 3);
	cr_assert_not(spec.mounts[0].bind);
	cr_assert_str_eq(spec.mounts[0].type, "proc");
	cr_assert(spec.mounts[1].bind);
	cr_assert_eq(spec.mounts[1].nr_options, 2);
	cr_assert_str_eq(spec.mounts[1].options[1], "ro");
	cr_assert(spec.mounts[2].bind, "a \"bind\" option without a type");
	cr_assert_null(spec.mounts[2].type);
	cr_assert_not_null(spec.seccomp);
	cr_assert_eq(spec.seccomp->default_action, HY_SECCOMP_ERRNO);
	cr_assert(spec.seccomp->has_default_errno_ret);
	cr_assert_eq(spec.seccomp->default_errno_ret, 1);
	cr_assert_eq(spec.seccomp->nr_architectures, 1);
	cr_assert_eq(spec.seccomp->nr_syscalls, 3);
	cr_assert_eq(spec.seccomp->syscalls[0].nr_names, 2);
	cr_assert_eq(spec.seccomp->syscalls[1].nr_args, 1);
	cr_assert_eq(spec.seccomp->syscalls[1].args[0].value, 8);
	cr_assert_eq(spec.seccomp->syscalls[1].args[0].op, HY_SECCOMP_OP_EQ);
	cr_assert(spec.seccomp->syscalls[2].has_errno_ret);
	cr_assert_eq(spec.seccomp->syscalls[2].errno_ret, 13);
	cr_assert_eq(spec.nr_sysctl, 1);
	cr_assert_str_eq(spec.sysctl[0].key, "net.ipv4.ip_forward");
	cr_assert_eq(spec.nr_annotations, 1);
	cr_assert_str_eq(spec.annotations[0].value, "v");
}

Test(oci_spec, defaults)
{
	cr_assert_eq(parse("{\"ociVersion\": \"1.0.0\", \"process\": {\"args\": [\"x\"]}}", 0), 0,
		     "%s", err);
	cr_assert_null(spec.root_path);
	cr_assert_eq(spec.uid, 0);
	cr_assert_not(spec.has_umask);
	cr_assert_str_eq(spec.cwd, "/");
	cr_assert_not(spec.has_caps, "absent capabilities are left alone");
	cr_assert_null(spec.seccomp);
	cr_assert_eq(spec.nr_mounts, 0);
	cr_assert_eq(spec.nr_env, 0);
}

Test(oci_spec, container_semantics)
{
	cr_assert_eq(
	    parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]},"
		  " \"domainname\": \"example.org\", \"linux\": {"
		  " \"rootfsPropagation\": \"runbindable\","
		  " \"maskedPaths\": [\"/proc/kcore\", \"/sys/firmware\"],"
		  " \"readonlyPaths\": [\"/proc/sys\"],"
		  " \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"\"},"
		  " \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10,"
		  " \"minor\": 229, \"fileMode\": 8630, \"uid\": 0, \"gid\": 5},"
		  " {\"path\": \"/dev/disk/sda\", \"type\": \"b\", \"major\": 4095,"
		  " \"minor\": 1048575, \"fileMode\": 384},"
		  " {\"path\": \"/dev/tty9\", \"type\": \"u\", \"major\": 4, \"minor\": 9},"
		  " {\"path\": \"/dev/fifo\", \"type\": \"p\", \"major\": 1, \"minor\": 2}]}}",
		  0),
	    0, "%s", err);
	cr_assert_str_eq(spec.domainname, "example.org");
	cr_assert_eq(spec.rootfs_propagation, OCI_PROP_RUNBINDABLE);
	cr_assert_eq(spec.nr_masked_paths, 2);
	cr_assert_str_eq(spec.masked_paths[1], "/sys/firmware");
	cr_assert_null(spec.masked_paths[2]);
	cr_assert_eq(spec.nr_readonly_paths, 1);
	cr_assert_str_eq(spec.readonly_paths[0], "/proc/sys");
	cr_assert_not_null(spec.seccomp, "an empty listenerPath is no listener");
	cr_assert_eq(spec.nr_devices, 4);
	cr_assert_str_eq(spec.devices[0].path, "/dev/fuse");
	cr_assert_eq(spec.devices[0].type, 'c');
	cr_assert_eq(spec.devices[0].major, 10);
	cr_assert_eq(spec.devices[0].minor, 229);
	cr_assert(spec.devices[0].has_mode);
	cr_assert_eq(spec.devices[0].mode, 0666, "S_IFCHR | 0666 is 0666: %o",
		     spec.devices[0].mode);
	cr_assert(spec.devices[0].has_uid && spec.devices[0].has_gid);
	cr_assert_eq(spec.devices[0].gid, 5);
	cr_assert_eq(spec.devices[1].type, 'b');
	cr_assert_eq(spec.devices[1].mode, 0600);
	cr_assert(!spec.devices[1].has_uid && !spec.devices[1].has_gid);
	cr_assert_eq(spec.devices[2].type, 'u');
	cr_assert_eq(spec.devices[3].type, 'p');
	cr_assert_eq(spec.devices[3].major, 0, "a FIFO's numbers are ignored");
	cr_assert_eq(spec.devices[3].minor, 0);
	cr_assert_not(spec.devices[3].has_mode);
}

Test(oci_spec, container_semantics_defaults)
{
	static const char *const names[] = {"shared",  "slave",	 "private",  "unbindable",
					    "rshared", "rslave", "rprivate", "runbindable"};

	cr_assert_eq(parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}}", 0), 0, "%s",
		     err);
	cr_assert_null(spec.domainname);
	cr_assert_eq(spec.rootfs_propagation, OCI_PROP_NONE);
	cr_assert_eq(spec.nr_masked_paths + spec.nr_readonly_paths + spec.nr_devices, 0);
	oci_spec_free(&spec);
	cr_assert_eq(parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, "
			   "\"linux\": {\"rootfsPropagation\": \"\"}}",
			   0),
		     0, "%s", err);
	cr_assert_eq(spec.rootfs_propagation, OCI_PROP_NONE);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char text[160];

		oci_spec_free(&spec);
		snprintf(text, sizeof(text),
			 "{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, "
			 "\"linux\": {\"rootfsPropagation\": \"%s\"}}",
			 names[i]);
		cr_assert_eq(parse(text, 0), 0, "%s", err);
		cr_assert_eq(spec.rootfs_propagation, (enum oci_propagation)(OCI_PROP_SHARED + i),
			     "%s", names[i]);
	}
}

struct bad_case {
	const char *json;
	const char *message; /* the whole error must start with this */
};

static const struct bad_case bad_cases[] = {
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": [{\"destination\": "
     "\"/d\", \"type\": \"bind\", \"source\": \"/s\", \"options\": [\"rbind\", \"idmap\"]}]}",
     "mounts[0].options: \"idmap\" (an idmapped mount) is not supported"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": [{\"destination\": "
     "\"/d\", \"type\": \"bind\", \"source\": \"/s\", \"uidMappings\": []}]}",
     "mounts[0]: uidMappings and gidMappings (an idmapped mount) are not supported"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": \"/bin/sh\"}}",
     "process.args: must be a non-empty array of strings"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": []}}",
     "process.args: must be a non-empty array of strings"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\", 3]}}",
     "process.args: must be a non-empty array of strings (element 1 is not a string)"},
    {"{\"ociVersion\": \"1\", \"process\": {}}", "process.args: required"},
    {"{\"ociVersion\": \"1\"}", "process: required"},
    {"{\"process\": {\"args\": [\"a\"]}}", "ociVersion: required"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"rlimits\": [{\"type\": "
     "\"RLIMIT_BOGUS\", \"hard\": 1, \"soft\": 1}]}}",
     "process.rlimits[0].type: unknown resource \"RLIMIT_BOGUS\""},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"rlimits\": [{\"type\": "
     "\"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 2}]}}",
     "process.rlimits[0].soft: larger than the hard limit"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"user\": {\"uid\": \"root\", "
     "\"gid\": 0}}}",
     "process.user.uid: must be an integer from 0 to 4294967295"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"user\": {\"uid\": -1, "
     "\"gid\": 0}}}",
     "process.user.uid: must be an integer from 0 to 4294967295"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"user\": {\"uid\": 0, "
     "\"gid\": 0, \"additionalGids\": [1, \"x\"]}}}",
     "process.user.additionalGids[1]: must be an integer"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"cwd\": \"work\"}}",
     "process.cwd: must be an absolute path"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"env\": [\"NOEQUALS\"]}}",
     "process.env: element 0 (\"NOEQUALS\") is not NAME=VALUE"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"capabilities\": "
     "{\"effective\": [\"CAP_FLY\"]}}}",
     "process.capabilities.effective[0]: unknown capability \"CAP_FLY\""},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"oomScoreAdj\": 2000}}",
     "process.oomScoreAdj: must be an integer from -1000 to 1000"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"terminal\": \"yes\"}}",
     "process.terminal: must be true or false"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": {}}",
     "mounts: must be an array of objects"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": [{\"destination\": "
     "\"proc\", \"type\": \"proc\"}]}",
     "mounts[0].destination: must be an absolute path"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": [{\"destination\": "
     "\"/p\", \"type\": \"proc\"}, {\"type\": \"tmpfs\"}]}",
     "mounts[1].destination: required"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": [{\"destination\": "
     "\"/d\", \"type\": \"bind\"}]}",
     "mounts[0].source: required for a bind mount"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"mounts\": [{\"destination\": "
     "\"/d\", \"type\": \"tmpfs\", \"options\": [1]}]}",
     "mounts[0].options: must be an array of strings"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"root\": {\"path\": 1}}",
     "root.path: must be a string"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"root\": {}}",
     "root.path: required"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {\"seccomp\": "
     "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}}}",
     "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\""},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {\"seccomp\": "
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_NOPE\"}]}}}",
     "linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_NOPE\""},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {\"seccomp\": "
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 0, \"op\": "
     "\"SCMP_CMP_EQ\"}]}]}}}",
     "linux.seccomp.syscalls[0].args[0].index: must be an integer from 0 to 5"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {\"seccomp\": "
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 1, \"value\": 0, \"op\": "
     "\"SCMP_CMP_ABOUT\"}]}]}}}",
     "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {\"seccomp\": "
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}}}",
     "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\""},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {\"sysctl\": "
     "{\"kernel.x\": 1}}}",
     "linux.sysctl.kernel.x: must be a string"},
    {"[1, 2]", "(document): must be a JSON object"},
#define L(members)                                                                                 \
	"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"linux\": {" members "}}"
    {L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": "
       "\"/run/agent.sock\"}"),
     "linux.seccomp.listenerPath: not supported: the filter runs in the VM's kernel, whose "
     "notifications cannot reach a listener on the host (\"/run/agent.sock\")"},
    {L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": 1}"),
     "linux.seccomp.listenerPath: must be a string"},
    {L("\"rootfsPropagation\": \"recursive\""),
     "linux.rootfsPropagation: \"recursive\" is none of shared, slave, private, unbindable, "
     "rshared, rslave, rprivate, runbindable"},
    {L("\"rootfsPropagation\": true"), "linux.rootfsPropagation: must be a string"},
    {L("\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]"),
     "linux.maskedPaths[1]: must be an absolute path (\"proc/keys\")"},
    {L("\"maskedPaths\": \"/proc/kcore\""), "linux.maskedPaths: must be an array of strings"},
    {L("\"readonlyPaths\": [\"\"]"), "linux.readonlyPaths[0]: must be an absolute path (\"\")"},
    {L("\"readonlyPaths\": [7]"), "linux.readonlyPaths: must be an array of strings"},
    {L("\"devices\": {}"), "linux.devices: must be an array of objects"},
    {L("\"devices\": [1]"), "linux.devices[0]: must be an object"},
    {L("\"devices\": [{\"type\": \"c\", \"major\": 1, \"minor\": 3}]"),
     "linux.devices[0].path: required"},
    {L("\"devices\": [{\"path\": \"/etc/null\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]"),
     "linux.devices[0].path: \"/etc/null\" is not a path below /dev (without empty, \".\" or "
     "\"..\" components)"},
    {L("\"devices\": [{\"path\": \"/dev/x/../../etc/passwd\", \"type\": \"p\"}]"),
     "linux.devices[0].path: \"/dev/x/../../etc/passwd\" is not a path below /dev"},
    {L("\"devices\": [{\"path\": \"/dev/x/\", \"type\": \"p\"}]"),
     "linux.devices[0].path: \"/dev/x/\" is not a path below /dev"},
    {L("\"devices\": [{\"path\": \"/dev/x\"}]"), "linux.devices[0].type: required"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"s\"}]"),
     "linux.devices[0].type: \"s\" is none of c, u, b and p"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"minor\": 3}]"),
     "linux.devices[0].major: required for this type"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"b\", \"major\": 3}]"),
     "linux.devices[0].minor: required for this type"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 4096, \"minor\": 3}]"),
     "linux.devices[0].major: must be an integer from 0 to 4095"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": -3}]"),
     "linux.devices[0].minor: must be an integer from 0 to 1048575"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"fileMode\": 65536}]"),
     "linux.devices[0].fileMode: must be an integer from 0 to 65535"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"uid\": -1}]"),
     "linux.devices[0].uid: must be an integer from 0 to 4294967295"},
    {L("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"gid\": \"0\"}]"),
     "linux.devices[0].gid: must be an integer from 0 to 4294967295"},
    {"{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]}, \"domainname\": 7}",
     "domainname: must be a string"},
    {L("\"personality\": {}"), "linux.personality.domain: required"},
    {L("\"personality\": {\"domain\": \"LINUX64\"}"),
     "linux.personality.domain: unknown domain \"LINUX64\" (LINUX or LINUX32)"},
    {L("\"personality\": {\"domain\": \"LINUX32\", \"flags\": [\"ADDR_NO_RANDOMIZE\"]}"),
     "linux.personality.flags: not supported: the runtime-spec defines no personality flags"},
    {L("\"personality\": {\"domain\": \"LINUX32\", \"flags\": \"x\"}"),
     "linux.personality.flags: must be an array of strings"},
    {L("\"personality\": \"LINUX\""), "linux.personality: must be an object"},
    {L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
       "[\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}"),
     "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\""},
    {L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [1]}"),
     "linux.seccomp.flags[0]: must be a string"},
    {L("\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": \"x\"}"),
     "linux.seccomp.flags: must be an array of strings"},
#define P(members) "{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], " members "}}"
    {P("\"scheduler\": {}"), "process.scheduler.policy: required"},
    {P("\"scheduler\": []"), "process.scheduler: must be an object"},
    {P("\"scheduler\": {\"policy\": \"SCHED_ISO\"}"),
     "process.scheduler.policy: SCHED_ISO is not supported: Linux reserves the policy but "
     "never implemented it"},
    {P("\"scheduler\": {\"policy\": \"SCHED_NORMAL\"}"),
     "process.scheduler.policy: unknown policy \"SCHED_NORMAL\" (SCHED_OTHER, SCHED_FIFO, "
     "SCHED_RR, SCHED_BATCH, SCHED_IDLE or SCHED_DEADLINE)"},
    {P("\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"nice\": -21}"),
     "process.scheduler.nice: must be an integer from -20 to 19"},
    {P("\"scheduler\": {\"policy\": \"SCHED_FIFO\", \"priority\": 100}"),
     "process.scheduler.priority: must be an integer from 0 to 99"},
    {P("\"scheduler\": {\"policy\": \"SCHED_FIFO\"}"),
     "process.scheduler.priority: SCHED_FIFO needs a priority from 1 to 99"},
    {P("\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"priority\": 5}"),
     "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not "
     "SCHED_OTHER"},
    {P("\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"flags\": [\"SCHED_FLAG_ALL\"]}"),
     "process.scheduler.flags[0]: unknown flag \"SCHED_FLAG_ALL\""},
    {P("\"scheduler\": {\"policy\": \"SCHED_BATCH\", \"deadline\": 1000000}"),
     "process.scheduler.deadline: only SCHED_DEADLINE takes a runtime, deadline and period, "
     "not SCHED_BATCH"},
    {P("\"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"runtime\": 100, \"deadline\": "
       "1000}"),
     "process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns"},
    {P("\"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"runtime\": 2000000, \"deadline\": "
       "1000000}"),
     "process.scheduler.deadline: must be at least the runtime (2000000 ns)"},
    {P("\"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"runtime\": 1000000, \"deadline\": "
       "2000000, \"period\": 1500000}"),
     "process.scheduler.period: must be at least the deadline (2000000 ns), or 0"},
    {P("\"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"runtime\": -5}"),
     "process.scheduler.runtime: must be an integer from 0 to 9223372036854775807"},
    {P("\"ioPriority\": {\"priority\": 1}"), "process.ioPriority.class: required"},
    {P("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_NONE\", \"priority\": 1}"),
     "process.ioPriority.class: unknown class \"IOPRIO_CLASS_NONE\" (IOPRIO_CLASS_RT, "
     "IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)"},
    {P("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\"}"),
     "process.ioPriority.priority: required"},
    {P("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 8}"),
     "process.ioPriority.priority: must be an integer from 0 to 7"},
    {P("\"ioPriority\": {\"class\": 2, \"priority\": 1}"),
     "process.ioPriority.class: must be a string"},
#undef P
#undef L
};

Test(oci_spec, malformed_documents_name_the_member)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		int r = parse(bad_cases[i].json, 0);

		cr_assert_eq(r, -EINVAL, "case %zu accepted: %s", i, bad_cases[i].json);
		cr_assert_eq(strncmp(err, bad_cases[i].message, strlen(bad_cases[i].message)), 0,
			     "case %zu: got \"%s\", expected \"%s\"", i, err, bad_cases[i].message);
		cr_assert_null(spec.json, "a failed parse leaves nothing to free");
	}
}

Test(oci_spec, invalid_json_has_line_and_column)
{
	cr_assert_eq(
	    parse("{\n  \"ociVersion\": \"1\",\n  \"process\": {\"args\": [\"a\",]}\n}", 0),
	    -EINVAL);
	cr_assert_not_null(strstr(err, "invalid JSON at line 3, column"), "%s", err);
	cr_assert_eq(parse("", 0), -EINVAL);
	cr_assert_not_null(strstr(err, "invalid JSON at line"), "%s", err);
}

Test(oci_spec, args_optional_and_replaced)
{
	char *argv[] = {"/bin/echo", "x y", NULL};
	char *out;

	cr_assert_eq(parse("{\"ociVersion\": \"1\"}", OCI_SPEC_ARGS_OPTIONAL), 0, "%s", err);
	cr_assert_not(spec.has_process);
	cr_assert_eq(oci_spec_set_args(&spec, argv), 0);
	cr_assert(spec.has_process);
	cr_assert_eq(spec.nr_args, 2);
	cr_assert_str_eq(spec.args[1], "x y");
	out = oci_spec_dump(&spec);
	cr_assert_not_null(out);
	oci_spec_free(&spec);
	/* The document now carries the args: parsing it again needs no flag. */
	cr_assert_eq(parse(out, 0), 0, "%s", err);
	cr_assert_str_eq(spec.args[0], "/bin/echo");
	free(out);
}

Test(oci_spec, dump_round_trip)
{
	char *out;

	cr_assert_eq(parse(valid, 0), 0, "%s", err);
	out = oci_spec_dump(&spec);
	cr_assert_not_null(out);
	oci_spec_free(&spec);
	cr_assert_eq(parse(out, 0), 0, "%s", err);
	free(out);
	cr_assert_gt(spec.nr_mounts, 1);
	cr_assert(spec.mounts[1].bind);
	cr_assert_eq(spec.rlimits[1].hard, UINT64_MAX, "RLIM_INFINITY survives a round trip");
}

Test(oci_spec, capability_names)
{
	cr_assert_eq(hy_cap_from_name("CAP_CHOWN"), 0);
	cr_assert_eq(hy_cap_from_name("CAP_SYS_ADMIN"), 21);
	cr_assert_eq(hy_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	cr_assert_eq(hy_cap_from_name("chown"), -1);
	cr_assert_eq(hy_cap_last(), 40);
	cr_assert_str_eq(hy_cap_name(39), "CAP_BPF");
	cr_assert_null(hy_cap_name(41));
}

Test(oci_spec, big_integers_only_outside_strings)
{
	cr_assert_eq(
	    parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"18446744073709551615\"],"
		  " \"rlimits\": [{\"type\": \"RLIMIT_AS\", \"hard\": 18446744073709551615,"
		  " \"soft\": 9223372036854775808}]}}",
		  0),
	    0, "%s", err);
	cr_assert_str_eq(spec.args[0], "18446744073709551615");
	cr_assert_eq(spec.rlimits[0].hard, UINT64_MAX);
	cr_assert_eq(spec.rlimits[0].soft, 9223372036854775808ULL);
	oci_spec_free(&spec);
	cr_assert_eq(parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"user\":"
			   " {\"uid\": 18446744073709551615, \"gid\": 0}}}",
			   0),
		     -EINVAL);
	cr_assert_str_eq(err, "process.user.uid: must be an integer from 0 to 4294967295");
}

Test(oci_spec, scheduler_io_priority_personality_seccomp_flags)
{
	static const char text[] =
	    "{\"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"a\"],"
	    " \"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"runtime\": 1000000,"
	    "  \"deadline\": 2000000, \"period\": 3000000,"
	    "  \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\", \"SCHED_FLAG_DL_OVERRUN\","
	    "  \"SCHED_FLAG_RESET_ON_FORK\"]},"
	    " \"ioPriority\": {\"class\": \"IOPRIO_CLASS_IDLE\", \"priority\": 7}},"
	    " \"linux\": {\"personality\": {\"domain\": \"LINUX32\", \"flags\": []},"
	    "  \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\":"
	    "  [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]}}}";

	cr_assert_eq(parse(text, 0), 0, "%s", err);
	cr_assert(spec.has_scheduler);
	cr_assert_eq(spec.scheduler.policy, 6);
	cr_assert_eq(spec.scheduler.runtime, 1000000);
	cr_assert_eq(spec.scheduler.deadline, 2000000);
	cr_assert_eq(spec.scheduler.period, 3000000);
	cr_assert_eq(spec.scheduler.flags, 0x05, "a flag named twice is set once");
	cr_assert_eq(spec.scheduler.priority, 0);
	cr_assert_eq(spec.scheduler.nice, 0);
	cr_assert(spec.has_io_priority);
	cr_assert_eq(spec.io_priority.ioclass, 3);
	cr_assert_eq(spec.io_priority.priority, 7);
	cr_assert(spec.has_personality);
	cr_assert_eq(spec.personality, 8);
	cr_assert_not_null(spec.seccomp);
	cr_assert_eq(spec.seccomp->flags, 0x05);
	cleanup();

	cr_assert_eq(parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"], \"scheduler\":"
			   " {\"policy\": \"SCHED_RR\", \"priority\": 99, \"nice\": 19}},"
			   " \"linux\": {\"personality\": {\"domain\": \"LINUX\"}}}",
			   0),
		     0, "%s", err);
	cr_assert_eq(spec.scheduler.policy, 2);
	cr_assert_eq(spec.scheduler.priority, 99);
	cr_assert_eq(spec.scheduler.nice, 19);
	cr_assert(spec.has_personality);
	cr_assert_eq(spec.personality, 0);
	cr_assert(!spec.has_io_priority);
	cleanup();

	/* Absent, and a null personality, leave everything unset. */
	cr_assert_eq(parse("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"a\"]},"
			   " \"linux\": {\"personality\": null, \"seccomp\": {\"defaultAction\":"
			   " \"SCMP_ACT_ALLOW\"}}}",
			   0),
		     0, "%s", err);
	cr_assert(!spec.has_scheduler);
	cr_assert(!spec.has_io_priority);
	cr_assert(!spec.has_personality);
	cr_assert_eq(spec.seccomp->flags, 0);
}
