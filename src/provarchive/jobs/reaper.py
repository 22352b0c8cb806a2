"""Job destruction and restart reconciliation: the job database stays the truth.

* :func:`reconcile` runs at every start. An EXECUTING job whose process still runs
  (same pid *and* same process start time) is adopted; one whose process ended while
  the service was down is finished from the exit status the runner shim wrote; one
  that left no status ends in ERROR with a reason. QUEUED jobs simply stay queued and
  the executor takes them.
* :class:`Reaper` deletes jobs past their destruction time: files and rows go, but
  the provenance of their results stays in the archive, marked invalidated.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from typing import TYPE_CHECKING

from .executors.base import Outcome
from .executors.local import child_pid_path, process_start_time, read_outcome
from .models import Job, utc_ms
from .phases import Phase

if TYPE_CHECKING:  # pragma: no cover
    from .service import JobService

__all__ = ["reconcile", "destroy", "Reaper"]

log = logging.getLogger("provarchive.jobs.reaper")


def runner_identity(pid: int | None = None) -> str:
    """``host:pid:start-time`` of a process (this one by default): who claimed a job."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{process_start_time(pid)}"


def _claimed_by_live_service(job: Job) -> bool:
    """True when another service process that is still running claimed the job (or another host did)."""
    if not job.runner:
        return False
    host, _, rest = job.runner.partition(":")
    if host != socket.gethostname():
        return True  # only that host can see its processes
    pid_text = rest.partition(":")[0]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    return runner_identity(int(pid_text)) == job.runner


def reconcile(service: JobService) -> dict[str, int]:
    """Bring EXECUTING jobs of a previous run to a correct phase; counts by what was done.

    Jobs claimed by another service process that is still running (several processes
    may serve one database) are left to it.
    """
    counts = {"adopted": 0, "finished": 0, "lost": 0, "requeued": 0}
    for job in service.store.jobs_in_phase(Phase.EXECUTING):
        if _claimed_by_live_service(job):
            continue
        if job.pid is None and not (service.job_dir(job) / "stdout.txt").exists():
            # Claimed but never launched (the launch opens stdout first): nothing ran, queue it again.
            if service.store.update_job(job.id, expected=[Phase.EXECUTING], phase=Phase.QUEUED, start_time=None):
                counts["requeued"] += 1
            continue
        if service.executor.adopt(job):
            service.store.update_job(job.id, runner=service.runner_id)
            counts["adopted"] += 1
            continue
        status_path = str(service.job_dir(job) / "exit.json")
        outcome = read_outcome(status_path)
        if outcome is not None:
            counts["finished"] += 1
        else:
            counts["lost"] += 1
            outcome = Outcome(
                exit_code=None,
                lost=True,
                message=(
                    "the service stopped while this job was running and its process is gone "
                    "without an exit status (killed with the service or by the system)"
                    # the shim's pid file: started, though the service died before storing the pid
                    if job.pid or child_pid_path(status_path).exists()
                    else "the service stopped before this job's process was started"
                ),
            )
        service.finished(job.id, outcome)
    if any(counts.values()):
        log.info("reconciled jobs of a previous run", extra=counts)
    return counts


def destroy(service: JobService, job: Job) -> None:
    """Remove a job's files and rows; its result entities stay in the archive, invalidated."""
    if job.activity_id and service.archive is not None:
        try:
            _invalidate_results(service, job)
        except Exception:  # the job goes anyway; the archive keeps what it had
            log.exception("could not mark the results of job %s invalidated", job.id)
    shutil.rmtree(service.job_dir(job), ignore_errors=True)
    service.store.delete_job(job.id)


def _invalidate_results(service: JobService, job: Job) -> None:
    from ..model import Document

    full = service.store.get_job(job.id) or job
    entity_ids = [r.entity_id for r in full.results if r.entity_id]
    if not entity_ids:
        return
    now = utc_ms()
    service.archive.invalidate(entity_ids, now)  # the REC attribute: invalidatedAtTime
    # and the W3C statement of what invalidated them: the job's destruction
    doc = Document()
    doc.add_namespace("pa", "urn:provarchive:")
    activity = doc.activity(f"pa:destruction-{job.id}", now, now, name=f"destruction of job {job.id}")
    from ..model.records import WasInvalidatedBy

    for entity_id in entity_ids:
        doc.add(WasInvalidatedBy(entity_id, activity.id, time=now))
    service.archive.ingest(doc)


class Reaper:
    """A thread that destroys expired jobs every ``interval_s`` seconds."""

    def __init__(self, service: JobService, interval_s: float = 60.0) -> None:
        self.service = service
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="jobs-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> int:
        """Destroy every job past its destruction time now; how many were destroyed."""
        expired = self.service.store.expired_jobs(utc_ms())
        for job in expired:
            if job.phase is Phase.EXECUTING:
                self.service.executor.abort(job)
            destroy(self.service, job)
            log.info("job destroyed", extra={"job": job.id})
        return len(expired)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                log.exception("reaper pass failed")
