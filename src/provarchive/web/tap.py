"""ProvTAP: a TAP 1.1 service over the archive at ``/tap``.

``/tap/sync`` (GET, POST), ``/tap/async`` (UWS 1.1), ``/tap/capabilities`` (TAPRegExt),
``/tap/availability``, ``/tap/tables`` and ``/tap/tables/{name}`` (VOSI tables 1.1),
``/tap/examples`` (DALI examples). The query itself is :class:`.tap_query.TapEngine`;
TAP_SCHEMA and the table metadata come from :mod:`.tap_schema`.

Async queries are jobs of the job service, not a second UWS: :func:`install` adds a
built-in job definition ``tap`` whose command runs the query in a subprocess, and the
``/tap/async`` tree is the UWS tree of that definition (``/uws/tap/jobs``) under
another path, so phases, WAIT, owners, destruction and provenance are the job
service's own.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from ..adql import udf_features
from ..jobs.definitions import parse_definition
from ..jobs.errors import UnknownJobError
from ..jobs.models import User
from ..jobs.phases import Phase
from ..jobs.service import JobService
from .auth import current_user, owned_job
from .errors import error_response
from .tap_examples import examples_document
from .tap_query import LANGUAGES, TapConfig, TapEngine, TapError, Upload, is_postgres
from .tap_results import OUTPUT_FORMATS
from .tap_schema import build_tap_metadata, materialise_postgres, materialise_sqlite, table_document, tableset_document
from .uws import Form, base_url, create_job_from_form, job_url, read_form, see_other, service_of
from .xml import availability_document

__all__ = ["router", "install", "start", "AsyncPathAlias", "TAP_JOBDEF"]

router = APIRouter()

#: Name of the built-in job definition that runs async TAP queries.
TAP_JOBDEF = "tap"
#: The job parameter holding LANG: job parameters become environment variables, and LANG is one
#: that changes how programs run, so the definition may not use that name (the routes rename it).
LANG_PARAMETER = "QUERY_LANG"
#: The job input holding uploaded tables (files), and the TAP parameters a job keeps.
UPLOAD_INPUT = "upload_file"
TAP_PARAMETERS = frozenset({"QUERY", "LANG", "REQUEST", "VERSION", "MAXREC", "RESPONSEFORMAT", "FORMAT", "UPLOAD"})
#: Where the TAP async job list is published (the job service's list of ``tap`` jobs).
ASYNC_PATH = "/tap/async"

XML = "application/xml"


def engine_of(request: Request) -> TapEngine:
    return request.app.state.tap  # type: ignore[no-any-return]


# ----------------------------------------------------------------------- installation


def install(app: FastAPI, archive_url: str, data_dir: Path, config: dict[str, Any] | None = None) -> TapEngine:
    """Materialise TAP_SCHEMA, create the engine and mount the routes on ``app``."""
    tap_dir = data_dir / "tap"
    tap_dir.mkdir(parents=True, exist_ok=True)
    metadata = build_tap_metadata()
    tap_schema_path: str | None = None
    if is_postgres(archive_url):
        import psycopg

        from .tap_query import _postgres_dsn

        with psycopg.connect(_postgres_dsn(archive_url), autocommit=True) as connection:
            materialise_postgres(metadata, connection)
    else:
        tap_schema_path = str(materialise_sqlite(metadata, tap_dir / "tap_schema.db"))
    tap_config = TapConfig(archive_url=archive_url, tap_schema_path=tap_schema_path, **(config or {}))
    config_path = tap_dir / "tap.json"
    temporary = config_path.with_suffix(".tmp")
    temporary.write_text(tap_config.to_json())
    os.chmod(temporary, 0o600)
    temporary.replace(config_path)
    engine = TapEngine(tap_config, metadata)
    app.state.tap = engine
    app.state.tap_config_path = str(config_path)
    paths = dict(getattr(app.state, "job_list_paths", {}))
    paths[TAP_JOBDEF] = ASYNC_PATH
    app.state.job_list_paths = paths
    app.include_router(router)
    app.add_middleware(AsyncPathAlias, alias=ASYNC_PATH, target=f"/uws/{TAP_JOBDEF}/jobs")
    return engine


def tap_job_definition(config_path: str, config: TapConfig) -> Any:
    """The built-in ``tap`` job definition: one ADQL query run by ``provarchive.web.tap_query``."""
    parameter_names = ("QUERY", LANG_PARAMETER, "REQUEST", "VERSION", "MAXREC", "RESPONSEFORMAT", "FORMAT", "UPLOAD")
    command = ["{python}", "-m", "provarchive.web.tap_query", f"--config={config_path}"]
    command += [f"--{name.lower().replace('query_', '')}={{{name}}}" for name in parameter_names]
    command += [f"{{{UPLOAD_INPUT}}}"]
    body = {
        "name": TAP_JOBDEF,
        "version": "1.1",
        "description": "An ADQL query on the provenance archive (ProvTAP async)",
        "type": "query",
        "parameters": [
            {"name": "QUERY", "datatype": "char", "arraysize": "*", "description": "The ADQL query"},
            {
                "name": LANG_PARAMETER,
                "datatype": "char",
                "arraysize": "*",
                "default": "ADQL",
                "description": "ADQL, ADQL-2.0 or ADQL-2.1",
            },
            {"name": "REQUEST", "datatype": "char", "arraysize": "*", "description": "doQuery (optional)"},
            {"name": "VERSION", "datatype": "char", "arraysize": "*", "description": "TAP version (optional)"},
            {"name": "MAXREC", "datatype": "long", "min": 0, "description": "Largest number of rows returned"},
            {"name": "RESPONSEFORMAT", "datatype": "char", "arraysize": "*", "description": "Output format"},
            {"name": "FORMAT", "datatype": "char", "arraysize": "*", "description": "Output format (TAP 1.0 name)"},
            {
                "name": "UPLOAD",
                "datatype": "char",
                "arraysize": "*",
                "description": "Tables for TAP_UPLOAD: name,URI;...",
            },
        ],
        "inputs": [
            {
                "role": UPLOAD_INPUT,
                "multiplicity": f"0..{config.max_uploads}",
                "content_type": "application/x-votable+xml",
                "sources": ["upload"],
                "max_bytes": config.max_upload_bytes,
                "description": "Uploaded VOTables named in UPLOAD (param:<part>)",
            }
        ],
        "outputs": [{"role": "result", "pattern": "result.*", "description": "The query result"}],
        "command": command,
        "execution_duration": {"default": int(config.async_timeout_s), "max": int(config.async_timeout_s)},
    }
    # The version names the content: a changed limit or path is a new version, jobs keep theirs.
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    body["version"] = f"1.1-{digest}"
    return parse_definition(body, "built-in tap definition")


def start(app: FastAPI, service: JobService) -> None:
    """Register the ``tap`` job definition once the job service has started (idempotent)."""
    engine: TapEngine = app.state.tap
    service.add_definition(tap_job_definition(app.state.tap_config_path, engine.config))


class AsyncPathAlias:
    """ASGI middleware: ``/tap/async[/...]`` is served by the UWS tree of the ``tap`` definition."""

    def __init__(self, app: Any, alias: str, target: str) -> None:
        self.app = app
        self.alias = alias
        self.target = target

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            own_route = (scope["method"] == "POST" and (path == self.alias or path.endswith("/parameters"))) or (
                scope["method"] == "GET" and path.endswith("/error")
            )
            if not own_route and (path == self.alias or path.startswith(self.alias + "/")):
                scope = dict(scope)
                scope["path"] = self.target + path[len(self.alias) :]
                scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


# Result files of async jobs are named result.<ext>; their MIME type is guessed from it.
mimetypes.add_type("application/x-votable+xml", ".vot")
mimetypes.add_type("text/tab-separated-values", ".tsv")


# ----------------------------------------------------------------------------- async


def _job_parameters(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """TAP parameters as job parameters.

    LANG is renamed (see LANG_PARAMETER); parameters TAP does not define are dropped (DALI:
    a service ignores unknown parameters); every ``param:`` part named in UPLOAD becomes a
    value of the ``upload_file`` input, in UPLOAD's order, which is how the job's command
    receives the files.
    """
    kept: list[tuple[str, str]] = []
    for name, value in items:
        upper = name.upper()
        if upper not in TAP_PARAMETERS:
            continue
        kept.append((LANG_PARAMETER if upper == "LANG" else upper, value))
        if upper == "UPLOAD":
            for item in value.split(";"):
                uri = item.partition(",")[2].strip()
                if uri.startswith("param:"):
                    kept.append((UPLOAD_INPUT, uri))
    return kept


@router.post(ASYNC_PATH)
def create_async_job(
    request: Request, form: Form = Depends(read_form), caller: User | None = Depends(current_user)
) -> Response:
    """Create a TAP query job (PHASE=RUN may come with it), exactly as a UWS job list does."""
    job = create_job_from_form(service_of(request), TAP_JOBDEF, caller, form, _job_parameters)
    return see_other(job_url(request, job))


@router.post(ASYNC_PATH + "/{job_id}/parameters")
def update_async_parameters(request: Request, job_id: str, form: Form = Depends(read_form)) -> Response:
    """POST …/parameters of a TAP job (LANG renamed as at creation)."""
    try:
        job = owned_job(request, TAP_JOBDEF, job_id)
        service_of(request).update_parameters(job, _job_parameters(form.parameters()), form.uploads)
    finally:
        form.cleanup()
    return see_other(job_url(request, job))


@router.get(ASYNC_PATH + "/{job_id}/error")
def async_error(request: Request, job_id: str) -> Response:
    """The error of a failed TAP job as a DALI error VOTable (TAP 1.1 §3.3, not plain text)."""
    job = owned_job(request, TAP_JOBDEF, job_id)
    if job.phase is not Phase.ERROR and not job.error_message:
        raise UnknownJobError(f"job {job.id} has no error; it is {job.phase.value}")
    message = (job.error_message or "the query failed").split("error: ", 1)[-1]
    return error_response(200, message)


# ------------------------------------------------------------------------------ sync


def _params(items: list[tuple[str, str]]) -> dict[str, str]:
    """DALI parameters with names folded to upper case (the last value of a name wins)."""
    return {name.upper(): value for name, value in items}


@router.get("/tap/sync")
def sync_get(request: Request) -> Response:
    return _run_sync(request, _params(list(request.query_params.multi_items())), {})


@router.post("/tap/sync")
async def sync_post(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await read_form(request)
    try:
        files = {name: Upload(name, upload.path) for name, upload in form.uploads.items()}
        return await run_in_threadpool(_run_sync, request, _params(form.items), files)
    finally:
        form.cleanup()


def _run_sync(request: Request, params: dict[str, str], files: dict[str, Upload]) -> Response:
    try:
        fmt, body = engine_of(request).run(params, files)
    except TapError as exc:
        return error_response(400, str(exc))
    return Response(body, media_type=fmt.mime)


# ------------------------------------------------------------------------------ VOSI


@router.get("/tap")
def landing(request: Request) -> Response:
    base = f"{base_url(request)}/tap"
    links = "".join(
        f'<li><a href="{base}/{name}">{name}</a></li>'
        for name in ("sync", "async", "capabilities", "availability", "tables", "examples")
    )
    page = f"<html><head><title>ProvTAP</title></head><body><h1>ProvTAP</h1><ul>{links}</ul></body></html>"
    return Response(page, media_type="text/html")


@router.get("/tap/availability")
def availability(request: Request) -> Response:
    try:
        params = {"QUERY": "SELECT TOP 1 schema_name FROM tap_schema.schemas", "LANG": "ADQL"}
        engine_of(request).run(params, timeout=5.0)
        available, note = True, "the archive answers ADQL queries"
    except Exception as exc:  # the point of this endpoint is to say so rather than fail
        available, note = False, f"the archive does not answer: {type(exc).__name__}"
    return Response(availability_document(available, note), media_type=XML)


@router.get("/tap/tables")
def tables(request: Request) -> Response:
    return Response(tableset_document(engine_of(request).metadata), media_type=XML)


@router.get("/tap/tables/{name}")
def table(request: Request, name: str) -> Response:
    metadata = engine_of(request).metadata
    found = metadata.table(name)
    if found is None:
        return error_response(404, f"no published table {name!r}; see {base_url(request)}/tap/tables")
    return Response(table_document(metadata, found), media_type=XML)


@router.get("/tap/examples")
def examples() -> Response:
    return Response(examples_document(), media_type="application/xhtml+xml")


@router.get("/tap/capabilities")
def capabilities(request: Request) -> Response:
    return Response(capabilities_document(f"{base_url(request)}/tap", engine_of(request).config), media_type=XML)


def capabilities_document(base: str, config: TapConfig) -> bytes:
    """VOSI capabilities with the TAPRegExt TableAccess capability (platform.md §1.3)."""
    url = escape(base)
    features = "".join(
        f"<feature><form>{escape(f['form'])}</form><description>{escape(f['description'])}</description></feature>"
        for f in udf_features()
    )
    formats = "".join(
        "<outputFormat" + (f' ivo-id="{f.ivo_id}"' if f.ivo_id else "") + f"><mime>{escape(f.mime)}</mime>"
        f"<alias>{escape(f.name)}</alias></outputFormat>"
        for f in OUTPUT_FORMATS
    )
    versions = "".join(f'<version ivo-id="ivo://ivoa.net/std/ADQL#v{v}">{v}</version>' for v in ("2.0", "2.1"))
    retention = 7 * 24 * 3600
    tap = (
        '<capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">'
        '<interface xsi:type="vs:ParamHTTP" role="std" version="1.1">'
        f'<accessURL use="base">{url}</accessURL></interface>'
        f"<language><name>ADQL</name>{versions}"
        f"<description>ADQL {', '.join(LANGUAGES)}; lineage functions with the site prefix pa_</description>"
        f'<languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-udf">{features}</languageFeatures>'
        "</language>"
        f"{formats}"
        '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/>'
        '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-http"/>'
        f"<retentionPeriod><default>{retention}</default><hard>{retention}</hard></retentionPeriod>"
        f"<executionDuration><default>{int(config.async_timeout_s)}</default>"
        f"<hard>{int(config.async_timeout_s)}</hard></executionDuration>"
        f'<outputLimit><default unit="row">{config.maxrec_default}</default>'
        f'<hard unit="row">{config.maxrec_hard}</hard></outputLimit>'
        f'<uploadLimit><hard unit="byte">{config.max_upload_bytes}</hard></uploadLimit>'
        "</capability>"
    )
    vosi = "".join(
        f'<capability standardID="ivo://ivoa.net/std/VOSI#{sid}"><interface xsi:type="vs:ParamHTTP">'
        f'<accessURL use="full">{url}/{path}</accessURL></interface></capability>'
        for sid, path in (("capabilities", "capabilities"), ("availability", "availability"), ("tables-1.1", "tables"))
    )
    examples_capability = (
        '<capability standardID="ivo://ivoa.net/std/DALI#examples"><interface xsi:type="vr:WebBrowser">'
        f'<accessURL use="full">{url}/examples</accessURL></interface></capability>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0" '
        'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
        'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0">' + tap + vosi + examples_capability + "</vosi:capabilities>"
    ).encode()


def describe(engine: TapEngine) -> str:
    """A one-line summary for logs."""
    return json.dumps({"dialect": engine.dialect, "tables": len(engine.metadata.tables)})
