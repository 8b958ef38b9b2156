#!/usr/bin/env python3
"""tests/integration/vmctl.py: run hyrun-vmm in create mode and/or on a terminal, step by step.

Usage: vmctl.py [--create] [--tty ROWS COLS] [--timeout S] STEP... -- VMM [ARG...]

  --create         make a listening AF_UNIX socket and a pipe, and insert
                   "--control-fd N --ready-fd M" after VMM
  --tty ROWS COLS  run VMM in a new session with stdin and stdout on a new pty of
                   that size (the way a runtime hands it a console)
  --timeout S      how long a step may wait (default 90)

VMM's stdout (the pty's output with --tty) is copied to ours as it comes; its
stderr is ours. The steps, in order:
  ready             the ready pipe gives "ready\\n" and is closed
  noready           the ready pipe is closed without a line
  send REQ WANT     one connection to the control socket: REQ and a newline
                    out; the reply must start with WANT
  out TEXT          wait until the output contains TEXT
  noout TEXT        the output so far does not contain TEXT
  absent PATH       PATH does not exist
  present PATH      PATH exists
  sleep S           wait S seconds
  type TEXT         write TEXT (Python escapes: \\x03 is ^C) to the terminal
  winsize R C       resize the terminal (its foreground process group gets SIGWINCH)
Then VMM's end is awaited. Exit status: VMM's (128+N when a signal killed it), or
99 when a step failed (VMM is then killed).
"""
import codecs
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

ARITY = {"ready": 0, "noready": 0, "send": 2, "out": 1, "noout": 1, "absent": 1,
         "present": 1, "sleep": 1, "type": 1, "winsize": 2}


class StepFailed(Exception):
    pass


def log(text):
    sys.stderr.write("vmctl: %s\n" % text)
    sys.stderr.flush()


class Output:
    """Everything read from fd, copied to our stdout as it comes."""

    def __init__(self, fd):
        self.fd = fd
        self.data = b""
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # EIO: a pty whose slave is closed everywhere
                chunk = b""
            if chunk:
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
            with self.cond:
                if not chunk:
                    self.fd = -1
                    self.cond.notify_all()
                    return
                self.data += chunk
                self.cond.notify_all()

    def wait_for(self, text, timeout):
        want = text.encode()
        end = time.monotonic() + timeout
        with self.cond:
            while want not in self.data:
                left = end - time.monotonic()
                if self.fd < 0 or left <= 0:
                    raise StepFailed("no '%s' in the output%s" % (
                        text, " (it ended)" if self.fd < 0 else " after %g s" % timeout))
                self.cond.wait(left)

    def has(self, text):
        with self.cond:
            return text.encode() in self.data


def read_ready(fd, timeout):
    data = b""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise StepFailed("the ready pipe stayed silent for %g s" % timeout)
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 64)
        if not chunk:
            return data
        data += chunk


def request(path, line, timeout):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return reply.decode(errors="replace")
            reply += chunk


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main(argv):
    create = False
    tty = None
    timeout = 90.0
    steps = []
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a == "--create":
            create = True
            i += 1
        elif a == "--tty":
            tty = (int(argv[i + 1]), int(argv[i + 2]))
            i += 3
        elif a == "--timeout":
            timeout = float(argv[i + 1])
            i += 2
        elif a in ARITY:
            n = ARITY[a]
            if i + n >= len(argv):
                sys.exit("vmctl: step %s needs %d argument(s)" % (a, n))
            steps.append((a, argv[i + 1:i + 1 + n]))
            i += 1 + n
        else:
            sys.exit("vmctl: unknown step or option '%s'" % a)
    cmd = argv[i + 1:]
    if not cmd:
        sys.exit("vmctl: no command after --")

    keep = []
    tmp = sock_path = lsock = ready_r = None
    if create:
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Not every file system takes a socket (9p does not): /run first, a tmpfs
        # in the test host as on most machines.
        for base in ("/run", None):
            try:
                tmp = tempfile.mkdtemp(prefix="vmctl.", dir=base)
            except OSError:
                continue
            sock_path = os.path.join(tmp, "ctl.sock")
            try:
                lsock.bind(sock_path)
                break
            except OSError as e:
                os.rmdir(tmp)
                tmp = None
                if base is None:
                    sys.exit("vmctl: cannot bind a socket in a temporary directory: %s" % e)
        lsock.listen(16)
        ready_r, ready_w = os.pipe()
        keep = [lsock.fileno(), ready_w]
        cmd = cmd[:1] + ["--control-fd", str(lsock.fileno()), "--ready-fd", str(ready_w)] + cmd[1:]
    if tty:
        master, slave = os.openpty()
        set_winsize(master, *tty)
        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, pass_fds=keep,
                                start_new_session=True)
        os.close(slave)
        out = Output(master)
    else:
        master = None
        rd, wr = os.pipe()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=wr, pass_fds=keep)
        os.close(wr)
        out = Output(rd)
    if create:
        os.close(ready_w)
        lsock.close()  # the VMM has its own copy; connect() goes by the path

    status = 0
    try:
        for name, args in steps:
            log("%s %s" % (name, " ".join(repr(a) for a in args)))
            if name in ("ready", "noready"):
                got = read_ready(ready_r, timeout)
                want = b"ready\n" if name == "ready" else b""
                if got != want:
                    raise StepFailed("the ready pipe gave %r, expected %r" % (got, want))
            elif name == "send":
                reply = request(sock_path, args[0], timeout)
                log("  reply %r" % reply)
                if not reply.startswith(args[1]) or not reply.endswith("\n"):
                    raise StepFailed("reply %r to %r does not start with %r" % (
                        reply, args[0], args[1]))
            elif name == "out":
                out.wait_for(args[0], timeout)
            elif name == "noout":
                if out.has(args[0]):
                    raise StepFailed("'%s' is in the output already" % args[0])
            elif name == "absent":
                if os.path.lexists(args[0]):
                    raise StepFailed("%s exists" % args[0])
            elif name == "present":
                if not os.path.lexists(args[0]):
                    raise StepFailed("%s does not exist" % args[0])
            elif name == "sleep":
                time.sleep(float(args[0]))
            elif name == "type":
                os.write(master, codecs.decode(args[0], "unicode_escape").encode("latin-1"))
            elif name == "winsize":
                set_winsize(master, int(args[0]), int(args[1]))
        rc = proc.wait()
        status = 128 - rc if rc < 0 else rc
    except (StepFailed, OSError) as e:
        log("step failed: %s" % e)
        proc.kill()
        proc.wait()
        status = 99
    out.thread.join(10)
    if tmp:
        os.unlink(sock_path)
        os.rmdir(tmp)
    log("hyrun-vmm exit status %d" % status)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
