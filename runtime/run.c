/* run.c: `hyrun run`: create + start, then wait for the VM, pass signals on, delete. */
#include "runtime/lifecycle.h"

#include <errno.h>
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
	struct create_opts o;
	sigset_t set, old;
	pid_t vmm;
	int status, r = create_parse_args(g, true, argc, argv, &o);

	if (r)
		return r < 0;
	o.own_tty = !o.detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);

	/* The VMM must become our child even behind the jail's pid namespace. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (container_create(g, &o, &vmm))
		return 1;
	/* Held from here on, so that none is lost before the wait loop reads them. */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (!o.detach)
		sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (container_start(g, o.id)) {
		container_delete(g, o.id, true);
		return 1;
	}
	if (o.detach)
		return 0;
	status = wait_vmm(vmm, &set);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!o.keep && container_delete(g, o.id, true))
		return 1;
	if (status == -1)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
