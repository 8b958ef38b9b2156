/* run.c: `hyrun run`: create + start, then wait for the VM, pass signals on, delete. */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* What `hyrun run` passes on to hyrun-vmm, which passes them on to the workload. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* Wait for the VMM, our child (we are a subreaper); pass signals on. Its wait status. */
static int wait_vmm(pid_t vmm, const sigset_t *set)
{
	int sfd = signalfd(-1, set, SFD_CLOEXEC), status = 0;

	if (sfd < 0) {
		rt_error("signalfd: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct signalfd_siginfo si;
		pid_t p;

		/* Reap whatever has ended: the VMM, and any process of the jail or of a
		 * hook reparented to us. */
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == vmm)
				goto done;
		if (p < 0 && errno == ECHILD) {
			rt_error("hyrun-vmm (pid %d) is not a child of hyrun run", (int)vmm);
			status = -1;
			goto done;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if ((int)si.ssi_signo != SIGCHLD) {
			rt_debug("passing signal %u on to hyrun-vmm", si.ssi_signo);
			kill(vmm, (int)si.ssi_signo);
		}
	}
done:
	close(sfd);
	return status;
}

int cmd_run(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, 'K'},
	    {"no-pivot", no_argument, NULL, 'n'},
	    {"no-new-keyring", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct create_opts o = {0};
	bool detach = false, keep = false;
	sigset_t set, old;
	pid_t vmm;
	int c, status;

	if (g->systemd_cgroup) {
		rt_error("--systemd-cgroup: the systemd cgroup manager is not supported; use the "
			 "cgroupfs manager");
		return 1;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'f':
			if (parse_preserve_fds(optarg, &o.preserve_fds))
				return 1;
			break;
		case 'd':
			detach = true;
			break;
		case 'K':
			keep = true;
			break;
		case 'n':
		case 'k':
			break;
		case 'h':
			printf(
			    "Usage: hyrun run [OPTIONS] CONTAINER_ID\n"
			    "\n"
			    "Create and start a container, wait for it, delete it and exit with\n"
			    "the workload's status (128+N when a signal N ended it).\n"
			    "SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to hyrun\n"
			    "run are passed on to the workload.\n"
			    "\n"
			    "Options: those of create, and\n"
			    "  -d, --detach   return once the container is started\n"
			    "  --keep         do not delete the container when it exits\n"
			    "A process.terminal container without --console-socket uses hyrun's\n"
			    "own terminal (in the foreground only).\n");
			return 0;
		case ':':
			rt_error("run: option '%s' needs an argument", argv[optind - 1]);
			return 1;
		default:
			rt_error("run: unknown option '%s' (see hyrun run --help)",
				 argv[optind - 1]);
			return 1;
		}
	}
	if (rt_want_args("run", argc, optind, 1))
		return 1;
	o.id = argv[optind];
	o.own_tty = !detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);

	/* The VMM must become our child even behind the jail's pid namespace. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (container_create(g, &o, &vmm))
		return 1;
	/* Held from here on, so that none is lost before the wait loop reads them. */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (!detach)
		sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (container_start(g, o.id)) {
		container_delete(g, o.id, true);
		return 1;
	}
	if (detach)
		return 0;
	status = wait_vmm(vmm, &set);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!keep && container_delete(g, o.id, true))
		return 1;
	if (status == -1)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
