"""Turning a claimed job into a :class:`LaunchSpec`: its argv, clean environment and files.

The service does this (it knows the definition); executors only run the spec. The
environment carries the job's values as variables (OPUS scripts read ``$text``) and
the provenance hooks (``PROVARCHIVE_SPOOL``, ``PROVARCHIVE_PARENT_ACTIVITY``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .definitions import render_command
from .executors.base import LaunchSpec
from .models import Job

if TYPE_CHECKING:  # pragma: no cover
    from .service import JobService

__all__ = ["build_launch_spec", "job_environment", "job_activity_id"]


def build_launch_spec(service: JobService, job: Job) -> LaunchSpec:
    """The argv, environment, directories and limits of a claimed job."""
    definition = service.get_definition(job.jobdef_name, job.jobdef_version)
    job_dir = service.job_dir(job)
    workdir = Path(job.workdir or job_dir / "work")
    workdir.mkdir(parents=True, exist_ok=True)
    values: dict[str, str | list[str]] = dict(job.parameter_values())
    for spec in definition.inputs:
        paths = [i.path for i in job.inputs if i.role == spec.role]
        if paths:
            values[spec.role] = paths if spec.max_count != 1 else paths[0]
    for output in definition.outputs:
        if not any(c in output.pattern for c in "*?["):
            values.setdefault(output.role, output.pattern)
    script = str(job_dir / "script.sh")
    builtins = {"python": sys.executable, "workdir": str(workdir), "script": script, "job_id": job.id}
    argv = render_command(definition, values, builtins)
    return LaunchSpec(
        job_id=job.id,
        argv=argv,
        env=job_environment(job, job_dir, workdir, values),
        cwd=str(workdir),
        stdout_path=str(job_dir / "stdout.txt"),
        stderr_path=str(job_dir / "stderr.txt"),
        status_path=str(job_dir / "exit.json"),
        execution_duration=job.execution_duration,
        slots=definition.slots,
        files={script: definition.script} if definition.script else {},
    )


def job_environment(job: Job, job_dir: Path, workdir: Path, values: Mapping[str, str | list[str]]) -> dict[str, str]:
    """A clean environment: system basics, the provenance hooks, and the job's values.

    Values are passed as variables (OPUS scripts read ``$text``), never into script
    text. Definitions cannot name a parameter PATH, LD_*, BASH_ENV, ... (checked when
    the definition is added), and those below are set last so nothing overrides them.
    """
    env = {name: " ".join(v) if isinstance(v, list) else v for name, v in values.items()}
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        PATH=f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        HOME=str(workdir),
        TMPDIR=str(workdir),
        LANG="C.UTF-8",
        PYTHONNOUSERSITE="1",
        MPLBACKEND="Agg",
        PROVARCHIVE_JOB_ID=job.id,
        PROVARCHIVE_SPOOL=str(job_dir / "capture.spool"),
        PROVARCHIVE_PARENT_ACTIVITY=job_activity_id(job),
    )
    return env


def job_activity_id(job: Job) -> str:
    """The identifier of the job's Activity in provenance (stable, derived from the job id)."""
    return f"pa:job-{job.id}"
