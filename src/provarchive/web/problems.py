"""RFC 9457 problem documents for the JSON archive API.

The VO endpoints answer errors with DALI VOTables (:mod:`.errors`); programs that speak
JSON expect ``application/problem+json`` instead. :class:`ProblemRoute` is the route
class of the archive router: it turns every error raised while handling one of its
requests (parameter validation, authentication, store and format errors, and the
:class:`Problem` raised on purpose) into a problem document, so the app-wide handlers
never see them. A 500 only comes from a failure of the machinery, never from user input,
and never shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..jobs.errors import AuthenticationRequired, JobServiceError

__all__ = ["Problem", "ProblemRoute", "problem_response", "PROBLEM_MEDIA_TYPE", "PROBLEM_BASE"]

log = logging.getLogger("provarchive.web")

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Base of the ``type`` URIs: one per kind of problem, documented in docs/http-api.md.
PROBLEM_BASE = "https://provarchive.readthedocs.io/problems/"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Document too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    500: "Internal error",
    503: "Archive unavailable",
}


class Problem(Exception):
    """An error answered as a problem document: ``status``, a short ``kind`` and a message.

    ``extra`` members (e.g. ``record_id`` for a conflict, ``line``/``column`` for a
    malformed document) are added to the document as RFC 9457 extension members.
    """

    def __init__(self, status: int, kind: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.extra = {k: v for k, v in extra.items() if v is not None}


def problem_response(
    status: int,
    kind: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The problem document for ``status`` (``kind`` becomes the ``type`` URI)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "bad request"


def to_problem(request: Request, exc: BaseException) -> Response:
    """The one exception → problem document mapping of the archive API."""
    path = request.url.path
    if isinstance(exc, Problem):
        retry = {"Retry-After": "5"} if exc.status == 503 else None
        return problem_response(exc.status, exc.kind, exc.detail, instance=path, headers=retry, **exc.extra)
    if isinstance(exc, RequestValidationError):
        return problem_response(400, "bad-parameter", _validation_detail(exc), instance=path)
    if isinstance(exc, AuthenticationRequired):
        headers = {"WWW-Authenticate": 'Bearer realm="provarchive", Basic realm="provarchive"'}
        return problem_response(401, "authentication-required", str(exc), instance=path, headers=headers)
    if isinstance(exc, JobServiceError):  # includes PayloadTooLarge from the body-limit middleware
        kind = "too-large" if exc.status_code == 413 else "bad-request"
        return problem_response(exc.status_code, kind, str(exc), instance=path)
    if isinstance(exc, OperationalError):  # the database went away: the client may retry later
        log.error("archive database unavailable on %s %s: %s", request.method, path, exc.orig)
        return problem_response(
            503,
            "archive-unavailable",
            "the archive database is unavailable; retry later",
            instance=path,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, StarletteHTTPException):
        return problem_response(exc.status_code, "http-error", str(exc.detail), instance=path, headers=exc.headers)
    log.error("unexpected failure on %s %s", request.method, path, exc_info=exc)
    return problem_response(
        500, "internal-error", "internal error of the service; the operator can find details in its log", instance=path
    )


class ProblemRoute(APIRoute):
    """An APIRoute whose errors all become problem documents (see the module documentation)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every error gets a problem document
                return to_problem(request, exc)

        return handle
