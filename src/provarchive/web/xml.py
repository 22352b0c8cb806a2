"""UWS and VOSI documents, made with vo-models, and the one time formatter.

Every endpoint that shows an instant (job XML, job list, ``/destruction``,
``/quote``) goes through :func:`format_time`, and the XML goes through vo-models whose
timestamps are written the same way (UTC, milliseconds, ``Z``). Clients such as
taplint compare the strings (platform.md §1.4), so they must be identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic_xml import BaseXmlModel, element
from vo_models.uws import ErrorSummary, Jobs, JobSummary, Parameter, ResultReference, Results, ShortJobDescription
from vo_models.uws.models import NSMAP
from vo_models.uws.types import ErrorType, ExecutionPhase

from ..jobs.models import Job, JobResult

__all__ = [
    "format_time",
    "job_document",
    "jobs_document",
    "parameters_document",
    "results_document",
    "availability_document",
    "capabilities_document",
    "UWS_MEDIA_TYPE",
]

UWS_MEDIA_TYPE = "application/xml"


def format_time(moment: datetime | None) -> str:
    """The one rendering of an instant: ``2026-01-02T03:04:05.678Z`` ('' for none)."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JobParameters(BaseXmlModel, tag="parameters", ns="uws", nsmap=NSMAP):
    """``<uws:parameters>`` for any definition: a plain list (vo-models' base maps fields by id)."""

    parameter: list[Parameter] = element(tag="parameter", default_factory=list)


_JobXml = JobSummary[JobParameters]


def _parameters(job: Job) -> JobParameters:
    return JobParameters(
        parameter=[
            Parameter(id=p.name, value=p.value, by_reference=p.by_reference, is_post=p.is_post) for p in job.parameters
        ]
    )


def _result(job_url: str, result: JobResult) -> ResultReference:
    return ResultReference(
        id=result.id, href=f"{job_url}/results/{result.id}", size=result.size, mime_type=result.mime_type
    )


def _results(job_url: str, job: Job) -> Results:
    return Results(results=[_result(job_url, r) for r in job.results])


def job_document(job: Job, job_url: str) -> bytes:
    """``<uws:job>`` (UWS 1.1, schema-valid: nillable elements present, errorSummary typed)."""
    error = None
    if job.error_message:
        error = ErrorSummary(message=job.error_message, type=ErrorType(job.error_type or "fatal"), has_detail=True)
    model = _JobXml(
        job_id=job.id,
        run_id=job.run_id,
        owner_id=job.owner,
        phase=ExecutionPhase(job.phase.value),
        quote=job.quote,
        creation_time=job.creation_time,
        start_time=job.start_time,
        end_time=job.end_time,
        execution_duration=job.execution_duration,
        destruction=job.destruction,
        parameters=_parameters(job),
        results=_results(job_url, job),
        error_summary=error,
    )
    return _xml(model)


def jobs_document(jobs: Sequence[Job], list_url: str) -> bytes:
    """``<uws:jobs>`` with one jobref per job (phase, runId, ownerId, creationTime)."""
    refs = [
        ShortJobDescription(
            job_id=job.id,
            href=f"{list_url}/{job.id}",
            phase=ExecutionPhase(job.phase.value),
            run_id=job.run_id,
            owner_id=job.owner,
            creation_time=job.creation_time,
        )
        for job in jobs
    ]
    return _xml(Jobs(jobref=refs))


def parameters_document(job: Job) -> bytes:
    return _xml(_parameters(job))


def results_document(job: Job, job_url: str) -> bytes:
    return _xml(_results(job_url, job))


def _xml(model: BaseXmlModel) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + model.to_xml(encoding="UTF-8")  # type: ignore[operator]


def availability_document(available: bool, note: str) -> bytes:
    """VOSI availability."""
    from vo_models.vosi.availability import Availability

    return _xml(Availability(available=available, note=[note]))


def capabilities_document(base_url: str, job_lists: Sequence[str]) -> bytes:
    """VOSI capabilities: the UWS 1.1 job lists and the VOSI endpoints themselves."""
    vosi = "ivo://ivoa.net/std/VOSI"
    entries = [
        (f"{vosi}#capabilities", f"{base_url}/capabilities"),
        (f"{vosi}#availability", f"{base_url}/availability"),
    ]
    entries += [("ivo://ivoa.net/std/UWS#rest-1.1", url) for url in job_lists]
    body = "".join(
        f'<capability standardID="{sid}"><interface xsi:type="vs:ParamHTTP" role="std">'
        f'<accessURL use="base">{_escape(url)}</accessURL></interface></capability>'
        for sid, url in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">' + body + "</vosi:capabilities>"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
