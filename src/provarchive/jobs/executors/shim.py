"""The runner shim: the process the local executor starts for every job.

It runs as ``python -I -S shim.py STATUS TIMEOUT GRACE -- ARGV...`` and imports only
built-in modules (os, signal, sys, time: no ``subprocess``, no ``json``, no site), so
it starts in a few milliseconds. With ``--warm`` it is started *before* a job exists
and waits for one JSON line on stdin (status, timeout, grace, argv, cwd, env, stdout,
stderr): the executor keeps one such process ready, so Python's start-up is off the
job's critical path. Either way it:

1. spawns ARGV in a new process group of its own (so it can be killed as a whole),
   writing the child's pid to ``STATUS.pid``;
2. enforces the execution duration: after TIMEOUT seconds (0 = never) it sends
   SIGTERM to the job's group, then SIGKILL after GRACE seconds;
3. writes the exit status as JSON to STATUS (via a temporary name and a rename).

Because the status is a file, a restarted service can tell how a job ended even when
the service was down at that moment; the job database stays the source of truth.
"""

import os
import signal
import sys
import time


class _Alarm(Exception):
    """Raised by the SIGALRM handler to interrupt the wait."""


def _on_alarm(signum, frame):
    raise _Alarm()


def _write(path, text):
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)  # readers see the old file or the whole new one


def _json_text(value):
    if value is None:
        return "null"
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in str(value))
    return '"' + escaped + '"'


def _write_status(path, exit_code, signal_number, timed_out, started, message=None):
    code = "null" if exit_code is None else int(exit_code)
    number = "null" if signal_number is None else int(signal_number)
    flag = "true" if timed_out else "false"
    _write(
        path,
        f'{{"exit_code": {code}, "signal": {number}, "timed_out": {flag}, "start": {started!r}, '
        f'"end": {time.time()!r}, "message": {_json_text(message)}}}',
    )


def _kill_group(pgid, sig):
    try:  # noqa: SIM105 - contextlib would add milliseconds to every job's start
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(pid, seconds):
    """waitpid with a time limit (0 = none); None when the time ran out."""
    if seconds > 0:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return os.waitpid(pid, 0)[1]
    except _Alarm:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def warm():
    """Wait for a job on stdin, take on its directory, environment and logs, then run it."""
    import json

    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the service went away or shut down before giving a job
    job = json.loads(line)
    os.chdir(job["cwd"])
    for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return run(job["status"], float(job["timeout"]), float(job["grace"]), job["argv"], job["env"])


def main(argv):
    if argv[1:2] == ["--warm"]:
        return warm()
    return run(argv[1], float(argv[2]), float(argv[3]), argv[5:], dict(os.environ))


def run(status_path, timeout, grace, command, env):
    started = time.time()
    try:
        pid = os.posix_spawnp(command[0], command, env, setpgroup=0)
    except OSError as exc:
        _write_status(status_path, 127, None, False, started, f"cannot start {command[0]!r}: {exc.strerror}")
        return 127
    _write(status_path + ".pid", str(pid))  # where local.child_pid_path looks
    # The service (or an operator) asked the shim to stop: stop the job's whole group too.
    signal.signal(signal.SIGTERM, lambda signum, frame: _kill_group(pid, signal.SIGKILL))
    signal.signal(signal.SIGALRM, _on_alarm)
    timed_out = False
    status = _wait(pid, timeout)
    if status is None:
        timed_out = True
        _kill_group(pid, signal.SIGTERM)
        status = _wait(pid, grace)
        if status is None:
            _kill_group(pid, signal.SIGKILL)
            status = _wait(pid, 0)
    _kill_group(pid, signal.SIGKILL)  # whatever the job left running in its group must not outlive it
    code = os.waitstatus_to_exitcode(status)
    _write_status(status_path, code if code >= 0 else None, -code if code < 0 else None, timed_out, started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
