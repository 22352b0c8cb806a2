"""Job definitions published over HTTP: as JSON (default), YAML, or an OPUS-style VOTable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..jobs.definitions import JobDefinition
from ..jobs.errors import UsageError
from .uws import list_url, service_of

__all__ = ["router"]

router = APIRouter()


def _summary(request: Request, definition: JobDefinition) -> dict[str, object]:
    return {
        "name": definition.name,
        "version": definition.version,
        "description": definition.description,
        "versions": service_of(request).definition_versions(definition.name),
        "jobs": list_url(request, definition.name),
    }


@router.get("/jobdefs")
def list_definitions(request: Request) -> JSONResponse:
    return JSONResponse([_summary(request, d) for d in service_of(request).list_definitions()])


@router.get("/jobdefs/{name}")
def get_definition(request: Request, name: str, version: str | None = None, format: str = "json") -> Response:
    definition = service_of(request).get_definition(name, version)
    kind = format.lower()
    if kind == "json":
        return JSONResponse({**definition.to_dict(), "versions": service_of(request).definition_versions(name)})
    if kind == "yaml":
        return Response(definition.to_yaml(), media_type="application/yaml")
    if kind in ("votable", "vot", "xml"):
        from ..jobs.opus import to_votable

        return Response(to_votable(definition), media_type="application/x-votable+xml")
    raise UsageError(f"format must be json, yaml or votable, not {format!r}")
