"""ProvSAP: ``GET|POST /provsap`` answers "how was this made / what did it feed" as a document.

Parameters (names case-insensitive, per DALI):

- ``ID`` (repeatable, required): entity, activity or agent ids to start from;
- ``DEPTH``: a whole number of relations, or ``ALL`` (default 1); capped by the service;
- ``DIRECTION``: ``BACK`` (default; how was it made) or ``FORTH``/``FORWARD`` (what used it);
- ``RESPONSEFORMAT``: PROV-JSON (default), PROV-N, PROV-XML, PROV-VOTABLE, PROV-RDF
  (Turtle), SVG or DOT;
- ``MEMBERS``: follow hadMember into collections (true/false, default false);
- ``AGENT``/``AGENTS``: include the agents (default true);
- ``MODEL``: ``IVOA`` (default: descriptions and configuration included) or ``W3C``
  (only W3C PROV classes).

The walk is :meth:`Archive.lineage` (the store's one lineage implementation). Bad values
give 400, unknown ids 404, each with a DALI error VOTable. VOSI capabilities and
availability are at ``/provsap/capabilities`` and ``/provsap/availability``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from ..formats import FormatError, dumps, get_format
from .errors import error_response
from .uws import base_url, read_form
from .xml import availability_document

__all__ = ["router", "install", "ProvSapRequest", "parse_request", "DEFAULT_MAX_DEPTH"]

router = APIRouter()

#: Largest DEPTH served, and what ``DEPTH=ALL`` means (None: unlimited walk).
DEFAULT_MAX_DEPTH: int | None = None
_FORMATS = {
    "PROV-JSON": "PROV-JSON",
    "PROV-N": "PROV-N",
    "PROV-XML": "PROV-XML",
    "PROV-VOTABLE": "PROV-VOTABLE",
    "PROV-RDF": "PROV-O",
    "PROV-O": "PROV-O",
    "TURTLE": "PROV-O",
    "SVG": "SVG",
    "DOT": "DOT",
}
_TRUE = {"true", "1", "yes", "t", "on"}
_FALSE = {"false", "0", "no", "f", "off"}


class ProvSapError(ValueError):
    """A request the service refuses; ``status`` is 400 (bad value) or 404 (unknown id)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ProvSapRequest:
    """A checked ProvSAP request."""

    ids: tuple[str, ...]
    depth: int | None
    direction: str
    format: str
    members: bool
    agents: bool
    model: str


def _flag(name: str, values: list[str], default: bool) -> bool:
    if not values:
        return default
    value = values[-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ProvSapError(f"{name} must be true or false, not {values[-1]!r}")


def parse_request(items: list[tuple[str, str]], max_depth: int | None = DEFAULT_MAX_DEPTH) -> ProvSapRequest:
    """Check the parameters (names case-insensitive); ProvSapError says which one is wrong."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name.upper(), []).append(value)
    known = {"ID", "DEPTH", "DIRECTION", "RESPONSEFORMAT", "FORMAT", "MEMBERS", "AGENT", "AGENTS", "MODEL"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ProvSapError(f"unknown parameter(s) {', '.join(unknown)}; ProvSAP takes {', '.join(sorted(known))}")
    ids = tuple(i.strip() for v in values.get("ID", []) for i in [v] if i.strip())
    if not ids:
        raise ProvSapError("ID is required: the id of an entity, activity or agent (repeat ID for several)")
    depth_text = (values.get("DEPTH") or ["1"])[-1].strip()
    depth: int | None
    if depth_text.upper() == "ALL":
        depth = max_depth
    elif depth_text.isdigit():
        depth = int(depth_text)
        if max_depth is not None and depth > max_depth:
            raise ProvSapError(f"DEPTH={depth} exceeds this service's limit of {max_depth}")
    else:
        raise ProvSapError(f"DEPTH must be a whole number ≥ 0 or ALL, not {depth_text!r}")
    direction_text = (values.get("DIRECTION") or ["BACK"])[-1].strip().upper()
    directions = {"BACK": "back", "BACKWARD": "back", "FORTH": "forth", "FORWARD": "forth"}
    if direction_text not in directions:
        raise ProvSapError(f"DIRECTION must be BACK or FORTH (or FORWARD), not {direction_text!r}")
    format_text = (values.get("RESPONSEFORMAT") or values.get("FORMAT") or ["PROV-JSON"])[-1].strip()
    fmt = _FORMATS.get(format_text.upper())
    if fmt is None:
        raise ProvSapError(f"RESPONSEFORMAT {format_text!r} is not supported; use one of {', '.join(_FORMATS)}")
    model = (values.get("MODEL") or ["IVOA"])[-1].strip().upper()
    if model not in ("IVOA", "W3C"):
        raise ProvSapError(f"MODEL must be IVOA or W3C, not {model!r}")
    agents = _flag("AGENT", values.get("AGENT", []) + values.get("AGENTS", []), True)
    return ProvSapRequest(
        ids=ids,
        depth=depth,
        direction=directions[direction_text],
        format=fmt,
        members=_flag("MEMBERS", values.get("MEMBERS", []), False),
        agents=agents,
        model=model,
    )


def answer(archive: Any, request: ProvSapRequest) -> tuple[bytes, str]:
    """(body, media type) of a checked request; ProvSapError(404) when an id is unknown."""
    missing = [i for i in request.ids if not _exists(archive, i)]
    if missing:
        raise ProvSapError(f"no entity, activity or agent with id {', '.join(repr(m) for m in missing)}", 404)
    ivoa = request.model == "IVOA"
    doc = archive.lineage(
        list(request.ids),
        direction=request.direction,
        depth=request.depth,
        members=request.members,
        agents=request.agents,
        descriptions=ivoa,
        configuration=ivoa,
    )
    _add_agents_asked_for(archive, doc, request.ids)
    try:
        fmt = get_format(request.format)
        return dumps(doc, fmt), fmt.media_type
    except FormatError as exc:  # e.g. an id no serialisation can write
        raise ProvSapError(f"the provenance cannot be written as {request.format}: {exc}", 400) from None


def _add_agents_asked_for(archive: Any, doc: Any, ids: tuple[str, ...]) -> None:
    """An agent is no node of the lineage walk: answer with it and its direct relations.

    ``Archive.lineage`` walks entities and activities; an ID naming an agent would give an
    empty document. ProvSAP accepts agents, so such an id gets the agent record and the
    relations that name it (associations, attributions, delegations), from ``Archive.get``.
    """
    from ..model import Element

    missing = [i for i in ids if doc.get(i) is None]
    if not missing:
        return
    present = {repr(r) for r in doc.records if not isinstance(r, Element)}
    for record_id in missing:
        found = archive.get(record_id)
        if found is None:
            continue
        for record in found.records:
            if isinstance(record, Element) and doc.get(record.id) is not None:
                continue
            if not isinstance(record, Element) and repr(record) in present:
                continue
            doc.add(record)


def install(app: FastAPI, max_depth: int | None) -> None:
    """Mount ProvSAP on ``app``; DEPTH is capped at ``max_depth`` (and DEPTH=ALL means it)."""
    app.state.provsap_max_depth = max_depth
    app.include_router(router)


def _exists(archive: Any, record_id: str) -> bool:
    return archive.get(record_id) is not None


def _archive(request: Request) -> Any:
    return request.app.state.service.archive


def _respond(request: Request, items: list[tuple[str, str]]) -> Response:
    try:
        checked = parse_request(items, getattr(request.app.state, "provsap_max_depth", DEFAULT_MAX_DEPTH))
        body, media_type = answer(_archive(request), checked)
    except ProvSapError as exc:
        return error_response(exc.status, str(exc))
    return Response(body, media_type=media_type)


@router.get("/provsap")
def provsap_get(request: Request) -> Response:
    return _respond(request, list(request.query_params.multi_items()))


@router.post("/provsap")
async def provsap_post(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await read_form(request)
    form.cleanup()
    return await run_in_threadpool(_respond, request, form.items)


@router.get("/provsap/availability")
def availability(request: Request) -> Response:
    try:
        _archive(request).lineage_ids(["provsap:availability-probe"], depth=0)
        available, note = True, "the archive answers lineage queries"
    except Exception as exc:  # say so rather than fail
        available, note = False, f"the archive does not answer: {type(exc).__name__}"
    return Response(availability_document(available, note), media_type="application/xml")


@router.get("/provsap/capabilities")
def capabilities(request: Request) -> Response:
    base = escape(f"{base_url(request)}/provsap")
    entries = (
        ("ivo://ivoa.net/std/ProvSAP", base, "base", ' role="std"'),
        ("ivo://ivoa.net/std/VOSI#capabilities", f"{base}/capabilities", "full", ""),
        ("ivo://ivoa.net/std/VOSI#availability", f"{base}/availability", "full", ""),
    )
    body = "".join(
        f'<capability standardID="{sid}"><interface xsi:type="vs:ParamHTTP"{role}>'
        f'<accessURL use="{use}">{url}</accessURL></interface></capability>'
        for sid, url, use, role in entries
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">' + body + "</vosi:capabilities>"
    )
    return Response(document, media_type="application/xml")
