"""What a finished job leaves behind: result files matched to the definition, and its logs.

Outputs are found by the definition's patterns inside the job's working directory only
(a symlink pointing outside is ignored), hashed, and listed as UWS results with their
size and MIME type. stdout and stderr are always results too, cut to a size cap so a
chatty job cannot fill the disk with its log.
"""

from __future__ import annotations

import hashlib
import mimetypes
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from .executors.base import Outcome
from .models import Job, JobResult

if TYPE_CHECKING:  # pragma: no cover
    from .service import JobService

__all__ = ["collect_outputs", "describe_failure", "log_results", "LOG_CAP_BYTES"]

#: Largest stdout/stderr kept per job; the end (where errors are) is what is kept.
LOG_CAP_BYTES = 4 * 1024 * 1024


def _sha256(path: Path) -> str:
    try:
        from ..capture.hashing import hash_file

        return hash_file(str(path), cache=False).rpartition(":")[2]
    except ImportError:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def collect_outputs(service: JobService, job: Job) -> tuple[list[JobResult], list[str]]:
    """(results, problems): the files matching each output pattern, and missing outputs."""
    definition = service.get_definition(job.jobdef_name, job.jobdef_version)
    workdir = Path(job.workdir or service.job_dir(job) / "work").resolve()
    results: list[JobResult] = []
    problems: list[str] = []
    for output in definition.outputs:
        matches = sorted(p for p in workdir.glob(output.pattern) if p.is_file() and p.resolve().is_relative_to(workdir))
        low = 0 if output.multiplicity.startswith("0") or output.multiplicity == "*" else 1
        high = output.multiplicity.split("..")[-1]
        if len(matches) < low:
            problems.append(f"output {output.role!r} ({output.pattern}) was not produced")
        if high not in ("*",) and len(matches) > int(high):
            problems.append(f"output {output.role!r} matched {len(matches)} files, at most {high} expected")
        for n, path in enumerate(matches):
            result_id = output.role if len(matches) == 1 else f"{output.role}-{n + 1}"
            mime = output.content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            results.append(JobResult(result_id, output.role, str(path), path.stat().st_size, mime, _sha256(path)))
    return results, problems


def _cap_log(path: Path) -> None:
    size = path.stat().st_size
    if size <= LOG_CAP_BYTES:
        return
    with open(path, "rb") as handle:
        handle.seek(size - LOG_CAP_BYTES)
        tail = handle.read()
    note = f"[provarchive: the first {size - LOG_CAP_BYTES} bytes of this log were dropped]\n".encode()
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(note + tail)
    temporary.replace(path)


def log_results(service: JobService, job: Job) -> list[JobResult]:
    """stdout and stderr as results (capped), when the job got as far as writing them."""
    results = []
    for name in ("stdout", "stderr"):
        path = service.job_dir(job) / f"{name}.txt"
        if path.is_file():
            _cap_log(path)
            results.append(JobResult(name, name, str(path), path.stat().st_size, "text/plain", _sha256(path)))
    return results


def _last_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 2000))
            lines = [ln for ln in handle.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return None
    return lines[-1][:300] if lines else None


def describe_failure(job: Job, outcome: Outcome, missing: list[str], stderr_path: Path) -> str | None:
    """The errorSummary message of a failed job, or None if it succeeded."""
    if outcome.timed_out:
        return f"the job exceeded its execution duration of {job.execution_duration} s and was stopped"
    if outcome.lost:
        return outcome.message or "the job's process disappeared without an exit status"
    if outcome.signal:
        try:
            name = signal.Signals(outcome.signal).name
        except ValueError:
            name = f"signal {outcome.signal}"
        return f"the job's process was killed by {name} (not by this service)"
    if outcome.exit_code != 0:
        reason = outcome.message or f"the command exited with status {outcome.exit_code}"
        last = _last_line(stderr_path)
        return f"{reason}: {last}" if last else reason
    if missing:
        return "; ".join(missing)
    return None
