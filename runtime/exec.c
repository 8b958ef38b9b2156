/* exec.c: `hyrun exec`: a process run in a container's guest, represented on the host by a proxy.
 *
 * The process is built as runc builds it: --process FILE (an OCI process
 * JSON), or the container's own process (from the config.json create kept)
 * with the command line's args and its --env, --cwd, --user, --cap, --tty,
 * --no-new-privs applied. It goes to the guest's agent as an "exec" request
 * (agent_msg.h) with the container's seccomp profile; hyrun-init runs it in
 * the container's root, namespaces and cgroup.
 *
 * On the host the process is a proxy: this process (or, with --detach, a
 * child it leaves behind, which the caller, a subreaper, inherits). Its pid
 * goes in --pid-file; it relays stdio, forwards the signals it gets, and
 * exits with the guest process's status (128+N for a signal). Its death
 * closes the agent connection, and the agent then kills the guest process.
 * It joins the container's cgroup, so `ps --format json` lists it and
 * `delete --force` ends it.
 */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/names.h"
#include "oci/spec.h"
#include "runtime/agent.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/plan.h"
#include "runtime/proxy.h"

#define EXEC_MAX_ENV 1024
#define EXEC_MAX_CAPS 64
#define EXEC_MAX_GIDS 64

struct exec_opts {
	const char *process_file;
	const char *console_socket;
	const char *cwd;
	const char *user;
	const char *pid_file;
	const char *env[EXEC_MAX_ENV];
	size_t nr_env;
	const char *caps[EXEC_MAX_CAPS];
	size_t nr_caps;
	const char *gids[EXEC_MAX_GIDS];
	size_t nr_gids;
	bool tty, detach, no_new_privs, ignore_paused;
	char **args;
	int nr_args;
};

/* Signals the proxy passes on to the guest process; SIGWINCH is the terminal's. */
static const int forwarded[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT, SIGUSR1,
				SIGUSR2, SIGCONT, SIGALRM, SIGTSTP};

static const char usage[] =
    "Usage: hyrun exec [options] <container-id> <command> [args...]\n"
    "\n"
    "Run a process in a running container's microVM. The process joins the\n"
    "container's root, namespaces and cgroup inside the guest; on the host it is\n"
    "represented by a proxy process: its pid goes in --pid-file, signals sent to\n"
    "it reach the guest process, its exit status is the guest process's (128+N\n"
    "for a signal), and its death kills the guest process.\n"
    "\n"
    "Options:\n"
    "  -p, --process FILE        the process as OCI process JSON (the options\n"
    "                            below that shape the process are then ignored)\n"
    "  -t, --tty                 give the process a terminal\n"
    "      --console-socket PATH send the terminal's master over this socket\n"
    "      --cwd DIR             the working directory in the container\n"
    "  -e, --env NAME=VALUE      set an environment variable (repeatable)\n"
    "  -u, --user UID[:GID]      the user to run as (numbers)\n"
    "  -g, --additional-gids GID an additional group (repeatable)\n"
    "  -c, --cap CAP             add a capability (repeatable)\n"
    "      --no-new-privs        set no_new_privs for the process\n"
    "  -d, --detach              return once the process runs; the proxy lives on\n"
    "      --pid-file FILE       write the proxy's pid to FILE\n"
    "      --ignore-paused       exec even into a paused container\n"
    "      --preserve-fds N      only 0: host descriptors cannot cross into the VM\n"
    "      --process-label L     accepted; SELinux labels do not apply inside the VM\n"
    "      --apparmor P          accepted; AppArmor profiles do not apply inside the VM\n"
    "  -h, --help                this help\n";

static int parse_opts(int argc, char **argv, struct exec_opts *o)
{
	enum {
		OPT_CONSOLE = 0x100,
		OPT_CWD,
		OPT_NNP,
		OPT_PID,
		OPT_PAUSED,
		OPT_FDS,
		OPT_LABEL,
		OPT_AA
	};
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"console", required_argument, NULL, OPT_CONSOLE},
	    {"cwd", required_argument, NULL, OPT_CWD},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, OPT_NNP},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, OPT_PID},
	    {"ignore-paused", no_argument, NULL, OPT_PAUSED},
	    {"preserve-fds", required_argument, NULL, OPT_FDS},
	    {"process-label", required_argument, NULL, OPT_LABEL},
	    {"apparmor", required_argument, NULL, OPT_AA},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:te:u:g:c:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->process_file = optarg;
			break;
		case 't':
			o->tty = true;
			break;
		case OPT_CONSOLE:
			o->console_socket = optarg;
			break;
		case OPT_CWD:
			o->cwd = optarg;
			break;
		case 'e':
			if (o->nr_env == EXEC_MAX_ENV) {
				rt_error("exec: more than %d --env options", EXEC_MAX_ENV);
				return -1;
			}
			o->env[o->nr_env++] = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'g':
			if (o->nr_gids == EXEC_MAX_GIDS) {
				rt_error("exec: more than %d --additional-gids options",
					 EXEC_MAX_GIDS);
				return -1;
			}
			o->gids[o->nr_gids++] = optarg;
			break;
		case 'c':
			if (o->nr_caps == EXEC_MAX_CAPS) {
				rt_error("exec: more than %d --cap options", EXEC_MAX_CAPS);
				return -1;
			}
			o->caps[o->nr_caps++] = optarg;
			break;
		case OPT_NNP:
			o->no_new_privs = true;
			break;
		case 'd':
			o->detach = true;
			break;
		case OPT_PID:
			o->pid_file = optarg;
			break;
		case OPT_PAUSED:
			o->ignore_paused = true;
			break;
		case OPT_FDS:
			if (strcmp(optarg, "0") != 0) {
				rt_error("exec: --preserve-fds %s: host file descriptors cannot be "
					 "passed into the container's VM",
					 optarg);
				return -1;
			}
			break;
		case OPT_LABEL:
		case OPT_AA:
			rt_debug("exec: %s is accepted and does not apply inside the VM",
				 argv[optind - 1]);
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			rt_error("exec: unknown option '%s' (see hyrun exec --help)",
				 argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc) {
		rt_error("\"exec\" requires a minimum of 1 argument(s) (see hyrun exec --help)");
		return -1;
	}
	o->args = argv + optind + 1;
	o->nr_args = argc - optind - 1;
	if (!o->process_file && o->nr_args == 0) {
		rt_error("exec: a command is required unless --process is given");
		return -1;
	}
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT32_MAX || *s == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Replace NAME=... in env (a JSON array) or append it. */
static int env_set(json_t *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t nlen = eq ? (size_t)(eq - kv) : strlen(kv);
	size_t i;
	json_t *v;

	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);

		if (s && strncmp(s, kv, nlen) == 0 && (s[nlen] == '=' || s[nlen] == '\0'))
			return json_array_set_new(env, i, json_string(kv));
	}
	return json_array_append_new(env, json_string(kv));
}

static int add_cap(json_t *caps, const char *set, const char *name)
{
	json_t *a = json_object_get(caps, set);
	size_t i;
	json_t *v;

	if (!a) {
		a = json_array();
		if (!a || json_object_set_new(caps, set, a))
			return -1;
	}
	json_array_foreach(a, i, v) if (json_string_value(v) &&
					!strcmp(json_string_value(v), name)) return 0;
	return json_array_append_new(a, json_string(name));
}

/* The command line's changes to the container's process (runc's rules). */
static int shape_process(json_t *proc, const struct exec_opts *o, char *err, size_t errlen)
{
	json_t *args = json_array(), *env, *user, *caps;

	if (!args)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	for (int i = 0; i < o->nr_args; i++)
		json_array_append_new(args, json_string(o->args[i]));
	json_object_set_new(proc, "args", args);
	json_object_set_new(proc, "terminal", json_boolean(o->tty));
	if (o->cwd)
		json_object_set_new(proc, "cwd", json_string(o->cwd));
	env = json_object_get(proc, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(proc, "env", env);
	}
	for (size_t i = 0; i < o->nr_env; i++)
		env_set(env, o->env[i]);
	user = json_object_get(proc, "user");
	if (!json_is_object(user)) {
		user = json_object();
		json_object_set_new(proc, "user", user);
	}
	if (o->user) {
		char buf[64];
		char *colon;
		uint32_t uid, gid = 0;

		snprintf(buf, sizeof(buf), "%s", o->user);
		colon = strchr(buf, ':');
		if (colon)
			*colon = '\0';
		if (parse_u32(buf, &uid) || (colon && parse_u32(colon + 1, &gid)))
			return hy_err(err, errlen, -EINVAL,
				      "exec: --user '%s': expected UID[:GID] as numbers (names are "
				      "looked up by the engine, not inside the VM)",
				      o->user);
		json_object_set_new(user, "uid", json_integer(uid));
		json_object_set_new(user, "gid", json_integer(colon ? gid : 0));
	}
	if (o->nr_gids) {
		json_t *g = json_array();

		for (size_t i = 0; i < o->nr_gids; i++) {
			uint32_t gid;

			if (parse_u32(o->gids[i], &gid))
				return hy_err(err, errlen, -EINVAL,
					      "exec: --additional-gids '%s' is not a number",
					      o->gids[i]);
			json_array_append_new(g, json_integer(gid));
		}
		json_object_set_new(user, "additionalGids", g);
	}
	if (o->nr_caps) {
		caps = json_object_get(proc, "capabilities");
		if (!json_is_object(caps)) {
			caps = json_object();
			json_object_set_new(proc, "capabilities", caps);
		}
		for (size_t i = 0; i < o->nr_caps; i++) {
			char name[64];

			snprintf(name, sizeof(name), "%s%s",
				 strncasecmp(o->caps[i], "CAP_", 4) ? "CAP_" : "", o->caps[i]);
			for (char *p = name; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			if (add_cap(caps, "bounding", name) || add_cap(caps, "effective", name) ||
			    add_cap(caps, "permitted", name))
				return hy_err(err, errlen, -ENOMEM, "out of memory");
		}
	}
	if (o->no_new_privs)
		json_object_set_new(proc, "noNewPrivileges", json_true());
	return 0;
}

/*
 * The exec's guest configuration: the container's config.json with its
 * process replaced, parsed as a spec (the same checks as at create), then
 * planned into process and seccomp. *terminal: the process's.
 */
static char *exec_config(const struct container *c, const struct exec_opts *o, bool *terminal,
			 char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;
	json_t *doc, *proc;
	struct oci_spec spec;
	char *text;

	snprintf(path, sizeof(path), "%s/%s", c->dir, HY_CONFIG_FILE);
	doc = json_load_file(path, 0, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		hy_err(err, errlen, -EINVAL, "the container's config.json (%s): %s", path, je.text);
		return NULL;
	}
	if (o->process_file) {
		proc = json_load_file(o->process_file, 0, &je);
		if (!json_is_object(proc)) {
			json_decref(proc);
			json_decref(doc);
			hy_err(err, errlen, -EINVAL, "exec: --process %s: %s", o->process_file,
			       json_is_object(proc) || je.text[0] ? je.text : "not a JSON object");
			return NULL;
		}
	} else {
		proc = json_deep_copy(json_object_get(doc, "process"));
		if (!proc)
			proc = json_object();
		if (shape_process(proc, o, err, errlen) < 0) {
			json_decref(proc);
			json_decref(doc);
			return NULL;
		}
	}
	json_object_set_new(doc, "process", proc);
	if (oci_spec_from_json(&spec, doc, 0, err, errlen) < 0)
		return NULL;
	*terminal = spec.terminal;
	text = plan_exec_config(&spec, err, errlen);
	oci_spec_free(&spec);
	return text;
}

/* --- the proxy ------------------------------------------------------------------------ */

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The proxy joins the container's cgroup (best effort: ps --format json lists it). */
static void join_cgroup(const struct container *c)
{
	struct cgroup *cg;
	char err[RT_ERRLEN];

	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, sizeof(err)))
		return;
	if (cgroup_enter(cg, getpid(), err, sizeof(err)))
		rt_debug("exec: the proxy stays out of the container's cgroup: %s", err);
	cgroup_free(cg);
}

static int write_pid_file(const char *path, pid_t pid)
{
	char err[RT_ERRLEN];

	if (rt_write_pid_file(path, pid, err, sizeof(err))) {
		rt_error("%s", err);
		return -1;
	}
	return 0;
}

static int do_exec(struct rt_global *g, const char *id, const struct exec_opts *o)
{
	struct container *c;
	struct agent_request req = {.op = AGENT_OP_EXEC};
	struct agent_reply rep;
	struct proxy p = {.conn = -1,
			  .in = STDIN_FILENO,
			  .out = STDOUT_FILENO,
			  .err = STDERR_FILENO,
			  .term = -1,
			  .sfd = -1};
	char err[RT_ERRLEN];
	enum oci_status status;
	bool terminal = false;
	int slave = -1, r;
	pid_t child;

	if (container_open(g->root, id, CONTAINER_LOCK_READ, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return 255;
	}
	status = container_status(c);
	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		rt_error("cannot exec in a stopped container");
		goto fail;
	}
	if (status == OCI_STATUS_PAUSED && !o->ignore_paused) {
		rt_error("cannot exec in a paused container (use --ignore-paused to override)");
		goto fail;
	}
	req.config = exec_config(c, o, &terminal, err, sizeof(err));
	if (!req.config) {
		rt_error("%s", err);
		goto fail;
	}
	req.config_len = strlen(req.config);
	if (terminal && o->detach && !o->console_socket) {
		rt_error("cannot allocate tty if hyrun will detach without setting console socket");
		goto fail;
	}
	if (!terminal && o->console_socket) {
		rt_error("cannot use console socket if hyrun will not allocate tty");
		goto fail;
	}
	if (terminal && o->console_socket) {
		slave = console_send_pty(o->console_socket, err, sizeof(err));
		if (slave < 0) {
			rt_error("%s", err);
			goto fail;
		}
	}
	p.conn = agent_connect(c, err, sizeof(err));
	if (p.conn < 0) {
		rt_error("exec: %s", err);
		goto fail;
	}
	r = agent_call(p.conn, &req, &rep, err, sizeof(err));
	free((char *)req.config);
	req.config = NULL;
	if (r < 0) {
		rt_error("exec: %s", err);
		goto fail;
	}
	if (!rep.ok) {
		int st = rep.has_status ? rep.status : 255;

		rt_error("exec failed: %s", rep.error);
		agent_reply_free(&rep);
		close(p.conn);
		if (slave >= 0)
			close(slave);
		container_close(c);
		return st ? st : 255;
	}
	rt_debug("exec: guest pid %d", rep.pid);
	agent_reply_free(&rep);

	if (o->detach) {
		child = fork();
		if (child < 0) {
			rt_error("exec: fork: %s", strerror(errno));
			goto fail;
		}
		if (child > 0) {
			/* The caller (conmon, the shim) is a subreaper and inherits the proxy. */
			r = o->pid_file ? write_pid_file(o->pid_file, child) : 0;
			if (r < 0)
				kill(child, SIGKILL);
			close(p.conn);
			if (slave >= 0)
				close(slave);
			container_close(c);
			return r < 0 ? 255 : 0;
		}
		setsid();
	} else if (o->pid_file && write_pid_file(o->pid_file, getpid()) < 0) {
		goto fail;
	}
	join_cgroup(c);
	container_close(c);
	c = NULL;

	if (slave >= 0) {
		/* The console socket's master is the client's terminal; the slave is
		 * ours, raw (the guest's pty does the line discipline), and our
		 * controlling terminal, so its size changes reach us as SIGWINCH. */
		struct termios t;

		if (!o->detach)
			setsid();
		ioctl(slave, TIOCSCTTY, 0);
		if (tcgetattr(slave, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(slave, TCSANOW, &t);
		}
		p.in = p.out = p.err = p.term = slave;
	} else if (terminal && isatty(STDIN_FILENO)) {
		struct termios t;

		p.term = STDIN_FILENO;
		if (tcgetattr(STDIN_FILENO, &p.saved) == 0) {
			t = p.saved;
			cfmakeraw(&t);
			p.raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
		}
	}
	p.sfd = block_signals();
	signal(SIGPIPE, SIG_IGN);
	if (p.sfd < 0) {
		rt_error("exec: signalfd: %s", strerror(errno));
		proxy_restore_term(&p);
		return 255;
	}
	r = proxy_run(&p);
	close(p.conn);
	return r;
fail:
	free((char *)req.config);
	if (p.conn >= 0)
		close(p.conn);
	if (slave >= 0)
		close(slave);
	if (c)
		container_close(c);
	return 255;
}

int cmd_exec(struct rt_global *g, int argc, char **argv)
{
	struct exec_opts o = {0};
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r > 0 ? 0 : 1;
	return do_exec(g, argv[optind], &o);
}
