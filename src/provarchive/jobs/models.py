"""Plain job records shared by the service, storage and executors (no FastAPI, no XML).

These are the "worker" models of the Safir split: the web layer turns them into
vo-models XML (:mod:`provarchive.web.xml`), the executor reads them to run a job.
Times are timezone-aware UTC datetimes truncated to milliseconds, so that every
rendering of the same instant is the same string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from .phases import Phase

__all__ = ["Job", "JobParameter", "JobInput", "JobResult", "User", "utc_ms", "from_ms", "to_ms"]


def utc_ms(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) in UTC, truncated to whole milliseconds."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; give a timezone")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def to_ms(moment: datetime | None) -> int | None:
    """Epoch milliseconds (how times are stored), or None."""
    return None if moment is None else int(round(utc_ms(moment).timestamp() * 1000))


def from_ms(value: int | None) -> datetime | None:
    """The UTC datetime of epoch milliseconds, or None."""
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


@dataclass
class JobParameter:
    """A job parameter as UWS shows it (``byReference`` for inputs given by URL or upload)."""

    name: str
    value: str
    by_reference: bool = False
    is_post: bool = True


@dataclass
class JobInput:
    """An input file of a job, stored in the job's directory, with where it came from."""

    role: str
    position: int
    filename: str
    path: str
    source: str
    """``upload``, ``url`` or ``archive``."""
    origin: str | None = None
    """The URL it was fetched from, or the archive entity id."""
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None


@dataclass
class JobResult:
    """A result file of a finished job (UWS result) with its hash and archive entity."""

    id: str
    role: str
    path: str
    size: int
    mime_type: str | None
    sha256: str | None
    entity_id: str | None = None


@dataclass
class Job:
    """The state of one UWS job; the job database is the source of truth for it."""

    id: str
    jobdef_name: str
    jobdef_version: str
    owner: str | None
    phase: Phase
    creation_time: datetime
    destruction: datetime | None
    execution_duration: int
    run_id: str | None = None
    quote: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    queued_at: datetime | None = None
    error_type: str | None = None
    error_message: str | None = None
    pid: int | None = None
    process_start: float | None = None
    """Start time of the job's process as the OS reports it (guards against pid reuse)."""
    workdir: str | None = None
    runner: str | None = None
    """``host:pid:start`` of the service process that claimed the job (see reaper.reconcile)."""
    activity_id: str | None = None
    provenance_error: str | None = None
    parameters: list[JobParameter] = field(default_factory=list)
    inputs: list[JobInput] = field(default_factory=list)
    results: list[JobResult] = field(default_factory=list)

    def parameter_values(self) -> dict[str, str]:
        """Parameter name → value for the parameters that are not inputs."""
        roles = {i.role for i in self.inputs}
        return {p.name: p.value for p in self.parameters if p.name not in roles}


@dataclass
class User:
    """A user known to token authentication (the token itself is never stored)."""

    name: str
    admin: bool = False
