"""UWS 1.1 routes: one job list per job definition, at ``/uws/{jobdef}/jobs``.

Handlers only parse the request, call one :class:`JobService` method and render; the
rules (phases, limits, validation, ownership) live below them. Every state change
answers 303, parameter names of the UWS protocol (PHASE, RUNID, WAIT, ...) are
case-insensitive, and every error is a DALI document (``web/errors.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ..jobs.errors import UnknownJobError, UsageError
from ..jobs.inputs import Upload
from ..jobs.models import Job, User
from ..jobs.phases import Phase, parse_phase
from ..jobs.service import JobService
from ..jobs.timeparse import parse_utc
from .auth import current_user, owned_job
from .errors import PayloadTooLarge
from .xml import (
    UWS_MEDIA_TYPE,
    format_time,
    job_document,
    jobs_document,
    parameters_document,
    results_document,
)

__all__ = ["router", "read_form", "base_url"]

router = APIRouter()
CONTROL = ("phase", "runid", "executionduration", "destruction", "action")


def service_of(request: Request) -> JobService:
    return request.app.state.service  # type: ignore[no-any-return]


def base_url(request: Request) -> str:
    """The public base URL for links (configured, or the one the request came in on)."""
    configured: str = request.app.state.base_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def list_url(request: Request, jobdef: str) -> str:
    """The job list of ``jobdef``; a service may publish one elsewhere (TAP: ``/tap/async``)."""
    mounted: dict[str, str] = getattr(request.app.state, "job_list_paths", {})
    return f"{base_url(request)}{mounted.get(jobdef, f'/uws/{jobdef}/jobs')}"


def job_url(request: Request, job: Job) -> str:
    return f"{list_url(request, job.jobdef_name)}/{job.id}"


def xml(body: bytes) -> Response:
    return Response(body, media_type=UWS_MEDIA_TYPE)


def text(body: str) -> Response:
    return Response(body, media_type="text/plain; charset=utf-8")


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class Form:
    """A parsed POST body: name/value pairs in order, and uploaded files spooled to disk."""

    def __init__(self, items: list[tuple[str, str]], uploads: dict[str, Upload], spool_dir: str | None) -> None:
        self.items = items
        self.uploads = uploads
        self.spool_dir = spool_dir

    def control(self, name: str) -> str | None:
        """The last value of a UWS control parameter (case-insensitive)."""
        found = [v for k, v in self.items if k.lower() == name]
        return found[-1] if found else None

    def parameters(self) -> list[tuple[str, str]]:
        """The job's own parameters (everything but the UWS control parameters)."""
        return [(k, v) for k, v in self.items if k.lower() not in CONTROL]

    def cleanup(self) -> None:
        if self.spool_dir:
            shutil.rmtree(self.spool_dir, ignore_errors=True)


async def read_form(request: Request) -> Form:
    """Parse a urlencoded or multipart body; uploads are copied to disk under the size cap."""
    limit: int = request.app.state.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body of {declared} bytes exceeds the limit of {limit} bytes")
    items: list[tuple[str, str]] = list(request.query_params.multi_items()) if request.method == "POST" else []
    uploads: dict[str, Upload] = {}
    spool_dir: str | None = None
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return Form(items, uploads, None)
    form = await request.form(max_files=64, max_fields=1000)
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if spool_dir is None:
                    spool_dir = tempfile.mkdtemp(prefix="upload-", dir=request.app.state.upload_dir)
                target = Path(spool_dir) / f"{len(uploads)}.part"
                with open(target, "wb") as handle:
                    copied = 0
                    while chunk := await value.read(1 << 20):
                        copied += len(chunk)
                        if copied > limit:
                            raise PayloadTooLarge(f"upload {key!r} exceeds the limit of {limit} bytes")
                        handle.write(chunk)
                if key in uploads:
                    raise UsageError(f"two uploaded files are named {key!r}")
                uploads[key] = Upload(value.filename or key, str(target), value.content_type)
            else:
                items.append((key, value))
    except BaseException:
        if spool_dir:
            shutil.rmtree(spool_dir, ignore_errors=True)
        raise
    finally:
        await form.close()
    return Form(items, uploads, spool_dir)


def _query(request: Request, name: str) -> list[str]:
    return [v for k, v in request.query_params.multi_items() if k.lower() == name]


# --------------------------------------------------------------------------- job list


@router.get("/uws/{jobdef}/jobs")
def get_jobs(request: Request, jobdef: str, caller: User | None = Depends(current_user)) -> Response:
    phases = [parse_phase_value(v) for v in _query(request, "phase")]
    after = _query(request, "after")
    last = _query(request, "last")
    try:
        after_time = parse_utc(after[-1]) if after else None
    except ValueError as exc:
        raise UsageError(f"AFTER: {exc}") from None
    if last and not last[-1].strip().lstrip("+").isdigit():
        raise UsageError(f"LAST must be a positive integer, not {last[-1]!r}")
    jobs = service_of(request).list_jobs(
        jobdef, caller, phases=phases or None, after=after_time, last=int(last[-1]) if last else None
    )
    return xml(jobs_document(jobs, list_url(request, jobdef)))


@router.post("/uws/{jobdef}/jobs")
async def create_job(
    request: Request, jobdef: str, form: Form = Depends(read_form), caller: User | None = Depends(current_user)
) -> Response:
    from starlette.concurrency import run_in_threadpool

    job = await run_in_threadpool(create_job_from_form, service_of(request), jobdef, caller, form)
    return see_other(job_url(request, job))


def create_job_from_form(
    service: JobService,
    jobdef: str,
    caller: User | None,
    form: Form,
    parameters: Callable[[list[tuple[str, str]]], list[tuple[str, str]]] | None = None,
) -> Job:
    """Create a job from a POST to a job list (UWS 1.1 §2.2.3.1), for UWS and TAP alike.

    Only PHASE=RUN may come with the creation; RUNID, EXECUTIONDURATION and DESTRUCTION
    are read from the form. ``parameters`` turns the form's parameters into the job's
    (TAP renames and filters them). The form's uploaded files are cleaned up whatever
    happens.
    """
    try:
        phase = form.control("phase")
        if phase is not None and phase.upper() != "RUN":
            raise UsageError(f"PHASE={phase} cannot be given when creating a job; only PHASE=RUN")
        given = form.parameters()
        return service.create_job(
            jobdef,
            caller,
            given if parameters is None else parameters(given),
            form.uploads,
            run_id=form.control("runid"),
            execution_duration=form.control("executionduration"),
            destruction=form.control("destruction"),
            run=phase is not None,
        )
    finally:
        form.cleanup()


def parse_phase_value(value: str) -> Phase:
    try:
        return parse_phase(value.strip().upper())
    except ValueError as exc:
        raise UsageError(f"PHASE: {exc}") from None


# -------------------------------------------------------------------------------- job


@router.get("/uws/{jobdef}/jobs/{job_id}")
def get_job(request: Request, job: Job = Depends(owned_job)) -> Response:
    wait = _query(request, "wait")
    if wait:
        try:
            seconds = float(wait[-1])
        except ValueError:
            raise UsageError(f"WAIT must be a number of seconds (-1: as long as allowed), not {wait[-1]!r}") from None
        phase = _query(request, "phase")
        job = service_of(request).wait(job, seconds, parse_phase_value(phase[-1]) if phase else None)
    return xml(job_document(job, job_url(request, job)))


@router.post("/uws/{jobdef}/jobs/{job_id}")
def post_job(request: Request, job: Job = Depends(owned_job), form: Form = Depends(read_form)) -> Response:
    form.cleanup()
    action = form.control("action")
    if action is not None:
        if action.upper() != "DELETE":
            raise UsageError(f"ACTION={action} is not supported; the only action is DELETE")
        service_of(request).delete_job(job)
        return see_other(list_url(request, job.jobdef_name))
    phase = form.control("phase")
    if phase is not None:  # some clients post PHASE to the job itself; accept it like /phase
        return _change_phase(request, job, phase)
    raise UsageError("POST to a job needs ACTION=DELETE (or PHASE=RUN|ABORT)")


@router.delete("/uws/{jobdef}/jobs/{job_id}")
def delete_job(request: Request, job: Job = Depends(owned_job)) -> Response:
    service_of(request).delete_job(job)
    return see_other(list_url(request, job.jobdef_name))


@router.get("/uws/{jobdef}/jobs/{job_id}/phase")
def get_phase(job: Job = Depends(owned_job)) -> Response:
    return text(job.phase.value)


@router.post("/uws/{jobdef}/jobs/{job_id}/phase")
def post_phase(request: Request, job: Job = Depends(owned_job), form: Form = Depends(read_form)) -> Response:
    form.cleanup()
    phase = form.control("phase")
    if phase is None:
        raise UsageError("PHASE=RUN or PHASE=ABORT is required")
    return _change_phase(request, job, phase)


def _change_phase(request: Request, job: Job, phase: str) -> Response:
    service = service_of(request)
    if phase.upper() == "RUN":
        service.run_job(job, getattr(request.state, "caller", None))
    elif phase.upper() == "ABORT":
        service.abort_job(job)
    else:
        raise UsageError(f"PHASE={phase} is not allowed; use RUN or ABORT")
    return see_other(job_url(request, job))


@router.get("/uws/{jobdef}/jobs/{job_id}/executionduration")
def get_execution_duration(job: Job = Depends(owned_job)) -> Response:
    return text(str(job.execution_duration))


@router.post("/uws/{jobdef}/jobs/{job_id}/executionduration")
def post_execution_duration(
    request: Request, job: Job = Depends(owned_job), form: Form = Depends(read_form)
) -> Response:
    form.cleanup()
    value = form.control("executionduration")
    if value is None:
        raise UsageError("EXECUTIONDURATION=<seconds> is required")
    service_of(request).set_execution_duration(job, value)
    return see_other(job_url(request, job))


@router.get("/uws/{jobdef}/jobs/{job_id}/destruction")
def get_destruction(job: Job = Depends(owned_job)) -> Response:
    return text(format_time(job.destruction))


@router.post("/uws/{jobdef}/jobs/{job_id}/destruction")
def post_destruction(request: Request, job: Job = Depends(owned_job), form: Form = Depends(read_form)) -> Response:
    form.cleanup()
    value = form.control("destruction")
    if value is None:
        raise UsageError("DESTRUCTION=<ISO 8601 instant> is required")
    service_of(request).set_destruction(job, value)
    return see_other(job_url(request, job))


@router.get("/uws/{jobdef}/jobs/{job_id}/error")
def get_error(job: Job = Depends(owned_job)) -> Response:
    if job.phase is not Phase.ERROR and not job.error_message:
        raise UnknownJobError(f"job {job.id} has no error; it is {job.phase.value}")
    return text(job.error_message or "")


@router.get("/uws/{jobdef}/jobs/{job_id}/quote")
def get_quote(job: Job = Depends(owned_job)) -> Response:
    return text(format_time(job.quote))


@router.get("/uws/{jobdef}/jobs/{job_id}/owner")
def get_owner(job: Job = Depends(owned_job)) -> Response:
    return text(job.owner or "")


@router.get("/uws/{jobdef}/jobs/{job_id}/parameters")
def get_parameters(job: Job = Depends(owned_job)) -> Response:
    return xml(parameters_document(job))


@router.post("/uws/{jobdef}/jobs/{job_id}/parameters")
def post_parameters(request: Request, job: Job = Depends(owned_job), form: Form = Depends(read_form)) -> Response:
    try:
        service_of(request).update_parameters(job, form.parameters(), form.uploads)
    finally:
        form.cleanup()
    return see_other(job_url(request, job))


@router.get("/uws/{jobdef}/jobs/{job_id}/parameters/{name}")
def get_parameter(name: str, job: Job = Depends(owned_job)) -> Response:
    values = [p.value for p in job.parameters if p.name.lower() == name.lower()]
    if not values:
        raise UnknownJobError(f"job {job.id} has no parameter {name!r}")
    return text("\n".join(values))


@router.put("/uws/{jobdef}/jobs/{job_id}/parameters/{name}")
async def put_parameter(request: Request, name: str, job: Job = Depends(owned_job)) -> Response:
    from starlette.concurrency import run_in_threadpool

    limit: int = request.app.state.max_upload_bytes
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the value exceeds the limit of {limit} bytes")
    try:
        value = body.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"the value of {name!r} is not UTF-8 text") from None
    await run_in_threadpool(service_of(request).update_parameters, job, [(name, value)])
    return see_other(job_url(request, job))


@router.get("/uws/{jobdef}/jobs/{job_id}/results")
def get_results(request: Request, job: Job = Depends(owned_job)) -> Response:
    return xml(results_document(job, job_url(request, job)))


@router.get("/uws/{jobdef}/jobs/{job_id}/results/{result_id}")
def get_result(request: Request, result_id: str, job: Job = Depends(owned_job)) -> Response:
    result = service_of(request).result(job, result_id)
    path = Path(result.path)
    if not path.is_file():
        raise UnknownJobError(f"the file of result {result_id!r} is gone")
    return FileResponse(path, media_type=result.mime_type or "application/octet-stream", filename=path.name)


@router.get("/uws/{jobdef}/jobs/{job_id}/provenance")
def get_provenance(request: Request, job: Job = Depends(owned_job)) -> Response:
    from ..formats import FormatError, dumps, get_format, loads
    from ..jobs.provenance import PROVENANCE_FILE

    requested = (_query(request, "format") or _query(request, "responseformat") or ["PROV-JSON"])[-1]
    try:
        fmt = get_format(requested)
    except FormatError as exc:
        raise UsageError(f"FORMAT: {exc}") from None
    stored = service_of(request).job_dir(job) / PROVENANCE_FILE
    if not stored.is_file():
        raise UnknownJobError(
            f"job {job.id} has no provenance yet: it is recorded when the job ends ({job.phase.value})"
        )
    data = stored.read_bytes()
    if fmt.name != "PROV-JSON":
        data = dumps(loads(data, "PROV-JSON"), fmt)
    return Response(data, media_type=fmt.media_type)


def _job_list_urls(request: Request, names: Sequence[str]) -> list[str]:
    return [list_url(request, name) for name in names]
