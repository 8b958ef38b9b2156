/* test_runtime_signals.c: signal names and numbers as `hyrun kill` takes them. */
#include <criterion/criterion.h>

#include <signal.h>

#include "runtime/signals.h"

Test(runtime_signals, names_with_and_without_sig)
{
	cr_assert_eq(signal_parse("TERM"), SIGTERM);
	cr_assert_eq(signal_parse("SIGTERM"), SIGTERM);
	cr_assert_eq(signal_parse("sigkill"), SIGKILL);
	cr_assert_eq(signal_parse("hup"), SIGHUP);
	cr_assert_eq(signal_parse("SIGWINCH"), SIGWINCH);
	cr_assert_eq(signal_parse("USR2"), SIGUSR2);
	cr_assert_eq(signal_parse("CHLD"), SIGCHLD);
	cr_assert_eq(signal_parse("SIGCLD"), SIGCHLD);
}

Test(runtime_signals, numbers)
{
	cr_assert_eq(signal_parse("9"), 9);
	cr_assert_eq(signal_parse("15"), 15);
	cr_assert_eq(signal_parse("1"), 1);
	cr_assert_eq(signal_parse("64"), 64);
	cr_assert_eq(signal_parse("0"), -1, "0 is no signal to deliver");
	cr_assert_eq(signal_parse("65"), -1);
	cr_assert_eq(signal_parse("-9"), -1);
	cr_assert_eq(signal_parse("9x"), -1);
	cr_assert_eq(signal_parse("99999999999999999999"), -1);
}

Test(runtime_signals, realtime)
{
	cr_assert_eq(signal_parse("RTMIN"), 32);
	cr_assert_eq(signal_parse("SIGRTMIN+3"), 35);
	cr_assert_eq(signal_parse("RTMAX"), 64);
	cr_assert_eq(signal_parse("SIGRTMAX-1"), 63);
	cr_assert_eq(signal_parse("RTMAX-32"), 32);
	cr_assert_eq(signal_parse("RTMIN+33"), -1, "beyond SIGRTMAX");
	cr_assert_eq(signal_parse("RTMIN-1"), -1);
	cr_assert_eq(signal_parse("RTMAX+1"), -1);
	cr_assert_eq(signal_parse("RTMIN+"), -1);
}

Test(runtime_signals, garbage)
{
	cr_assert_eq(signal_parse(""), -1);
	cr_assert_eq(signal_parse("SIG"), -1);
	cr_assert_eq(signal_parse("FOO"), -1);
	cr_assert_eq(signal_parse("SIGSIGTERM"), -1);
	cr_assert_eq(signal_parse(" TERM"), -1);
}

Test(runtime_signals, name_of_number)
{
	cr_assert_str_eq(signal_name(SIGTERM), "SIGTERM");
	cr_assert_str_eq(signal_name(SIGKILL), "SIGKILL");
	cr_assert_null(signal_name(0));
	cr_assert_null(signal_name(40));
}
