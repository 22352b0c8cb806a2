"""VOSI availability and capabilities for the job service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .uws import base_url, list_url, service_of
from .xml import availability_document, capabilities_document

__all__ = ["router"]

router = APIRouter()


@router.get("/availability")
def availability(request: Request) -> Response:
    """Available when the job database answers."""
    try:
        count = len(service_of(request).list_definitions())
        available, note = True, f"service is accepting jobs ({count} job definitions)"
    except Exception as exc:  # the point of this endpoint is to say so rather than fail
        available, note = False, f"job database unavailable: {type(exc).__name__}"
    return Response(availability_document(available, note), media_type="application/xml")


@router.get("/capabilities")
def capabilities(request: Request) -> Response:
    names = [d.name for d in service_of(request).list_definitions()]
    body = capabilities_document(base_url(request), [list_url(request, n) for n in names])
    return Response(body, media_type="application/xml")
