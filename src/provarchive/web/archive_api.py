"""The archive over HTTP: ingest for remote pipelines and a JSON read API for programs.

Every endpoint is a thin translation of one store query (:class:`provarchive.store.Archive`
``ingest``, ``get``, ``lineage``, ``impact``, ``mark``, ``search``, ``stats``) into HTTP:
parameters in, JSON out, errors as RFC 9457 problem documents (:mod:`.problems`). The
same users and tokens as the job service apply (:func:`.auth.current_user`).

Ingest (``POST /archive/documents``) streams the body to a temporary file past 1 MiB
(never two whole copies in memory), refuses bodies over ``max_upload_bytes`` with 413,
reads the document in the format given by ``?format=``, the Content-Type or its first
bytes, and stores it in one transaction. It is idempotent: the answer of every success
is kept under the ``Idempotency-Key`` and the body's SHA-256 (:mod:`.archive_ledger`),
and a repeat gets that answer back without touching the archive again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from ..formats import dumps
from ..jobs.models import User
from ..model.ids import Literal as TypedLiteral
from ..model.ids import QName
from .archive_ingest import INGEST_BODY, IngestWork, choose_format, receive_body
from .archive_ledger import IngestLedger
from .archive_models import (
    AttributeOut,
    GraphAnswer,
    GraphEdgeOut,
    GraphNodeOut,
    ImpactAnswer,
    ImpactItemOut,
    IngestAnswer,
    MarkAnswer,
    MarkRequest,
    ProblemDocument,
    RecordAnswer,
    RelationOut,
    SearchAnswer,
    SearchHit,
    StatsAnswer,
)
from .auth import current_user
from .problems import PROBLEM_MEDIA_TYPE, Problem, ProblemRoute
from .uws import base_url

__all__ = ["router", "ELEMENT_KINDS"]

#: Largest page of search results.
MAX_PAGE = 1000
#: PROV-JSON statement names of records that carry an id of their own.
ELEMENT_KINDS = ("entity", "activity", "agent", "bundle")

_PROBLEM = {"model": ProblemDocument, "content": {PROBLEM_MEDIA_TYPE: {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter", **_PROBLEM},
    401: {"description": "Authentication required", **_PROBLEM},
    503: {"description": "The archive database is unavailable (retry later)", **_PROBLEM},
}

router = APIRouter(prefix="/archive", tags=["archive"], route_class=ProblemRoute, responses=_ERRORS)

Caller = Annotated[User | None, Depends(current_user)]


# ----------------------------------------------------------------------- helpers


def archive_of(request: Request) -> Any:
    """The archive the service was started on."""
    return request.app.state.service.archive


def ledger_of(request: Request) -> IngestLedger:
    """The app's idempotency ledger (its table is created on first use, see :class:`IngestLedger`)."""
    state = request.app.state
    ledger = getattr(state, "archive_ledger", None)
    if ledger is None:
        ledger = state.archive_ledger = IngestLedger(archive_of(request).engine)
    return ledger


def json_value(value: Any) -> Any:
    """A stored attribute value as JSON (typed values in the PROV-JSON ``$``/``type`` form)."""
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, TypedLiteral):
        typed: dict[str, Any] = {"$": value.value}
        if value.datatype:
            typed["type"] = value.datatype
        if value.lang:
            typed["lang"] = value.lang
        return typed
    if isinstance(value, QName):
        return {"$": str(value), "type": "prov:QUALIFIED_NAME"}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return {"$": str(value), "type": "xsd:double"}  # JSON has no NaN or infinity
    return value


def iso_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_depth(depth: str) -> int | None:
    """``all`` → None (the whole lineage), else a non-negative integer."""
    if depth.strip().lower() == "all":
        return None
    try:
        value = int(depth)
    except ValueError:
        raise Problem(400, "bad-parameter", f"depth must be a non-negative integer or 'all', not {depth!r}") from None
    if value < 0:
        raise Problem(400, "bad-parameter", f"depth must be a non-negative integer or 'all', not {value}")
    return value


# ------------------------------------------------------------------------ ingest


@router.post(
    "/documents",
    summary="Ingest a provenance document (idempotent)",
    response_model=IngestAnswer,
    status_code=201,
    responses={
        200: {"description": "Nothing new: every record was already stored", "model": IngestAnswer},
        409: {"description": "A record exists with different content", **_PROBLEM},
        413: {"description": "The document exceeds the size limit", **_PROBLEM},
        415: {"description": "Unreadable content type", **_PROBLEM},
        422: {"description": "Idempotency-Key reused for another document", **_PROBLEM},
    },
    openapi_extra={"requestBody": INGEST_BODY},
)
async def ingest_document(
    request: Request,
    caller: Caller,
    format: Annotated[str | None, Query(description="Format name (PROV-JSON, PROV-N, ...); default: detect")] = None,
    merge: Annotated[bool, Query(description="Complete stored records instead of refusing conflicts")] = False,
) -> Response:
    """One document, one transaction. A repeated request (same ``Idempotency-Key``, or the same bytes)
    gets the first answer again and adds nothing."""
    key_header = request.headers.get("idempotency-key")
    if key_header is not None and not (0 < len(key_header) <= 255 and key_header.isprintable()):
        raise Problem(400, "bad-parameter", "Idempotency-Key must be 1-255 printable characters")
    data, sha256 = await receive_body(request, request.app.state.max_upload_bytes)
    if not data.strip():
        raise Problem(400, "malformed-document", "the request body is empty; send a provenance document")
    fmt = choose_format(format, request.headers.get("content-type", ""), data[:4096])
    keys = [key_header, f"sha256:{sha256}"] if key_header else [f"sha256:{sha256}"]
    who = caller.name if caller is not None else "anonymous"
    work = IngestWork(
        archive=archive_of(request),
        ledger=ledger_of(request),
        keys=keys,
        sha256=sha256,
        fmt=fmt,
        merge=merge,
        caller=caller.name if caller is not None else None,
        source=f"HTTP upload by {who} (key {keys[0]})",
        base=base_url(request),
    )
    del request  # the body is in ``data`` only from here on
    answer = await anyio.to_thread.run_sync(work.run, data)  # one thread hop for lookup, ingest, record
    return JSONResponse(answer, status_code=201 if answer["status"] == "added" else 200)


# ------------------------------------------------------------------------ records


def _statements(prov_json: dict[str, Any], kind: str) -> list[tuple[str | None, dict[str, Any]]]:
    """(id, attributes) of every statement of ``kind`` in a PROV-JSON object (blank ids → None)."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    for ident, body in prov_json.get(kind, {}).items():
        for attributes in body if isinstance(body, list) else [body]:
            out.append((None if ident.startswith("_:") else ident, attributes))
    return out


@router.get(
    "/records/{record_id:path}",
    summary="A record with its attributes and direct relations",
    response_model=RecordAnswer,
    responses={404: {"description": "No such record", **_PROBLEM}},
)
def get_record(request: Request, record_id: str, caller: Caller) -> RecordAnswer:
    """The entity, activity, agent (or description, parameter, ...) ``record_id`` as stored."""
    doc = archive_of(request).get(record_id)
    if doc is None:
        raise Problem(404, "unknown-record", f"no record {record_id!r} in the archive", record_id=record_id)
    prov_json = orjson.loads(dumps(doc, "PROV-JSON"))
    kind, attributes = "entity", {}
    related: dict[str, dict[str, Any]] = {}
    relations: list[RelationOut] = []
    for statement_kind in [k for k in prov_json if k not in ("prefix", "bundle")]:
        for ident, body in _statements(prov_json, statement_kind):
            if statement_kind in ELEMENT_KINDS and ident == record_id:
                kind, attributes = statement_kind, body
            elif statement_kind in ELEMENT_KINDS and ident is not None:
                related[ident] = {"kind": statement_kind, **body}
            else:
                relations.append(RelationOut(kind=statement_kind, id=ident, attributes=body))
    base = base_url(request)
    links = {
        "self": f"{base}/archive/records/{record_id}",
        "lineage_back": f"{base}/archive/lineage?id={record_id}&direction=back",
        "lineage_forth": f"{base}/archive/lineage?id={record_id}&direction=forth",
        "impact": f"{base}/archive/impact?id={record_id}",
    }
    return RecordAnswer(
        id=record_id,
        kind=kind,
        attributes=attributes,
        relations=relations,
        related=related,
        prefix=prov_json.get("prefix", {}),
        links=links,
    )


# ------------------------------------------------------------------------ lineage

Ids = Annotated[list[str], Query(alias="id", min_length=1, description="Start record id (repeatable)")]
Direction = Annotated[Literal["back", "forth", "forward"], Query(description="back: inputs; forth: products")]
Depth = Annotated[str, Query(description="Steps to follow: a non-negative integer or 'all'", max_length=20)]


def _lineage(
    request: Request,
    ids: list[str],
    direction: str,
    depth: str,
    members: bool,
    agents: bool,
    descriptions: bool,
    configuration: bool,
) -> Any:
    doc = archive_of(request).lineage(
        ids,
        direction="forth" if direction == "forward" else direction,
        depth=parse_depth(depth),
        members=members,
        agents=agents,
        descriptions=descriptions,
        configuration=configuration,
    )
    missing = [i for i in ids if doc.get(i) is None]
    if len(missing) == len(ids):
        raise Problem(404, "unknown-record", f"no record {missing[0]!r} in the archive", record_id=missing[0])
    return doc


@router.get(
    "/lineage",
    summary="Lineage of records as PROV-JSON or as a graph (nodes and edges)",
    response_model=None,
    responses={
        200: {
            "description": "PROV-JSON document (format=prov-json) or graph JSON (format=graph)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        404: {"description": "None of the ids is in the archive", **_PROBLEM},
    },
)
def lineage(
    request: Request,
    ids: Ids,
    caller: Caller,
    direction: Direction = "back",
    depth: Depth = "1",
    members: bool = False,
    agents: bool = True,
    descriptions: bool = True,
    configuration: bool = True,
    format: Annotated[Literal["prov-json", "graph"], Query(description="prov-json or graph")] = "prov-json",
) -> Response:
    """What made the records (back) or what was made from them (forth), ``depth`` steps away.

    ``members`` follows collection membership; ``agents``, ``descriptions`` and
    ``configuration`` add associated agents, descriptions and parameters/config files."""
    doc = _lineage(request, ids, direction, depth, members, agents, descriptions, configuration)
    if format == "graph":
        return JSONResponse(graph_answer(doc).model_dump())
    return Response(dumps(doc, "PROV-JSON"), media_type="application/json")


def graph_answer(doc: Any) -> GraphAnswer:
    """The nodes and edges the SVG writer draws, as JSON (one graph builder for both)."""
    from ..formats.graph import build_graph

    graph = build_graph(doc)
    nodes = [
        GraphNodeOut(
            key=n.key,
            kind=n.kind,
            label=n.label,
            sublabel=n.sublabel,
            record=n.record,
            bundle=n.bundle,
            details=list(n.details),
        )
        for n in graph.nodes.values()
    ]
    edges = [GraphEdgeOut(source=e.source, target=e.target, relation=e.relation, role=e.role) for e in graph.edges]
    return GraphAnswer(nodes=nodes, edges=edges)


@router.get(
    "/lineage.svg",
    summary="The same lineage subgraph as an SVG picture",
    response_class=Response,
    responses={
        200: {"description": "SVG picture", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
        404: {"description": "None of the ids is in the archive", **_PROBLEM},
    },
)
def lineage_svg(
    request: Request,
    ids: Ids,
    caller: Caller,
    direction: Direction = "back",
    depth: Depth = "1",
    members: bool = False,
    agents: bool = True,
    descriptions: bool = True,
    configuration: bool = True,
) -> Response:
    """The picture ``/archive/lineage`` with the same parameters describes."""
    doc = _lineage(request, ids, direction, depth, members, agents, descriptions, configuration)
    return Response(dumps(doc, "SVG"), media_type="image/svg+xml")


# ------------------------------------------------------------------------- impact


@router.get(
    "/impact",
    summary="Everything downstream of an entity",
    response_model=ImpactAnswer,
    responses={404: {"description": "No such record", **_PROBLEM}},
)
def impact(
    request: Request, caller: Caller, entity: Annotated[str, Query(alias="id", min_length=1, max_length=2000)]
) -> ImpactAnswer:
    """Every entity and activity that depends on ``id``, directly or not, with data levels and marks."""
    archive = archive_of(request)
    items = archive.impact(entity)
    if not items and archive.get(entity) is None:
        raise Problem(404, "unknown-record", f"no record {entity!r} in the archive", record_id=entity)
    out = [
        ImpactItemOut(
            id=i.id,
            kind=i.kind,  # type: ignore[arg-type]
            name=i.name,
            location=i.location,
            entity_kind=i.entity_kind,
            description=i.description,
            type=i.type,
            content_type=i.content_type,
            version=i.version,
            time=iso_time(i.time),
            marks=list(i.marks),
        )
        for i in items
    ]
    return ImpactAnswer(entity=entity, count=len(out), items=out)


@router.post(
    "/marks",
    summary="Mark records (e.g. the impact of a bad file) for reprocessing",
    response_model=MarkAnswer,
    responses={404: {"description": "No such entity", **_PROBLEM}},
)
def mark(request: Request, body: MarkRequest, caller: Caller) -> MarkAnswer:
    """Puts ``mark`` on every record downstream of ``entity`` and on ``ids``; records are not changed."""
    archive = archive_of(request)
    ids: list[str] = []
    if body.entity is not None:
        if archive.get(body.entity) is None:
            raise Problem(404, "unknown-record", f"no record {body.entity!r} in the archive", record_id=body.entity)
        if body.include_entity:
            ids.append(body.entity)
        ids += [item.id for item in archive.impact(body.entity)]
    ids += body.ids
    ids = list(dict.fromkeys(ids))
    if not ids and body.entity is None:
        raise Problem(400, "bad-parameter", "nothing to mark: give 'entity' (its impact is marked) or 'ids'")
    if not body.mark.strip():
        raise Problem(400, "bad-parameter", "a mark needs a name, e.g. 'reprocess'")
    who = caller.name if caller is not None else "anonymous"
    marked = archive.mark(ids, body.mark, note=body.note, by=who) if ids else 0
    return MarkAnswer(mark=body.mark, marked=marked, ids=ids, by=who)


# ------------------------------------------------------------------------- search


def _filters_digest(filters: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(filters, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def encode_cursor(last_id: str, filters: dict[str, Any]) -> str:
    """An opaque cursor: the sort key of the last item seen and the filters it belongs to."""
    raw = orjson.dumps([1, last_id, _filters_digest(filters)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, filters: dict[str, Any]) -> str:
    """The last id of a cursor made by :func:`encode_cursor` for the same filters."""
    try:
        version, last_id, digest = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise Problem(400, "bad-cursor", "the cursor is not one this API gave; start again without it") from None
    if version != 1 or not isinstance(last_id, str) or digest != _filters_digest(filters):
        raise Problem(400, "bad-cursor", "the cursor belongs to another search; keep the filters of the first page")
    return last_id


Text = Annotated[str | None, Query(max_length=2000)]


@router.get("/search", summary="Find entities or activities by what made them (paginated)", response_model=SearchAnswer)
def search(
    request: Request,
    caller: Caller,
    kind: Literal["entity", "activity"] = "entity",
    description: Text = None,
    version: Text = None,
    type: Text = None,
    parameter: Text = None,
    value: Text = None,
    config_file: Text = None,
    agent: Text = None,
    since: Annotated[str | None, Query(max_length=64, description="ISO 8601 time")] = None,
    until: Annotated[str | None, Query(max_length=64, description="ISO 8601 time")] = None,
    content_type: Text = None,
    hash: Text = None,
    location: Annotated[str | None, Query(max_length=2000, description="Shell pattern (*, ?)")] = None,
    used: Text = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(max_length=4000, description="next_cursor of the previous page")] = None,
) -> SearchAnswer:
    """Filters combine with AND (see docs/archive.md); results are ordered by id and paged by cursor."""
    filters = {
        "kind": kind,
        "description": description,
        "version": version,
        "type": type,
        "parameter": parameter,
        "value": value,
        "config_file": config_file,
        "agent": agent,
        "since": since,
        "until": until,
        "content_type": content_type,
        "hash": hash,
        "location": location,
        "used": used,
    }
    after = decode_cursor(cursor, filters) if cursor else None
    try:
        found = archive_of(request).search(**filters, limit=limit + 1, after=after)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Problem(400, "bad-parameter", str(exc)) from None
    more = len(found) > limit
    found = found[:limit]
    items = []
    for row in found:
        attributes = [AttributeOut(name=str(n), value=json_value(v)) for n, v in row.pop("attributes", [])]
        items.append(SearchHit(attributes=attributes, **{k: json_value(v) for k, v in row.items()}))
    next_cursor = encode_cursor(found[-1]["id"], filters) if more and found else None
    next_url = None
    if next_cursor:
        query = [(k, str(v)) for k, v in {**filters, "limit": limit}.items() if v is not None]
        next_url = str(request.url.replace_query_params(**dict(query), cursor=next_cursor))
    return SearchAnswer(kind=kind, items=items, next_cursor=next_cursor, next=next_url)


# -------------------------------------------------------------------------- stats


@router.get("/stats", summary="Row counts of the archive", response_model=StatsAnswer)
def stats(request: Request, caller: Caller) -> StatsAnswer:
    """How many records and relations the archive holds, per table."""
    from ..store.schema import RELATION_TABLES

    tables = archive_of(request).stats()
    records = sum(tables.get(t, 0) for t in ("entity", "activity", "agent"))
    relations = sum(tables.get(t, 0) for t in RELATION_TABLES)
    return StatsAnswer(tables=tables, records=records, relations=relations)
