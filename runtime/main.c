/* main.c: `hyrun`, the OCI runtime: runc's global options, then one verb from commands[]. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "oci/state.h"
#include "runtime/defaults.h"
#include "runtime/runtime.h"

static const struct command {
	const char *name;
	int (*fn)(struct rt_global *g, int argc, char **argv);
	const char *summary;
} commands[] = {
    {"create", cmd_create, "create a container (boot its microVM, prepare the workload)"},
    {"start", cmd_start, "start a created container"},
    {"run", cmd_run, "create and start a container, wait for it and delete it"},
    {"state", cmd_state, "print the state of a container as JSON"},
    {"exec", cmd_exec, "run a process in a running container's microVM"},
    {"kill", cmd_kill, "send a signal to a container's workload"},
    {"delete", cmd_delete, "delete a container and everything it made"},
    {"list", cmd_list, "list containers"},
    {"ps", cmd_ps, "list the processes of a container (in its guest)"},
    {"events", cmd_events, "print a container's stats and OOM events as JSON"},
    {"update", cmd_update, "change a container's resource limits"},
    {"pause", cmd_pause, "freeze a container's microVM"},
    {"resume", cmd_resume, "thaw a paused container"},
    {"spec", cmd_spec, "write a starting config.json"},
    {"features", cmd_features, "print the OCI features this runtime supports"},
    {"plan", cmd_plan, "plan a config.json's VM by hand: hyrun-vmm's options, no jail"},
};

/* Whether a command changes containers: those need root (rootless is refused). */
static bool needs_root(const char *name)
{
	static const char *const verbs[] = {"create", "start",	"run",	 "exec",  "kill",
					    "delete", "update", "pause", "resume"};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i], name))
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: hyrun [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
		   "\n"
		   "An OCI runtime that runs each container in its own KVM microVM\n"
		   "(hyrun-vmm), with runc's command line.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n"
		   "Global options:\n"
		   "  --root DIR             state directory (default " HY_DEFAULT_ROOT ")\n"
		   "  --log FILE             write log messages to FILE (errors go to stderr too)\n"
		   "  --log-format FORMAT    text or json (one JSON object per line)\n"
		   "  --log-level LEVEL      debug, info, warn or error (default warn)\n"
		   "  --debug                debug messages (also from hyrun-vmm)\n"
		   "  --systemd-cgroup       refused by create and run: hyrun manages cgroups\n"
		   "                         with cgroupfs only\n"
		   "  -v, --version          print the version\n"
		   "  -h, --help             show this help\n"
		   "\n"
		   "Run 'hyrun COMMAND --help' for a command's options.\n");
}

static void version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("hyrun version %s\n"
	       "spec: %s\n",
	       HYRUN_VERSION, OCI_SPEC_VERSION);
	if (v)
		printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

static int parse_level(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
	    {"debug", LOG_DEBUG}, {"info", LOG_INFO},	{"warn", LOG_WARN},   {"warning", LOG_WARN},
	    {"error", LOG_ERROR}, {"fatal", LOG_ERROR}, {"panic", LOG_ERROR},
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(levels[i].name, s) == 0) {
			*out = levels[i].level;
			return 0;
		}
	return -1;
}

int main(int argc, char **argv)
{
	enum {
		OPT_ROOT = 0x100,
		OPT_LOG,
		OPT_LOG_FORMAT,
		OPT_LOG_LEVEL,
		OPT_DEBUG,
		OPT_SYSTEMD,
		OPT_CRIU,
		OPT_ROOTLESS
	};
	static const struct option opts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
	    {"criu", required_argument, NULL, OPT_CRIU},
	    {"rootless", required_argument, NULL, OPT_ROOTLESS},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rt_global g = {.root = HY_DEFAULT_ROOT};
	const char *log_path = NULL, *log_format = "text";
	enum log_level level = LOG_WARN;
	char err[RT_ERRLEN];
	int c;

	log_init("hyrun", LOG_WARN);
	/* A hook or console peer that goes away must be an error to handle, not our death. */
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			g.root = optarg;
			break;
		case OPT_LOG:
			log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				rt_error("--log-format '%s': must be text or json", optarg);
				return 1;
			}
			log_format = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (parse_level(optarg, &level)) {
				rt_error("--log-level '%s': must be debug, info, warn or error",
					 optarg);
				return 1;
			}
			break;
		case OPT_DEBUG:
			g.debug = true;
			break;
		case OPT_SYSTEMD:
			g.systemd_cgroup = true;
			break;
		case OPT_CRIU:
			break; /* a path to criu: checkpointing is not supported, no verb uses it */
		case OPT_ROOTLESS:
			if (strcmp(optarg, "false") && strcmp(optarg, "auto")) {
				rt_error("--rootless %s: rootless containers are not supported",
					 optarg);
				return 1;
			}
			break;
		case 'v':
			version();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			rt_error("option '%s' needs an argument (see hyrun --help)",
				 argv[optind - 1]);
			return 1;
		default:
			rt_error("unknown global option '%s' (see hyrun --help)", argv[optind - 1]);
			return 1;
		}
	}
	if (g.debug)
		level = LOG_DEBUG;
	rt_log_set_level(level);
	log_init("hyrun", level);
	if (log_path && rt_log_open(log_path, strcmp(log_format, "json") == 0, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	if (g.root[0] != '/') {
		rt_error("--root '%s': must be an absolute path", g.root);
		return 1;
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]) != 0)
			continue;
		if (geteuid() != 0 && needs_root(commands[i].name) &&
		    !(argc > optind + 1 &&
		      (!strcmp(argv[optind + 1], "-h") || !strcmp(argv[optind + 1], "--help")))) {
			rt_error(
			    "%s: rootless containers are not supported: hyrun must run as root "
			    "(each VMM gets a user namespace of host ids from a pool, a cgroup "
			    "and a jail only root can make); use rootful Podman or containerd",
			    commands[i].name);
			return 1;
		}
		argv += optind;
		argc -= optind;
		optind = 0; /* getopt_long() starts over for the verb's own options */
		return commands[i].fn(&g, argc, argv);
	}
	rt_error("unknown command \"%s\" (see hyrun --help)", argv[optind]);
	return 1;
}
