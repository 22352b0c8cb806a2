"""The FastAPI application factory and the uvicorn runner behind ``provarchive serve``.

:func:`create_app` wires the pieces from :class:`~provarchive.config.Settings`: the
archive (its engine also holds the job tables), the job service with the local
executor, the reaper, authentication, the routes and the one error mapping. Tests
build it the same way, on a temporary data directory.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ..config import Settings
from ..jobs.definitions import DefinitionError, load_definition
from ..jobs.errors import JobServiceError
from ..jobs.executors.local import LocalExecutor
from ..jobs.inputs import InputLimits
from ..jobs.reaper import Reaper
from ..jobs.service import JobService, JobServiceConfig
from ..jobs.storage import JobStore
from .auth import Authenticator
from .errors import PayloadTooLarge, install_error_handlers

__all__ = ["create_app", "build_service", "serve", "load_definitions", "EXAMPLES_DIR", "configure_logging"]

log = logging.getLogger("provarchive.web")

#: The example job definitions shipped with the package.
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "jobs" / "examples"


def open_archive_for(settings: Settings) -> Any:
    """The archive at ``settings.archive_url``."""
    from ..store import open_archive

    return open_archive(settings.archive_url, busy_timeout_s=settings.archive.busy_timeout_s)


def build_service(settings: Settings, *, archive: Any = None) -> JobService:
    """A JobService on the archive's engine with the local executor (not started)."""
    archive = archive if archive is not None else open_archive_for(settings)
    service_settings = settings.service
    config = JobServiceConfig(
        jobs_dir=settings.data_dir / "jobs",
        max_active_jobs_per_user=service_settings.max_active_jobs_per_user,
        default_destruction_days=service_settings.default_destruction_days,
        max_destruction_days=max(30.0, service_settings.default_destruction_days),
        wait_max_s=service_settings.wait_max_s,
        input_limits=InputLimits(max_bytes=service_settings.max_upload_bytes),
        voprov_namespace=settings.voprov_namespace,
    )
    return JobService(JobStore(archive.engine), LocalExecutor(service_settings.slots), config, archive=archive)


def load_definitions(service: JobService, paths: Iterable[Path]) -> list[str]:
    """Add every ``*.yaml``/``*.yml``/``*_vot.xml`` definition found; names added."""
    added = []
    for folder in paths:
        files = sorted(folder.glob("*")) if folder.is_dir() else [folder]
        for path in files:
            if path.suffix not in (".yaml", ".yml", ".xml"):
                continue
            definition = load_definition(path.read_bytes(), str(path))
            service.add_definition(definition)
            added.append(definition.id)
    return added


class BodyLimit:
    """ASGI middleware: refuse request bodies over the limit, even without Content-Length."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise PayloadTooLarge(f"the request body exceeds the limit of {self.limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def create_app(
    settings: Settings,
    *,
    service: JobService | None = None,
    definitions: Iterable[Path] = (),
    reaper_interval_s: float = 60.0,
) -> FastAPI:
    """The provarchive web application (UWS job service, VOSI, job definitions)."""
    from . import archive_api, index, jobdefs, provsap, tap, uws, vosi

    service = service or build_service(settings)
    reaper = Reaper(service, reaper_interval_s)
    folders = list(definitions)
    if settings.service.jobdefs_dir:
        folders.append(Path(settings.service.jobdefs_dir).expanduser())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = 200  # WAIT requests block threads
        service.start()
        load_definitions(service, folders)
        tap.start(app, service)
        reaper.start()
        log.info("job service started", extra={"definitions": [d.name for d in service.list_definitions()]})
        try:
            yield
        finally:
            reaper.stop()
            service.stop()

    app = FastAPI(title="provarchive", summary="IVOA UWS 1.1 job service with provenance", lifespan=lifespan)
    app.state.service = service
    app.state.reaper = reaper
    app.state.authenticator = Authenticator(service, settings.service.auth)
    app.state.base_url = settings.service.base_url
    app.state.max_upload_bytes = settings.service.max_upload_bytes
    upload_dir = settings.data_dir / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    app.state.upload_dir = str(upload_dir)
    install_error_handlers(app)
    app.include_router(index.router)
    app.include_router(uws.router)
    app.include_router(vosi.router)
    app.include_router(jobdefs.router)
    provsap.install(app, settings.archive.lineage_max_depth)
    archive_url = service.archive.url if service.archive is not None else settings.archive_url
    tap.install(app, archive_url, settings.data_dir, dict(vars(settings.tap)))
    app.include_router(archive_api.router)
    app.add_middleware(BodyLimit, limit=settings.service.max_upload_bytes + 64 * 1024)
    return app


class JsonFormatter(logging.Formatter):
    """One JSON object per log line (time, level, logger, message and the ``extra`` fields)."""

    _standard = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._standard})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Structured (JSON lines) logs on stderr for the service and uvicorn."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def serve(settings: Settings, *, definitions: Iterable[Path] = (), log_level: str = "INFO") -> None:
    """Run the service with uvicorn until interrupted."""
    import uvicorn

    configure_logging(log_level)
    try:
        app = create_app(settings, definitions=definitions)
    except (DefinitionError, JobServiceError, ValueError) as exc:
        raise SystemExit(f"error: {exc}") from None
    uvicorn.run(app, host=settings.service.host, port=settings.service.port, log_config=None, access_log=False)
