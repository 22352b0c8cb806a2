"""Pydantic models of the JSON archive API: what each endpoint answers, in the OpenAPI schema.

They describe answers only; the data comes from the store's queries
(:class:`provarchive.store.Archive`), converted by :mod:`.archive_api`. Attribute values
keep the typed-value form of PROV-JSON (``{"$": "...", "type": "xsd:..."}``) wherever a
plain JSON value would lose the type.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "IngestAnswer",
    "ReadBack",
    "RecordAnswer",
    "RelationOut",
    "GraphAnswer",
    "GraphNodeOut",
    "GraphEdgeOut",
    "ImpactAnswer",
    "ImpactItemOut",
    "MarkRequest",
    "MarkAnswer",
    "SearchAnswer",
    "SearchHit",
    "AttributeOut",
    "StatsAnswer",
    "ProblemDocument",
]


class ReadBack(BaseModel):
    """Where to read an ingested document's records back (RFC 6570 templates on ``{id}``)."""

    record: str = Field(description="URL template of one record, e.g. /archive/records/{id}")
    lineage: str = Field(description="URL template of a record's lineage")


class IngestAnswer(BaseModel):
    """What one ``POST /archive/documents`` did (the same answer again for a repeated document)."""

    status: Literal["added", "unchanged"] = Field(description="'added' if any row was new, else 'unchanged'")
    replayed: bool = Field(description="true when this answer is the stored answer of an earlier identical request")
    document_sha256: str = Field(description="SHA-256 of the request body as received")
    idempotency_key: str = Field(description="The Idempotency-Key sent, or 'sha256:<digest>' of the body")
    format: str = Field(description="Format the document was read as")
    added: dict[str, int] = Field(description="Rows added per archive table")
    total_added: int
    unchanged: int = Field(description="Records and relations already stored identically")
    merged: int = Field(description="Stored records completed by merge=true")
    ids: list[str] = Field(description="Ids of the entities, activities, agents, ... of the document")
    read_back: ReadBack


class RelationOut(BaseModel):
    """A relation touching the record: its PROV-JSON statement name, id (if any) and attributes."""

    kind: str = Field(description="PROV-JSON statement name, e.g. used, wasGeneratedBy")
    id: str | None = None
    attributes: dict[str, Any] = Field(description="Formal arguments and attributes, as in PROV-JSON")


class RecordAnswer(BaseModel):
    """One record (entity, activity, agent, description, parameter, ...) with its direct relations."""

    id: str
    kind: str = Field(description="PROV-JSON statement name of the record: entity, activity, agent, ...")
    attributes: dict[str, Any] = Field(description="The record's attributes, as in PROV-JSON")
    relations: list[RelationOut]
    related: dict[str, dict[str, Any]] = Field(
        description="Other records the answer carries (e.g. parameters of an activity), by id, as in PROV-JSON"
    )
    prefix: dict[str, str] = Field(description="Namespace prefixes used by the ids and names")
    links: dict[str, str] = Field(description="URLs of the record's lineage (back and forth) and impact")


class GraphNodeOut(BaseModel):
    key: str = Field(description="Unique in the graph; edges refer to it")
    kind: str = Field(description="entity, activity, agent, description, parameter, configfile, bundle, ...")
    label: str
    sublabel: str = ""
    record: str | None = Field(None, description="Id of the record drawn, when the key is not it")
    bundle: str | None = None
    details: list[str] = Field(default_factory=list, description="Lines of the tooltip")


class GraphEdgeOut(BaseModel):
    source: str = Field(description="Key of the subject of the relation (PROV direction: effect → cause)")
    target: str
    relation: str
    role: str | None = None


class GraphAnswer(BaseModel):
    """A lineage subgraph as nodes and edges, ready to draw."""

    nodes: list[GraphNodeOut]
    edges: list[GraphEdgeOut]


class ImpactItemOut(BaseModel):
    id: str
    kind: Literal["entity", "activity"]
    name: str | None = None
    location: str | None = None
    entity_kind: str | None = None
    description: str | None = None
    type: str | None = Field(None, description="Data level of an entity (DL1, DL2, ...) or the activity type")
    content_type: str | None = None
    version: str | None = None
    time: str | None = Field(None, description="Generation time (entities) or start time (activities), ISO 8601 UTC")
    marks: list[str] = Field(default_factory=list)


class ImpactAnswer(BaseModel):
    """Everything downstream of an entity."""

    entity: str
    count: int
    items: list[ImpactItemOut]


class MarkRequest(BaseModel):
    """Mark records, e.g. everything downstream of a bad file, for reprocessing."""

    entity: str | None = Field(None, description="Mark the impact of this entity (every record downstream of it)")
    ids: list[str] = Field(default_factory=list, description="Mark these records as well")
    include_entity: bool = Field(False, description="Mark the entity itself too")
    mark: str = Field("reprocess", min_length=1, max_length=64)
    note: str | None = Field(None, max_length=2000)


class MarkAnswer(BaseModel):
    mark: str
    marked: int
    ids: list[str]
    by: str


class AttributeOut(BaseModel):
    name: str
    value: Any


class SearchHit(BaseModel):
    """One entity or activity found; the columns the store's search returns."""

    model_config = {"extra": "allow"}

    id: str
    name: str | None = None
    attributes: list[AttributeOut] = Field(default_factory=list)


class SearchAnswer(BaseModel):
    """One page of results; follow ``next`` (or pass ``next_cursor`` as ``cursor``) for the next."""

    kind: Literal["entity", "activity"]
    items: list[SearchHit]
    next_cursor: str | None = None
    next: str | None = None


class StatsAnswer(BaseModel):
    """Row counts of the archive."""

    tables: dict[str, int]
    records: int = Field(description="Entities, activities and agents")
    relations: int = Field(description="Rows of every relation table")


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = {"extra": "allow"}

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
