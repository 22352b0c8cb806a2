"""Every error becomes one DALI error VOTable, mapped in one place.

``QUERY_STATUS=ERROR`` with the message, and the HTTP status UWS asks for: 400 for a
bad value, 401 for missing credentials, 403 for an illegal phase change or someone
else's job, 404 for an unknown job, 413 for a body over the size limit. A 500 only
comes from a failure of the machinery itself, and its body never holds a traceback.
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..jobs.definitions import DefinitionError, ParameterError
from ..jobs.errors import AuthenticationRequired, JobServiceError
from ..jobs.phases import InvalidPhaseError

__all__ = ["error_response", "install_error_handlers", "PayloadTooLarge", "VOTABLE_MEDIA_TYPE"]

log = logging.getLogger("provarchive.web")
VOTABLE_MEDIA_TYPE = "application/x-votable+xml"


class PayloadTooLarge(JobServiceError):
    """The request body is over ``max_upload_bytes``."""

    status_code = 413


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A DALI error document with ``status``."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3" version="1.3">'
        '<RESOURCE type="results">'
        f'<INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO>'
        "</RESOURCE></VOTABLE>"
    )
    return Response(body, status_code=status, media_type=VOTABLE_MEDIA_TYPE, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the one exception → response mapping on ``app``."""

    async def job_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JobServiceError)
        headers = (
            {"WWW-Authenticate": 'Bearer realm="provarchive", Basic realm="provarchive"'}
            if isinstance(exc, AuthenticationRequired)
            else None
        )
        return error_response(exc.status_code, str(exc), headers)

    async def phase_error(request: Request, exc: Exception) -> Response:
        return error_response(403, str(exc))

    async def value_error(request: Request, exc: Exception) -> Response:
        return error_response(400, str(exc))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
        return error_response(400, "; ".join(problems) or "bad request")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected failure on %s %s", request.method, request.url.path)
        return error_response(500, "internal error of the service; the operator can find details in its log")

    app.add_exception_handler(JobServiceError, job_error)
    app.add_exception_handler(InvalidPhaseError, phase_error)
    app.add_exception_handler(ParameterError, value_error)
    app.add_exception_handler(DefinitionError, value_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
