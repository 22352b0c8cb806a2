"""``GET /``: where everything is, so a newcomer's first request lands somewhere useful.

A JSON index of the service's entry points (the web pages of a later issue will serve
people; programs and curious humans get this). It lists only what this server mounts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .uws import base_url

router = APIRouter()


@router.get("/", summary="The service's entry points")
def index(request: Request) -> dict[str, Any]:
    """Links to the UWS job lists, the archive API, ProvSAP, ProvTAP, VOSI and the API docs."""
    base = base_url(request)
    service = request.app.state.service
    return {
        "service": "provarchive",
        "job_definitions": f"{base}/jobdefs",
        "job_lists": {d.name: f"{base}/uws/{d.name}/jobs" for d in service.list_definitions()},
        "archive": {
            "ingest": f"{base}/archive/documents",
            "stats": f"{base}/archive/stats",
            "search": f"{base}/archive/search",
            "lineage": f"{base}/archive/lineage?id=...",
        },
        "provsap": f"{base}/provsap",
        "tap": f"{base}/tap",
        "availability": f"{base}/availability",
        "capabilities": f"{base}/capabilities",
        "openapi": f"{base}/openapi.json",
        "docs": f"{base}/docs",
    }
