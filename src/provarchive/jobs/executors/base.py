"""The executor interface: how the job service hands work to something that runs it.

The service prepares a :class:`LaunchSpec` (argv, environment, working directory,
time limit, where stdout/stderr and the exit status go) and gets an :class:`Outcome`
back through :class:`ExecutionHost`. An executor owns processes, never job rules or
the database: a Dask executor only has to implement :class:`Executor` and call the
same host methods, without touching the service layer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

from ..models import Job

__all__ = ["LaunchSpec", "Outcome", "ExecutionHost", "Executor"]


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to run one job, independent of where it runs."""

    job_id: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    stdout_path: str
    stderr_path: str
    status_path: str
    """File the runner shim writes the exit status to (JSON), read after a restart."""
    execution_duration: int
    """Seconds; 0 means unlimited."""
    slots: int = 1
    files: dict[str, str] = field(default_factory=dict)
    """Extra files to write before starting (path → text), e.g. an OPUS script."""


@dataclass(frozen=True)
class Outcome:
    """How a job's process ended."""

    exit_code: int | None
    signal: int | None = None
    timed_out: bool = False
    lost: bool = False
    """The process is gone and no exit status was recorded (e.g. the shim was killed)."""
    message: str | None = None


class ExecutionHost(Protocol):
    """What an executor may ask of the job service."""

    def next_queued(self) -> tuple[str, int] | None:
        """(job id, slots it needs) of the oldest QUEUED job, or None."""

    def claim(self, job_id: str) -> LaunchSpec | None:
        """Move the job QUEUED → EXECUTING and prepare it; None if someone else took it."""

    def started(self, job_id: str, pid: int, process_start: float | None) -> bool:
        """Record the process of a job; False if the job was aborted meanwhile (kill it)."""

    def finished(self, job_id: str, outcome: Outcome) -> None:
        """The job's process ended: collect results, provenance, final phase."""


class Executor(ABC):
    """Runs jobs for a host; the local executor and a future Dask executor implement it."""

    @abstractmethod
    def start(self, host: ExecutionHost) -> None:
        """Begin taking QUEUED jobs from ``host``."""

    @abstractmethod
    def wake(self) -> None:
        """A job was queued: look at the queue now rather than at the next poll."""

    @abstractmethod
    def abort(self, job: Job) -> None:
        """Stop the job's processes (all of them); the host records the ABORTED phase."""

    @abstractmethod
    def adopt(self, job: Job) -> bool:
        """After a restart, watch a job that is still running; False if its process is gone."""

    @abstractmethod
    def shutdown(self, *, wait: bool = False) -> None:
        """Stop dispatching; running jobs keep running (the next start adopts them)."""
