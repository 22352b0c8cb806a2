"""The job database: UWS jobs, their parameters, inputs and results, definitions and users.

SQLAlchemy Core on the archive's engine (SQLite or PostgreSQL) with its own MetaData,
created at start. Each method is one transaction, so a failure never leaves a job half
written. Phase changes are conditional updates (``WHERE phase = :expected``): when two
server processes race for the same job, exactly one wins, which is what makes several
processes on one database safe. No phase *rules* live here: the service asks
:mod:`provarchive.jobs.phases` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from .models import Job, JobInput, JobParameter, JobResult, User, from_ms, to_ms
from .phases import Phase

__all__ = ["JobStore", "METADATA"]

METADATA = MetaData()

jobdef_table = Table(
    "uws_jobdef",
    METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("added_ms", BigInteger, nullable=False),
    Index("uws_jobdef_name_version", "name", "version", unique=True),
)

job_table = Table(
    "uws_job",
    METADATA,
    Column("id", String(64), primary_key=True),
    Column("jobdef_name", String(64), nullable=False),
    Column("jobdef_version", String(64), nullable=False),
    Column("owner", String(128)),
    Column("run_id", Text),
    Column("phase", String(16), nullable=False),
    Column("creation_ms", BigInteger, nullable=False),
    Column("queued_ms", BigInteger),
    Column("start_ms", BigInteger),
    Column("end_ms", BigInteger),
    Column("quote_ms", BigInteger),
    Column("destruction_ms", BigInteger),
    Column("execution_duration", Integer, nullable=False),
    Column("error_type", String(16)),
    Column("error_message", Text),
    Column("pid", Integer),
    Column("runner", String(255)),
    Column("process_start", Float),
    Column("workdir", Text),
    Column("activity_id", Text),
    Column("provenance_error", Text),
    Index("uws_job_list", "jobdef_name", "creation_ms"),
    Index("uws_job_phase", "phase", "queued_ms"),
    Index("uws_job_owner_phase", "owner", "phase"),
    Index("uws_job_destruction", "destruction_ms"),
)

param_table = Table(
    "uws_job_parameter",
    METADATA,
    Column("job_id", String(64), ForeignKey("uws_job.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("by_reference", Boolean, nullable=False),
    Column("is_post", Boolean, nullable=False),
)

input_table = Table(
    "uws_job_input",
    METADATA,
    Column("job_id", String(64), ForeignKey("uws_job.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("filename", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("origin", Text),
    Column("sha256", String(64)),
    Column("size", BigInteger),
    Column("content_type", Text),
)

result_table = Table(
    "uws_job_result",
    METADATA,
    Column("job_id", String(64), ForeignKey("uws_job.id", ondelete="CASCADE"), primary_key=True),
    Column("result_id", String(128), primary_key=True),
    Column("role", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", Text),
    Column("sha256", String(64)),
    Column("entity_id", Text),
)

user_table = Table(
    "uws_user",
    METADATA,
    Column("name", String(128), primary_key=True),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("admin", Boolean, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

_TIME_COLUMNS = {
    "creation_time": "creation_ms",
    "queued_at": "queued_ms",
    "start_time": "start_ms",
    "end_time": "end_ms",
    "quote": "quote_ms",
    "destruction": "destruction_ms",
}


def _row_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _TIME_COLUMNS:
            values[_TIME_COLUMNS[key]] = to_ms(value)
        elif isinstance(value, Phase):
            values[key] = value.value
        else:
            values[key] = value
    return values


def _job_from_row(row: Any) -> Job:
    return Job(
        id=row.id,
        jobdef_name=row.jobdef_name,
        jobdef_version=row.jobdef_version,
        owner=row.owner,
        phase=Phase(row.phase),
        creation_time=from_ms(row.creation_ms),  # type: ignore[arg-type]
        destruction=from_ms(row.destruction_ms),
        execution_duration=row.execution_duration,
        run_id=row.run_id,
        quote=from_ms(row.quote_ms),
        start_time=from_ms(row.start_ms),
        end_time=from_ms(row.end_ms),
        queued_at=from_ms(row.queued_ms),
        error_type=row.error_type,
        error_message=row.error_message,
        pid=row.pid,
        process_start=row.process_start,
        runner=row.runner,
        workdir=row.workdir,
        activity_id=row.activity_id,
        provenance_error=row.provenance_error,
    )


_INSERT_JOB = insert(job_table)
_INSERT_PARAMETER = insert(param_table)


def _parameter_rows(job_id: str, parameters: Sequence[JobParameter]) -> list[dict[str, Any]]:
    return [
        {
            "job_id": job_id,
            "position": n,
            "name": p.name,
            "value": p.value,
            "by_reference": p.by_reference,
            "is_post": p.is_post,
        }
        for n, p in enumerate(parameters)
    ]


class JobStore:
    """Reads and writes job rows; every public method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the job tables if they are missing (idempotent)."""
        METADATA.create_all(self.engine)

    # ------------------------------------------------------------------ definitions

    def add_definition(self, name: str, version: str, body: str, now: datetime) -> bool:
        """Store a definition version; False if this exact version is already stored."""
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(jobdef_table.c.body).where(jobdef_table.c.name == name, jobdef_table.c.version == version)
            ).first()
            if existing is not None:
                if existing.body != body:
                    raise ValueError(
                        f"job definition {name} version {version} already exists with different content; "
                        "give the new definition a new version"
                    )
                return False
            conn.execute(insert(jobdef_table).values(name=name, version=version, body=body, added_ms=to_ms(now)))
            return True

    def definition_body(self, name: str, version: str | None = None) -> tuple[str, str] | None:
        """(version, body) of ``name`` at ``version``, or of its newest version."""
        query = select(jobdef_table.c.version, jobdef_table.c.body).where(jobdef_table.c.name == name)
        query = (
            query.where(jobdef_table.c.version == version)
            if version is not None
            else query.order_by(jobdef_table.c.seq.desc()).limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row.version, row.body)

    def definition_versions(self) -> list[tuple[str, str, datetime]]:
        """(name, version, added) of every stored definition version, oldest first."""
        query = select(jobdef_table.c.name, jobdef_table.c.version, jobdef_table.c.added_ms).order_by(
            jobdef_table.c.seq
        )
        with self.engine.connect() as conn:
            return [(r.name, r.version, from_ms(r.added_ms)) for r in conn.execute(query)]  # type: ignore[misc]

    # ------------------------------------------------------------------------ jobs

    def insert_job(self, job: Job) -> None:
        """Store a new job with its parameters and inputs.

        Statements are passed their values as parameters (not ``.values(...)``) so that
        SQLAlchemy compiles each of them once: that halves the cost of a job creation.
        """
        values = _row_values(
            {k: getattr(job, k) for k in Job.__dataclass_fields__ if k not in ("parameters", "inputs", "results")}
        )
        with self.engine.begin() as conn:
            conn.execute(_INSERT_JOB, values)
            if job.parameters:
                conn.execute(_INSERT_PARAMETER, _parameter_rows(job.id, job.parameters))
            if job.inputs:
                conn.execute(
                    insert(input_table),
                    [
                        {"job_id": job.id, **{k: getattr(i, k) for k in JobInput.__dataclass_fields__}}
                        for i in job.inputs
                    ],
                )

    @staticmethod
    def _write_parameters(conn: Any, job_id: str, parameters: Sequence[JobParameter]) -> None:
        conn.execute(delete(param_table).where(param_table.c.job_id == job_id))
        if parameters:
            conn.execute(_INSERT_PARAMETER, _parameter_rows(job_id, parameters))

    def get_job(self, job_id: str, *, details: bool = True) -> Job | None:
        """The job with its parameters, inputs and results, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(job_table).where(job_table.c.id == job_id)).first()
            if row is None:
                return None
            job = _job_from_row(row)
            if details:
                for p in conn.execute(
                    select(param_table).where(param_table.c.job_id == job_id).order_by(param_table.c.position)
                ):
                    job.parameters.append(JobParameter(p.name, p.value, p.by_reference, p.is_post))
                for i in conn.execute(
                    select(input_table)
                    .where(input_table.c.job_id == job_id)
                    .order_by(input_table.c.role, input_table.c.position)
                ):
                    job.inputs.append(JobInput(**{k: getattr(i, k) for k in JobInput.__dataclass_fields__}))
                for r in conn.execute(
                    select(result_table).where(result_table.c.job_id == job_id).order_by(result_table.c.result_id)
                ):
                    job.results.append(
                        JobResult(r.result_id, r.role, r.path, r.size, r.mime_type, r.sha256, r.entity_id)
                    )
        return job

    def get_phase(self, job_id: str) -> Phase | None:
        """Only the phase (cheap: used by WAIT polling)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(job_table.c.phase).where(job_table.c.id == job_id)).scalar()
        return None if value is None else Phase(value)

    def list_jobs(
        self,
        *,
        jobdef_name: str | None,
        owner: str | None,
        all_owners: bool,
        phases: Iterable[Phase] | None,
        after: datetime | None,
        last: int | None,
    ) -> list[Job]:
        """Jobs matching every filter (AND); newest first when ``last`` is given (UWS 1.1 §2.2.2.1)."""
        conditions = []
        if jobdef_name is not None:
            conditions.append(job_table.c.jobdef_name == jobdef_name)
        if not all_owners:
            conditions.append(job_table.c.owner.is_(None) if owner is None else job_table.c.owner == owner)
        phase_list = list(phases) if phases is not None else None
        if phase_list:
            conditions.append(job_table.c.phase.in_([p.value for p in phase_list]))
        else:
            conditions.append(job_table.c.phase != Phase.ARCHIVED.value)
        if after is not None:
            conditions.append(job_table.c.creation_ms > to_ms(after))
        query = select(job_table).where(and_(*conditions))
        query = query.order_by(job_table.c.creation_ms.desc(), job_table.c.id.desc())
        if last is not None:
            query = query.limit(last)
        with self.engine.connect() as conn:
            return [_job_from_row(r) for r in conn.execute(query)]

    def update_job(self, job_id: str, *, expected: Iterable[Phase] | None = None, **changes: Any) -> bool:
        """Change columns of a job, only if its phase is among ``expected``; True if it changed."""
        query = update(job_table).where(job_table.c.id == job_id)
        if expected is not None:
            query = query.where(job_table.c.phase.in_([p.value for p in expected]))
        with self.engine.begin() as conn:
            return bool(conn.execute(query.values(**_row_values(changes))).rowcount)

    def replace_parameters(self, job_id: str, parameters: Sequence[JobParameter], *, expected: Phase) -> bool:
        """Replace the parameter list while the job is still in ``expected``; True if done."""
        with self.engine.begin() as conn:
            phase = conn.execute(select(job_table.c.phase).where(job_table.c.id == job_id)).scalar()
            if phase != expected.value:
                return False
            self._write_parameters(conn, job_id, parameters)
            return True

    def next_queued(self) -> tuple[str, str, str] | None:
        """(id, definition name, version) of the oldest QUEUED job: the head of the queue."""
        query = (
            select(job_table.c.id, job_table.c.jobdef_name, job_table.c.jobdef_version)
            .where(job_table.c.phase == Phase.QUEUED.value)
            .order_by(job_table.c.queued_ms, job_table.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row.id, row.jobdef_name, row.jobdef_version)

    def claim(self, job_id: str, now: datetime, runner: str | None = None) -> bool:
        """QUEUED → EXECUTING for one job; False if it is no longer QUEUED (another process won)."""
        return self.update_job(job_id, expected=[Phase.QUEUED], phase=Phase.EXECUTING, start_time=now, runner=runner)

    def replace_inputs(self, job_id: str, inputs: Sequence[JobInput]) -> None:
        """Replace the job's input rows (a parameter update gave new files)."""
        with self.engine.begin() as conn:
            conn.execute(delete(input_table).where(input_table.c.job_id == job_id))
            if inputs:
                conn.execute(
                    insert(input_table),
                    [{"job_id": job_id, **{k: getattr(i, k) for k in JobInput.__dataclass_fields__}} for i in inputs],
                )

    def jobs_in_phase(self, phase: Phase) -> list[Job]:
        """Every job in ``phase`` (restart reconciliation)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(job_table).where(job_table.c.phase == phase.value)).all()
        return [_job_from_row(r) for r in rows]

    def count_active(self, owner: str | None, phases: Iterable[Phase]) -> int:
        """How many jobs of ``owner`` are in ``phases`` (per-user limits)."""
        who = job_table.c.owner.is_(None) if owner is None else job_table.c.owner == owner
        query = select(func.count()).where(who, job_table.c.phase.in_([p.value for p in phases]))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def set_results(self, job_id: str, results: Sequence[JobResult]) -> None:
        """Replace the job's results."""
        with self.engine.begin() as conn:
            conn.execute(delete(result_table).where(result_table.c.job_id == job_id))
            if results:
                conn.execute(
                    insert(result_table),
                    [
                        {
                            "job_id": job_id,
                            "result_id": r.id,
                            "role": r.role,
                            "path": r.path,
                            "size": r.size,
                            "mime_type": r.mime_type,
                            "sha256": r.sha256,
                            "entity_id": r.entity_id,
                        }
                        for r in results
                    ],
                )

    def expired_jobs(self, now: datetime) -> list[Job]:
        """Jobs whose destruction time has passed."""
        query = select(job_table).where(
            job_table.c.destruction_ms.is_not(None), job_table.c.destruction_ms <= to_ms(now)
        )
        with self.engine.connect() as conn:
            return [_job_from_row(r) for r in conn.execute(query)]

    def delete_job(self, job_id: str) -> bool:
        """Remove a job and its rows; True if it existed."""
        with self.engine.begin() as conn:
            for table in (param_table, input_table, result_table):
                conn.execute(delete(table).where(table.c.job_id == job_id))
            return bool(conn.execute(delete(job_table).where(job_table.c.id == job_id)).rowcount)

    # ----------------------------------------------------------------------- users

    def add_user(self, name: str, token_hash: str, admin: bool, now: datetime) -> None:
        """Create a user, or give an existing one a new token (the old one stops working)."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(user_table).where(user_table.c.name == name).values(token_hash=token_hash, admin=admin)
            ).rowcount
            if not changed:
                conn.execute(
                    insert(user_table).values(name=name, token_hash=token_hash, admin=admin, created_ms=to_ms(now))
                )

    def user_by_token_hash(self, token_hash: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(user_table).where(user_table.c.token_hash == token_hash)).first()
        return None if row is None else User(row.name, bool(row.admin))

    def user_by_name(self, name: str) -> tuple[User, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(user_table).where(user_table.c.name == name)).first()
        return None if row is None else (User(row.name, bool(row.admin)), row.token_hash)
