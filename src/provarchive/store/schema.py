"""The archive schema: one table per ProvDM class, described once, built for SQLAlchemy.

Every table and column is declared here as a :class:`TableSpec` / :class:`ColumnSpec`
with its description, utype (the VO-DML id, e.g. ``voprov:Entity.name``), UCD, unit
and principal/indexed flags. The SQLAlchemy tables are built from these specs, and the
TAP service publishes TAP_SCHEMA from the same specs, so the database and what the VO
sees of it can never disagree.

Conventions (see docs/archive.md):

* Tables live in the schema ``provenance`` (a PostgreSQL schema, or a SQLite database
  attached under that name), named as ProvTAP publishes them (lower case).
* ``bundle_id`` is ``''`` for records of the document itself and the bundle id for
  records inside a named bundle; identified records are keyed by ``(id, bundle_id)``.
* Relations have no natural key (their id is optional), so each row carries ``rkey``,
  a digest of its whole content: ingesting the same relation twice adds nothing.
* Times are stored in UTC (``timestamptz`` on PostgreSQL; ISO 8601 text with
  microseconds and ``+00:00`` on SQLite, which sorts like the instant it names).
* Attributes the model has no column for are kept in ``attributes`` as JSON text:
  a list of ``[name, tag, value]`` (tag ``s`` str, ``q`` QName, ``i`` int, ``f`` float,
  ``b`` bool, ``t`` time, ``l`` typed/language literal ``[value, datatype, lang]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

__all__ = [
    "SCHEMA",
    "ColumnSpec",
    "TableSpec",
    "TABLES",
    "TABLE_BY_NAME",
    "EDGE_TABLES",
    "LINEAGE_SOURCES",
    "RELATION_TABLES",
    "ELEMENT_TABLES",
    "build_metadata",
    "column_type",
]

#: Name of the schema (PostgreSQL) or attached database (SQLite) holding the archive.
SCHEMA = "provenance"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its SQL kind and everything TAP_SCHEMA publishes about it.

    ``kind`` is ``id`` (an identifier, text), ``text``, ``time`` (UTC instant),
    ``json`` (JSON text) or ``int``.
    """

    name: str
    kind: str
    description: str
    utype: str | None = None
    ucd: str | None = None
    unit: str | None = None
    principal: bool = False
    indexed: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One table: columns, key, and (for relations) its traversal edge.

    ``edge`` names the (subject, object) columns of a relation; both orders get a
    covering index because lineage walks every relation in both directions.
    ``index`` lists extra single-column or multi-column indexes.
    """

    name: str
    description: str
    utype: str | None
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    edge: tuple[str, str] | None = None
    index: tuple[tuple[str, ...], ...] = field(default=())
    unique: tuple[tuple[str, ...], ...] = field(default=())
    #: Columns carried in the key's index so that reads by key never visit the table:
    #: PostgreSQL ``INCLUDE``; SQLite's WITHOUT ROWID tables hold every column in the
    #: key's b-tree already.
    key_include: tuple[str, ...] = field(default=())
    #: The model class (VO-DML name) whose records this table holds, if any.
    model: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _id(name: str = "id", what: str = "record", utype: str | None = None) -> ColumnSpec:
    return ColumnSpec(
        name,
        "id",
        f"Identifier of the {what} (qualified name)",
        utype,
        "meta.id;meta.main",
        principal=True,
        indexed=True,
        nullable=False,
    )


def _bundle() -> ColumnSpec:
    return ColumnSpec(
        "bundle_id", "id", "Bundle holding the record; empty for the document itself", None, "meta.id", nullable=False
    )


def _attributes() -> ColumnSpec:
    return ColumnSpec("attributes", "json", "Other attributes: JSON list of [name, type tag, value]")


def _ref(name: str, what: str, utype: str | None, *, principal: bool = True, nullable: bool = True) -> ColumnSpec:
    return ColumnSpec(
        name, "id", f"Identifier of the {what}", utype, "meta.id", principal=principal, indexed=True, nullable=nullable
    )


def _text(
    name: str,
    description: str,
    utype: str | None,
    ucd: str | None = None,
    principal: bool = False,
    unit: str | None = None,
) -> ColumnSpec:
    return ColumnSpec(name, "text", description, utype, ucd, unit, principal=principal)


def _time(name: str, description: str, utype: str | None, principal: bool = True) -> ColumnSpec:
    return ColumnSpec(name, "time", description, utype, "time.epoch", principal=principal)


def _relation(
    name: str,
    model: str,
    description: str,
    refs: tuple[ColumnSpec, ...],
    extra: tuple[ColumnSpec, ...] = (),
    utype_model: bool = True,
) -> TableSpec:
    """A relation table: rkey, bundle, optional id, formal references, IVOA extras, attributes."""
    columns = (
        ColumnSpec(
            "rkey",
            "id",
            "Content digest of the relation (the same relation is stored once)",
            None,
            "meta.id",
            nullable=False,
        ),
        _bundle(),
        ColumnSpec("id", "id", "Optional identifier of the relation", None, "meta.id"),
        *refs,
        *extra,
        _attributes(),
    )
    return TableSpec(
        name,
        description,
        f"voprov:{model}" if utype_model else None,
        columns,
        ("rkey",),
        edge=(refs[0].name, refs[1].name),
        model=model,
    )


def _vp(cls: str, attr: str) -> str:
    return f"voprov:{cls}.{attr}"


# ------------------------------------------------------------------------ elements

ENTITY = TableSpec(
    "entity",
    "Entities: things (files, values, collections) that activities use and generate",
    "voprov:Entity",
    (
        _id(what="entity", utype=_vp("Entity", "id")),
        _bundle(),
        _text(
            "kind",
            "Class of the entity: Entity, Collection, DatasetEntity or ValueEntity",
            None,
            "meta.code.class",
            principal=True,
        ),
        _text("name", "Human-readable name", _vp("Entity", "name"), "meta.title", principal=True),
        _text(
            "location", "Where the entity is (path or URL)", _vp("Entity", "location"), "meta.ref.url", principal=True
        ),
        _time("generated_at_time", "When the entity was generated (UTC)", _vp("Entity", "generatedAtTime")),
        _time(
            "invalidated_at_time",
            "When the entity was invalidated (UTC)",
            _vp("Entity", "invalidatedAtTime"),
            principal=False,
        ),
        _text("comment", "Free-text comment", _vp("Entity", "comment"), "meta.note"),
        _ref("description", "EntityDescription", _vp("Entity", "entityDescription")),
        _text("value", "Value of a ValueEntity (string form)", _vp("ValueEntity", "value"), "meta.code"),
        _attributes(),
    ),
    ("id", "bundle_id"),
    # Only what joins need: every extra index costs ingest time (budget: 200k records/s).
    # (description, id): search pages through one description's entities in id order.
    index=(("description", "id"),),
    model="Entity",
)

ACTIVITY = TableSpec(
    "activity",
    "Activities: processing steps, jobs, observations",
    "voprov:Activity",
    (
        _id(what="activity", utype=_vp("Activity", "id")),
        _bundle(),
        _text("name", "Human-readable name", _vp("Activity", "name"), "meta.title", principal=True),
        _time("start_time", "When the activity started (UTC)", _vp("Activity", "startTime")),
        _time("end_time", "When the activity ended (UTC)", _vp("Activity", "endTime")),
        _text("comment", "Free-text comment", _vp("Activity", "comment"), "meta.note"),
        _ref("description", "ActivityDescription followed", _vp("Activity", "activityDescription")),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("description",),),
    model="Activity",
)

AGENT = TableSpec(
    "agent",
    "Agents: people, organisations and software bearing responsibility",
    "voprov:Agent",
    (
        _id(what="agent", utype=_vp("Agent", "id")),
        _bundle(),
        _text("name", "Name of the agent", _vp("Agent", "name"), "meta.title", principal=True),
        _text("type", "Person, Organization or SoftwareAgent", _vp("Agent", "type"), "meta.code.class", principal=True),
        _text("comment", "Free-text comment", _vp("Agent", "comment"), "meta.note"),
        _text("email", "Contact e-mail", _vp("Agent", "email"), "meta.email"),
        _text("affiliation", "Affiliation", _vp("Agent", "affiliation")),
        _text("phone", "Telephone", _vp("Agent", "phone")),
        _text("address", "Postal address", _vp("Agent", "address")),
        _text("url", "Web page", _vp("Agent", "url"), "meta.ref.url"),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("name",),),
    model="Agent",
)

ACTIVITY_DESCRIPTION = TableSpec(
    "activitydescription",
    "Activity descriptions: the definitions of kinds of activity (pipeline steps, job definitions)",
    "voprov:ActivityDescription",
    (
        _id(what="activity description"),
        _bundle(),
        _text("name", "Name of the kind of activity", _vp("ActivityDescription", "name"), "meta.title", True),
        _text("version", "Version", _vp("ActivityDescription", "version"), "meta.version", True),
        _text("description", "What it does", _vp("ActivityDescription", "description"), "meta.note"),
        _text("docurl", "Documentation URL", _vp("ActivityDescription", "docurl"), "meta.ref.url"),
        _text(
            "type",
            "Type (Observation, Calibration, Reconstruction, ...)",
            _vp("ActivityDescription", "type"),
            "meta.code.class",
            True,
        ),
        _text("subtype", "Subtype", _vp("ActivityDescription", "subtype"), "meta.code.class"),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("name", "version"),),
    model="ActivityDescription",
)

ENTITY_DESCRIPTION = TableSpec(
    "entitydescription",
    "Entity descriptions (with the DatasetDescription and ValueDescription attributes)",
    "voprov:EntityDescription",
    (
        _id(what="entity description"),
        _bundle(),
        _text("kind", "EntityDescription, DatasetDescription or ValueDescription", None, "meta.code.class", True),
        _text("name", "Name of the kind of entity", _vp("EntityDescription", "name"), "meta.title", True),
        _text("description", "What it is", _vp("EntityDescription", "description"), "meta.note"),
        _text("docurl", "Documentation URL", _vp("EntityDescription", "docurl"), "meta.ref.url"),
        _text(
            "type", "Type, e.g. a data level (DL0 ... DL5)", _vp("EntityDescription", "type"), "meta.code.class", True
        ),
        _text(
            "content_type", "MIME type of datasets", _vp("DatasetDescription", "contentType"), "meta.code.mime", True
        ),
        _text("value_type", "VOTable datatype of values", _vp("ValueDescription", "valueType")),
        _text("unit", "Unit of values", _vp("ValueDescription", "unit"), "meta.unit"),
        _text("ucd", "UCD of values", _vp("ValueDescription", "ucd"), "meta.ucd"),
        _text("utype", "Utype of values", _vp("ValueDescription", "utype"), "meta.id"),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("type",),),
    model="EntityDescription",
)


def _role_description(name: str, model: str, what: str) -> TableSpec:
    return TableSpec(
        name,
        f"{model}s: the {what} roles an ActivityDescription declares",
        f"voprov:{model}",
        (
            _id(what=model),
            _bundle(),
            _ref("activity_description", "ActivityDescription it belongs to", None),
            _text("role", f"Role of the {what}", _vp(model, "role"), "meta.code", True),
            _text("description", "Free-text description", _vp(model, "description"), "meta.note"),
            _text("type", "Type (Main, Calibration, Context, ...)", _vp(model, "type"), "meta.code.class", True),
            _text("multiplicity", "How many (n, min..max, *)", _vp(model, "multiplicity"), "meta.number"),
            ColumnSpec(
                "entity_descriptions",
                "json",
                "EntityDescription ids expected (JSON list)",
                _vp(model, "entityDescription"),
            ),
            _attributes(),
        ),
        ("id", "bundle_id"),
        index=(("activity_description",),),
        model=model,
    )


USAGE_DESCRIPTION = _role_description("usagedescription", "UsageDescription", "input")
GENERATION_DESCRIPTION = _role_description("generationdescription", "GenerationDescription", "output")

PARAMETER = TableSpec(
    "parameter",
    "Parameters: named values that configured activities",
    "voprov:Parameter",
    (
        _id(what="parameter"),
        _bundle(),
        _text("name", "Parameter name", _vp("Parameter", "name"), "meta.id", True),
        _text("value", "Parameter value (string form)", _vp("Parameter", "value"), "meta.code", True),
        _ref("description", "ParameterDescription", _vp("Parameter", "parameterDescription")),
        _ref("value_entity", "ValueEntity the value was taken from", _vp("Parameter", "valueEntity"), principal=False),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("name", "value"),),
    model="Parameter",
)

PARAMETER_DESCRIPTION = TableSpec(
    "parameterdescription",
    "Parameter descriptions of activity descriptions: type, unit, limits, options",
    "voprov:ParameterDescription",
    (
        _id(what="parameter description"),
        _bundle(),
        _ref("activity_description", "ActivityDescription it belongs to", None),
        _text("name", "Parameter name", _vp("ParameterDescription", "name"), "meta.id", True),
        _text("value_type", "VOTable datatype", _vp("ParameterDescription", "valueType"), None, True),
        _text("description", "What the parameter does", _vp("ParameterDescription", "description"), "meta.note"),
        _text("unit", "Unit", _vp("ParameterDescription", "unit"), "meta.unit"),
        _text("ucd", "UCD", _vp("ParameterDescription", "ucd"), "meta.ucd"),
        _text("utype", "Utype", _vp("ParameterDescription", "utype"), "meta.id"),
        _text("min_value", "Minimum value", _vp("ParameterDescription", "min")),
        _text("max_value", "Maximum value", _vp("ParameterDescription", "max")),
        _text("default_value", "Default value", _vp("ParameterDescription", "default")),
        ColumnSpec("options", "json", "Allowed values (JSON list)", _vp("ParameterDescription", "options")),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("activity_description",),),
    model="ParameterDescription",
)

CONFIG_FILE = TableSpec(
    "configfile",
    "Configuration files that configured activities",
    "voprov:ConfigFile",
    (
        _id(what="configuration file"),
        _bundle(),
        _text("name", "Name", _vp("ConfigFile", "name"), "meta.id", True),
        _text("location", "Where the file is", _vp("ConfigFile", "location"), "meta.ref.url", True),
        _text("comment", "Free-text comment", _vp("ConfigFile", "comment"), "meta.note"),
        _ref("description", "ConfigFileDescription", _vp("ConfigFile", "configFileDescription")),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("name",), ("location",)),
    model="ConfigFile",
)

CONFIG_FILE_DESCRIPTION = TableSpec(
    "configfiledescription",
    "Configuration file descriptions of activity descriptions",
    "voprov:ConfigFileDescription",
    (
        _id(what="configuration file description"),
        _bundle(),
        _ref("activity_description", "ActivityDescription it belongs to", None),
        _text("name", "Name", _vp("ConfigFileDescription", "name"), "meta.id", True),
        _text("content_type", "MIME type", _vp("ConfigFileDescription", "contentType"), "meta.code.mime", True),
        _text("description", "What the file configures", _vp("ConfigFileDescription", "description"), "meta.note"),
        _attributes(),
    ),
    ("id", "bundle_id"),
    index=(("activity_description",),),
    model="ConfigFileDescription",
)

# ----------------------------------------------------------------------- relations

_E, _A, _G = "entity", "activity", "agent"

USED = _relation(
    "used",
    "Used",
    "Usage: an activity used an entity",
    (
        _ref("activity", "activity", _vp("Used", "activity"), nullable=False),
        _ref("entity", "entity used", _vp("Used", "entity")),
    ),
    (
        _time("time", "When the entity was used (UTC)", _vp("Used", "time")),
        _text("role", "Role of the entity", _vp("Used", "role"), "meta.code", True),
        _ref("usage_description", "UsageDescription", _vp("Used", "usageDescription"), principal=False),
    ),
)
WAS_GENERATED_BY = _relation(
    "wasgeneratedby",
    "WasGeneratedBy",
    "Generation: an entity was generated by an activity",
    (
        _ref("entity", "entity generated", _vp("WasGeneratedBy", "entity"), nullable=False),
        _ref("activity", "activity", _vp("WasGeneratedBy", "activity")),
    ),
    (
        _time("time", "When the entity was generated (UTC)", None),
        _text("role", "Role of the entity", _vp("WasGeneratedBy", "role"), "meta.code", True),
        _ref(
            "generation_description",
            "GenerationDescription",
            _vp("WasGeneratedBy", "generationDescription"),
            principal=False,
        ),
    ),
)
WAS_ASSOCIATED_WITH = _relation(
    "wasassociatedwith",
    "WasAssociatedWith",
    "Association: an agent had a part in an activity",
    (
        _ref("activity", "activity", _vp("WasAssociatedWith", "activity"), nullable=False),
        _ref("agent", "agent", _vp("WasAssociatedWith", "agent")),
    ),
    (
        _ref("plan", "plan", None, principal=False),
        _text("role", "Role of the agent", _vp("WasAssociatedWith", "role"), "meta.code", True),
    ),
)
WAS_ATTRIBUTED_TO = _relation(
    "wasattributedto",
    "WasAttributedTo",
    "Attribution: an entity is ascribed to an agent",
    (
        _ref("entity", "entity", _vp("WasAttributedTo", "entity"), nullable=False),
        _ref("agent", "agent", _vp("WasAttributedTo", "agent"), nullable=False),
    ),
    (_text("role", "Role of the agent", _vp("WasAttributedTo", "role"), "meta.code", True),),
)
WAS_DERIVED_FROM = _relation(
    "wasderivedfrom",
    "WasDerivedFrom",
    "Derivation: an entity was derived from another",
    (
        _ref("generated_entity", "derived entity", _vp("WasDerivedFrom", "generatedEntity"), nullable=False),
        _ref("used_entity", "source entity", _vp("WasDerivedFrom", "usedEntity"), nullable=False),
    ),
    (
        _ref("activity", "activity", None, principal=False),
        _ref("generation", "generation", None, principal=False),
        _ref("usage", "usage", None, principal=False),
    ),
)
WAS_INFORMED_BY = _relation(
    "wasinformedby",
    "WasInformedBy",
    "Communication: an activity used an entity another activity generated",
    (
        _ref("informed", "informed activity", _vp("WasInformedBy", "informed"), nullable=False),
        _ref("informant", "informant activity", _vp("WasInformedBy", "informant"), nullable=False),
    ),
)
HAD_MEMBER = _relation(
    "hadmember",
    "HadMember",
    "Membership: an entity is a member of a collection",
    (
        _ref("collection", "collection", _vp("HadMember", "collection"), nullable=False),
        _ref("entity", "member entity", _vp("HadMember", "entity"), nullable=False),
    ),
)
WAS_CONFIGURED_BY = _relation(
    "wasconfiguredby",
    "WasConfiguredBy",
    "Configuration: a parameter or configuration file configured an activity",
    (
        _ref("activity", "configured activity", _vp("WasConfiguredBy", "activity"), nullable=False),
        _ref("artefact", "Parameter or ConfigFile", _vp("WasConfiguredBy", "artefact"), nullable=False),
    ),
    (
        _text(
            "artefact_type", "Parameter or ConfigFile", _vp("WasConfiguredBy", "artefactType"), "meta.code.class", True
        ),
    ),
)
WAS_STARTED_BY = _relation(
    "wasstartedby",
    "WasStartedBy",
    "Start: an activity was started by a trigger entity (W3C PROV)",
    (_ref("activity", "started activity", None, nullable=False), _ref("trigger", "trigger entity", None)),
    (_ref("starter", "starting activity", None, principal=False), _time("time", "When (UTC)", None)),
    utype_model=False,
)
WAS_ENDED_BY = _relation(
    "wasendedby",
    "WasEndedBy",
    "End: an activity was ended by a trigger entity (W3C PROV)",
    (_ref("activity", "ended activity", None, nullable=False), _ref("trigger", "trigger entity", None)),
    (_ref("ender", "ending activity", None, principal=False), _time("time", "When (UTC)", None)),
    utype_model=False,
)
WAS_INVALIDATED_BY = _relation(
    "wasinvalidatedby",
    "WasInvalidatedBy",
    "Invalidation: an entity was invalidated by an activity (W3C PROV)",
    (_ref("entity", "invalidated entity", None, nullable=False), _ref("activity", "activity", None)),
    (_time("time", "When (UTC)", None),),
    utype_model=False,
)
ACTED_ON_BEHALF_OF = _relation(
    "actedonbehalfof",
    "ActedOnBehalfOf",
    "Delegation: an agent acted for another (W3C PROV)",
    (
        _ref("delegate", "delegate agent", None, nullable=False),
        _ref("responsible", "responsible agent", None, nullable=False),
    ),
    (_ref("activity", "activity", None, principal=False),),
    utype_model=False,
)
WAS_INFLUENCED_BY = _relation(
    "wasinfluencedby",
    "WasInfluencedBy",
    "Influence: generic influence between records (W3C PROV)",
    (
        _ref("influencee", "influenced record", None, nullable=False),
        _ref("influencer", "influencing record", None, nullable=False),
    ),
    utype_model=False,
)
SPECIALIZATION_OF = _relation(
    "specializationof",
    "SpecializationOf",
    "Specialisation: an entity is a more specific aspect of another",
    (
        _ref("specific_entity", "specific entity", None, nullable=False),
        _ref("general_entity", "general entity", None, nullable=False),
    ),
    utype_model=False,
)
ALTERNATE_OF = _relation(
    "alternateof",
    "AlternateOf",
    "Alternate: two entities present aspects of the same thing (W3C PROV)",
    (
        _ref("alternate1", "first entity", None, nullable=False),
        _ref("alternate2", "second entity", None, nullable=False),
    ),
    utype_model=False,
)
MENTION_OF = _relation(
    "mentionof",
    "MentionOf",
    "Mention: an entity in a bundle is described elsewhere (W3C PROV)",
    (
        _ref("specific_entity", "specific entity", None, nullable=False),
        _ref("general_entity", "general entity", None, nullable=False),
    ),
    (_ref("bundle", "bundle", None, principal=False),),
    utype_model=False,
)

# ------------------------------------------------------------------- lineage graph

LINEAGE_EDGE = TableSpec(
    "lineage_edge",
    "The lineage graph, derived from used, wasGeneratedBy, wasDerivedFrom and wasInformedBy: one row per "
    "(later node, node it depends on), whatever relations and bundles state it. Maintained by ingest; "
    "walk it child to parent for ancestors, parent to child for descendants",
    None,
    (
        ColumnSpec(
            "child",
            "id",
            "The later node: the entity generated, the activity that used, the derived entity or the informed activity",
            None,
            "meta.id",
            principal=True,
            indexed=True,
            nullable=False,
        ),
        ColumnSpec(
            "parent",
            "id",
            "The node it depends on: the generating activity, the entity used, the source entity or the informant",
            None,
            "meta.id",
            principal=True,
            indexed=True,
            nullable=False,
        ),
        ColumnSpec(
            "parent_has_parents",
            "int",
            "1 when the parent is itself the child of some edge (has lineage of its own), else 0",
            None,
            "meta.code",
            nullable=False,
        ),
        ColumnSpec(
            "child_has_children",
            "int",
            "1 when the child is itself the parent of some edge (something depends on it), else 0",
            None,
            "meta.code",
            nullable=False,
        ),
    ),
    # one table with a covering b-tree each way: a lineage step is one index probe
    # (reference/platform.md §6), not one per relation table. Each way carries the flag
    # of the node it leads to, so a walk adds a node with nothing beyond it (a raw file
    # going back, a final product going forth) without probing it (store/lineage.py)
    ("child", "parent"),
    index=(("parent", "child", "child_has_children"),),
    key_include=("parent_has_parents",),
)

#: Relation table → (child column, parent column) of the edges it puts in lineage_edge.
LINEAGE_SOURCES: dict[str, tuple[str, str]] = {
    "wasgeneratedby": ("entity", "activity"),
    "used": ("activity", "entity"),
    "wasderivedfrom": ("generated_entity", "used_entity"),
    "wasinformedby": ("informed", "informant"),
}

# --------------------------------------------------------------- archive bookkeeping

NAMESPACE = TableSpec(
    "namespace",
    "Namespace prefixes of the identifiers stored in the archive (one URI per prefix)",
    None,
    (
        ColumnSpec(
            "prefix",
            "id",
            "Prefix used in stored identifiers",
            None,
            "meta.id",
            principal=True,
            indexed=True,
            nullable=False,
        ),
        ColumnSpec("uri", "text", "Namespace URI", None, "meta.ref.uri", principal=True, nullable=False),
    ),
    ("prefix",),
    unique=(("uri",),),
)

BUNDLE = TableSpec(
    "bundle",
    "Named bundles ingested into the archive",
    None,
    (
        ColumnSpec(
            "id", "id", "Bundle identifier", None, "meta.id;meta.main", principal=True, indexed=True, nullable=False
        ),
        _time("ingested_at", "When the bundle was first ingested (UTC)", None),
    ),
    ("id",),
)

INGEST = TableSpec(
    "ingest",
    "Log of ingested documents",
    None,
    (
        ColumnSpec(
            "ingest_id", "id", "Identifier of the ingest", None, "meta.id", principal=True, indexed=True, nullable=False
        ),
        _text("source", "Where the document came from (file name, job, ...)", None, "meta.ref", True),
        _time("ingested_at", "When (UTC)", None),
        ColumnSpec("records", "int", "Records in the document", None, "meta.number", principal=True),
        ColumnSpec("added", "int", "Records added", None, "meta.number", principal=True),
    ),
    ("ingest_id",),
)

MARK = TableSpec(
    "mark",
    "Marks put on records (e.g. 'reprocess'); records themselves are never changed",
    None,
    (
        ColumnSpec("record_id", "id", "Marked record", None, "meta.id", principal=True, indexed=True, nullable=False),
        ColumnSpec(
            "mark", "text", "The mark, e.g. reprocess", None, "meta.code", principal=True, indexed=True, nullable=False
        ),
        _text("note", "Why", None, "meta.note", True),
        _text("marked_by", "Who", None, "meta.id"),
        _time("marked_at", "When (UTC)", None),
    ),
    ("record_id", "mark"),
    index=(("mark",),),
)

#: Every table, ProvDM classes first, in the order they are created.
TABLES: tuple[TableSpec, ...] = (
    ENTITY,
    ACTIVITY,
    AGENT,
    USED,
    WAS_GENERATED_BY,
    WAS_ASSOCIATED_WITH,
    WAS_ATTRIBUTED_TO,
    WAS_DERIVED_FROM,
    WAS_INFORMED_BY,
    HAD_MEMBER,
    ACTIVITY_DESCRIPTION,
    USAGE_DESCRIPTION,
    GENERATION_DESCRIPTION,
    ENTITY_DESCRIPTION,
    PARAMETER,
    PARAMETER_DESCRIPTION,
    CONFIG_FILE,
    CONFIG_FILE_DESCRIPTION,
    WAS_CONFIGURED_BY,
    WAS_STARTED_BY,
    WAS_ENDED_BY,
    WAS_INVALIDATED_BY,
    ACTED_ON_BEHALF_OF,
    WAS_INFLUENCED_BY,
    SPECIALIZATION_OF,
    ALTERNATE_OF,
    MENTION_OF,
    LINEAGE_EDGE,
    NAMESPACE,
    BUNDLE,
    INGEST,
    MARK,
)
TABLE_BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}
#: Tables of identified records (keyed by id and bundle).
ELEMENT_TABLES = tuple(t.name for t in TABLES if t.key == ("id", "bundle_id"))
#: Tables of relations (keyed by content digest).
RELATION_TABLES = tuple(t.name for t in TABLES if t.edge is not None)
#: Relation tables with their (subject, object) columns.
EDGE_TABLES: dict[str, tuple[str, str]] = {t.name: t.edge for t in TABLES if t.edge is not None}


def column_type(kind: str) -> TypeEngine[object]:
    """The SQLAlchemy type of a column kind (times are text on SQLite, see module doc)."""
    if kind == "time":
        return DateTime(timezone=True).with_variant(String(32), "sqlite")  # type: ignore[return-value]
    if kind == "int":
        return Integer()  # type: ignore[return-value]
    if kind == "id":
        return Text()  # type: ignore[return-value]
    return Text()  # type: ignore[return-value]


def build_table(spec: TableSpec, metadata: MetaData, schema: str | None = SCHEMA) -> Table:
    """The SQLAlchemy table of one spec, with its key and traversal indexes."""
    columns = [
        Column(c.name, column_type(c.kind), nullable=c.nullable, comment=c.description, info={"spec": c})
        for c in spec.columns
    ]
    items: list[SchemaItem] = [
        PrimaryKeyConstraint(*spec.key, name=f"pk_{spec.name}", postgresql_include=list(spec.key_include))
    ]
    if spec.edge is not None:
        a, b = spec.edge
        # covering indexes: the recursive walk reads both ends from the index alone
        items.append(Index(f"ix_{spec.name}_{a}_{b}", a, b))
        items.append(Index(f"ix_{spec.name}_{b}_{a}", b, a))
    for cols in spec.index:
        items.append(Index(f"ix_{spec.name}_{'_'.join(cols)}", *cols))
    for cols in spec.unique:
        items.append(Index(f"ux_{spec.name}_{'_'.join(cols)}", *cols, unique=True))
    # SQLite: identified records are clustered by their key (WITHOUT ROWID: one b-tree,
    # read by id); relations keep a rowid so that new rows are appended, and only the
    # narrow rkey index takes random inserts (1.5x faster ingest than clustering them by
    # the random digest).
    return Table(
        spec.name,
        metadata,
        *columns,
        *items,
        schema=schema,
        comment=spec.description,
        info={"spec": spec},
        sqlite_with_rowid=spec.edge is not None,
    )


def build_metadata(schema: str | None = SCHEMA) -> MetaData:
    """A MetaData holding every archive table (in ``schema``)."""
    metadata = MetaData()
    for spec in TABLES:
        build_table(spec, metadata, schema)
    return metadata
