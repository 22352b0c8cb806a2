"""The local executor: one subprocess per job on this host, a fixed number of slots.

Each job runs under the runner shim (:mod:`.shim`) in a new session, with an argv
list (never a shell), a clean environment and its own working directory. stdout and
stderr go to files. A dispatcher thread takes QUEUED jobs oldest first while slots are
free, so QUEUED is a real queue; it is woken at once when a job is queued in this
process and polls the database otherwise (jobs queued by another server process).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..models import Job
from .base import ExecutionHost, Executor, LaunchSpec, Outcome

__all__ = ["LocalExecutor", "child_pid_path", "process_start_time", "read_outcome"]

log = logging.getLogger("provarchive.jobs.local")
SHIM = str(Path(__file__).with_name("shim.py"))


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None.

    Stored with the pid so that a restarted service never mistakes a new process
    that reuses the pid for the job's own.
    """
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
        if fields[0] == "Z":  # a zombie has finished
            return None
        return float(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def child_pid_path(status_path: str) -> Path:
    """Where the shim writes the job's own pid, as soon as it has started the job (shim.py)."""
    return Path(status_path + ".pid")


def read_outcome(status_path: str) -> Outcome | None:
    """The outcome the shim wrote, or None if it wrote none."""
    try:
        with open(status_path) as handle:
            status = json.load(handle)
    except (OSError, ValueError):
        return None
    return Outcome(
        exit_code=status.get("exit_code"),
        signal=status.get("signal"),
        timed_out=bool(status.get("timed_out")),
        message=status.get("message"),
    )


class LocalExecutor(Executor):
    """Runs jobs as local subprocesses, at most ``slots`` slots' worth at a time."""

    def __init__(self, slots: int = 2, *, poll_interval_s: float = 0.5, grace_s: float = 5.0) -> None:
        self.slots = max(1, slots)
        self.poll_interval_s = poll_interval_s
        self.grace_s = grace_s
        self._host: ExecutionHost | None = None
        self._used = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict[str, tuple[int, str]] = {}  # job id → (pid, status path)
        self._warm: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ interface

    def start(self, host: ExecutionHost) -> None:
        self._host = host
        threading.Thread(target=self._prepare_warm_shim, daemon=True).start()
        self._thread = threading.Thread(target=self._dispatch_loop, name="jobs-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def abort(self, job: Job) -> None:
        """Kill the job's whole process group and its shim (SIGKILL: ABORT is not negotiable)."""
        with self._lock:
            entry = self._running.get(job.id)
        if entry is not None:
            self._kill(*entry)
        elif job.pid and job.process_start is not None and process_start_time(job.pid) == job.process_start:
            self._kill(job.pid, str(Path(job.workdir or ".").parent / "exit.json"))  # adopted after a restart

    @staticmethod
    def _kill(shim_pid: int, status_path: str) -> None:
        """SIGKILL the job's own process group, then the shim's (its session)."""
        deadline = time.monotonic() + 1.0
        child = None
        while child is None and time.monotonic() < deadline:
            try:
                child = int(child_pid_path(status_path).read_text())
            except (OSError, ValueError):
                if process_start_time(shim_pid) is None:
                    break
                time.sleep(0.005)  # the shim has not started the job yet
        for group in (child, shim_pid):
            if group:
                with contextlib.suppress(OSError):
                    os.killpg(group, signal.SIGKILL)

    def adopt(self, job: Job) -> bool:
        if not job.pid or job.process_start is None or process_start_time(job.pid) != job.process_start:
            return False
        status_path = str(Path(job.workdir or ".").parent / "exit.json")
        with self._lock:
            self._used += 1
            self._running[job.id] = (job.pid, status_path)
        threading.Thread(
            target=self._watch_adopted, args=(job.id, job.pid, job.process_start, status_path), daemon=True
        ).start()
        return True

    def shutdown(self, *, wait: bool = False) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            spare, self._warm = self._warm, None
        if spare is not None:
            self._retire(spare)
        if wait and self._thread is not None:
            self._thread.join(timeout=5)

    # ------------------------------------------------------------------- internals

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()
            try:
                self._fill_slots()
            except Exception:  # the loop must survive a database hiccup
                log.exception("job dispatcher failed; retrying")
                time.sleep(self.poll_interval_s)

    def _fill_slots(self) -> None:
        assert self._host is not None
        while not self._stop.is_set():
            with self._lock:
                free = self.slots - self._used
            if free <= 0:
                return
            head = self._host.next_queued()
            if head is None:
                return
            job_id, needed = head
            needed = min(needed, self.slots)
            if needed > free:
                return  # the oldest job waits for enough slots; FIFO order is kept
            spec = self._host.claim(job_id)
            if spec is None:
                continue  # another process took it
            with self._lock:
                self._used += needed
            self._launch(spec, needed)

    def _launch(self, spec: LaunchSpec, slots: int) -> None:
        assert self._host is not None
        try:
            for path, text in spec.files.items():
                Path(path).write_text(text)
            Path(spec.stdout_path).touch()  # marks "launch began" for restart reconciliation
            process = self._take_warm_shim()
            job = {
                "status": spec.status_path,
                "timeout": spec.execution_duration,
                "grace": self.grace_s,
                "argv": spec.argv,
                "cwd": spec.cwd,
                "env": spec.env,
                "stdout": spec.stdout_path,
                "stderr": spec.stderr_path,
            }
            assert process.stdin is not None
            process.stdin.write(json.dumps(job).encode() + b"\n")
            process.stdin.close()
        except OSError as exc:
            self._release(spec.job_id, slots)
            self._host.finished(spec.job_id, Outcome(exit_code=None, lost=True, message=f"could not start: {exc}"))
            return
        with self._lock:
            self._running[spec.job_id] = (process.pid, spec.status_path)
        threading.Thread(target=self._wait_child, args=(spec, process, slots), daemon=True).start()
        if not self._host.started(spec.job_id, process.pid, process_start_time(process.pid)):
            # Aborted between the claim and now: abort() found no process to kill then.
            self._kill(process.pid, spec.status_path)

    def _start_shim(self) -> subprocess.Popen[bytes]:
        """A runner shim in its own session, waiting on stdin for a job (see shim.warm)."""
        return subprocess.Popen(
            [sys.executable, "-I", "-S", SHIM, "--warm"],
            env={"PATH": os.defpath, "LANG": "C.UTF-8"},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )

    def _take_warm_shim(self) -> subprocess.Popen[bytes]:
        """The ready shim (or a new one), with a replacement started in the background."""
        with self._lock:
            process, self._warm = self._warm, None
        if process is None or process.poll() is not None:
            process = self._start_shim()
        if not self._stop.is_set():
            threading.Thread(target=self._prepare_warm_shim, daemon=True).start()
        return process

    def _prepare_warm_shim(self) -> None:
        fresh = self._start_shim()
        with self._lock:
            spare, self._warm = self._warm, fresh
        if spare is not None:
            self._retire(spare)

    @staticmethod
    def _retire(process: subprocess.Popen[bytes]) -> None:
        """An unused warm shim exits when its stdin closes without a job."""
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        threading.Thread(target=process.wait, daemon=True).start()

    def _wait_child(self, spec: LaunchSpec, process: subprocess.Popen[bytes], slots: int) -> None:
        code = process.wait()
        outcome = read_outcome(spec.status_path)
        if outcome is None:
            reason = f"signal {-code}" if code < 0 else f"status {code}"
            outcome = Outcome(
                exit_code=None, lost=True, message=f"the job's runner ended ({reason}) without recording an exit status"
            )
        self._complete(spec.job_id, outcome, slots)

    def _watch_adopted(self, job_id: str, pid: int, started: float, status_path: str) -> None:
        while process_start_time(pid) == started:
            time.sleep(0.2)
        outcome = read_outcome(status_path) or Outcome(
            exit_code=None, lost=True, message="the job's process ended without recording an exit status"
        )
        self._complete(job_id, outcome, 1)

    def _complete(self, job_id: str, outcome: Outcome, slots: int) -> None:
        assert self._host is not None
        try:
            self._host.finished(job_id, outcome)
        except Exception:
            log.exception("finishing job %s failed", job_id)
        finally:
            self._release(job_id, slots)
            self._wake.set()

    def _release(self, job_id: str, slots: int) -> None:
        with self._lock:
            self._used -= slots
            self._running.pop(job_id, None)
