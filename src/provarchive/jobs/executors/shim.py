"""The runner shim: the process the local executor starts for every job.

It runs as ``python -I shim.py STATUS TIMEOUT GRACE -- ARGV...``, imports only the
standard library (it must start in a few milliseconds) and:

1. starts ARGV in a new process group of its own (so it can be killed as a whole),
   writing the child's pid to ``STATUS.pid``;
2. enforces the execution duration: after TIMEOUT seconds (0 = never) it sends
   SIGTERM to the job's group, then SIGKILL after GRACE seconds;
3. writes the exit status as JSON to STATUS (via a temporary name and a rename).

Because the status is a file, a restarted service can tell how a job ended even when
the service was down at that moment; the job database stays the source of truth.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time


def _write_status(path, status):
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(status, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _kill_group(pgid, sig):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def main(argv):
    status_path, timeout, grace = argv[1], float(argv[2]), float(argv[3])
    command = argv[5:]
    started = time.time()
    try:
        child = subprocess.Popen(command, process_group=0, close_fds=True)
    except OSError as exc:
        _write_status(
            status_path,
            {"exit_code": 127, "signal": None, "timed_out": False, "message": f"cannot start {command[0]!r}: {exc}"},
        )
        return 127
    with open(status_path + ".pid.tmp", "w") as handle:
        handle.write(str(child.pid))
    os.replace(status_path + ".pid.tmp", status_path + ".pid")  # readers never see it half written

    def forward_termination(signum, frame):
        # The service (or an operator) asked the shim to stop: stop the job's whole group too.
        _kill_group(child.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, forward_termination)
    timed_out = False
    try:
        code = child.wait(timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(child.pid, signal.SIGTERM)
        try:
            code = child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _kill_group(child.pid, signal.SIGKILL)
            code = child.wait()
    # Whatever the job left running in its group must not outlive it.
    _kill_group(child.pid, signal.SIGKILL)
    status = {
        "exit_code": code if code >= 0 else None,
        "signal": -code if code < 0 else None,
        "timed_out": timed_out,
        "start": started,
        "end": time.time(),
        "message": None,
    }
    _write_status(status_path, status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
