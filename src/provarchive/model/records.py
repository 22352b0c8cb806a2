"""The records of W3C PROV core with the IVOA ProvenanceDM 1.0 attributes.

Every record is a small slotted object. Identified records (Entity, Activity, Agent and
the IVOA classes that serialise as entities) carry an ``id``; relations carry an
optional ``id``. References between records are identifiers (``str``), never object
pointers, so a record may point at something declared in another document, exactly as
PROV allows, and documents can be merged or stored without rewiring objects.

IVOA attribute names are written in snake_case (``start_time`` for ``startTime``); the
VO-DML spelling lives with the store schema and the serialisers.

Each class declares ``kind`` (the PROV-JSON / PROV-N statement name) and ``FORMAL``,
the ordered (python attribute, PROV-JSON key) pairs of its formal arguments. The
serialisers are driven by these two tables, so adding a relation is one class here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from .ids import AttributeValue

if TYPE_CHECKING:  # pragma: no cover
    from .document import Bundle

__all__ = [
    "Record",
    "Element",
    "Entity",
    "Collection",
    "ValueEntity",
    "DatasetEntity",
    "Activity",
    "Agent",
    "AGENT_TYPES",
    "Relation",
    "Used",
    "WasGeneratedBy",
    "WasAssociatedWith",
    "WasAttributedTo",
    "WasDerivedFrom",
    "WasInformedBy",
    "HadMember",
    "WasStartedBy",
    "WasEndedBy",
    "WasInvalidatedBy",
    "ActedOnBehalfOf",
    "WasInfluencedBy",
    "SpecializationOf",
    "AlternateOf",
    "MentionOf",
    "RELATION_CLASSES",
    "ref",
]

#: The closed enumeration of ProvDM Agent.type.
AGENT_TYPES = ("Person", "Organization", "SoftwareAgent")


def ref(value: Record | str | None) -> str | None:
    """The identifier of a record, or the identifier itself."""
    if value is None or isinstance(value, str):
        return value
    ident = value.id
    if ident is None:
        raise ValueError(f"{type(value).__name__} has no id and cannot be referenced")
    return ident


class Record:
    """Base of every statement: an optional identifier and extra attributes.

    ``attributes`` holds every attribute the model has no slot for, as an ordered
    list of (qualified name, value) pairs; a name may repeat (``prov:type`` often
    does). They are kept and written back by every serialiser.

    Most records have no extra attribute, so the list is made only when first asked
    for: the hidden slot ``_attributes`` holds the empty tuple until then (one
    gc-tracked list fewer per record read from a file, which readers make by the
    100k and the collector walks). Code that only reads, the serialisers and the
    store's row maker, reads ``_attributes`` itself: a tuple or a list of pairs,
    iterable and false when empty, never materialised by reading it.
    """

    __slots__ = ("id", "_attributes")
    kind: ClassVar[str] = ""
    FORMAL: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Slots holding IVOA attributes (not formal arguments, not ``attributes``).
    IVOA: ClassVar[tuple[str, ...]] = ()

    id: str | None
    _attributes: list[tuple[str, Any]] | tuple[()]

    @property
    def attributes(self) -> list[tuple[str, Any]]:
        """The extra attributes, a list the caller may change (made on first use)."""
        found = self._attributes
        if not found and type(found) is tuple:
            found = self._attributes = []
        return found  # type: ignore[return-value]

    @attributes.setter
    def attributes(self, value: list[tuple[str, Any]]) -> None:
        self._attributes = value

    def attribute(self, name: str, default: Any = None) -> Any:
        """The first value of the extra attribute ``name``."""
        for key, value in self._attributes:
            if key == name:
                return value
        return default

    def attribute_values(self, name: str) -> list[Any]:
        """Every value of the extra attribute ``name``."""
        return [value for key, value in self._attributes if key == name]

    def set(self, name: str, value: AttributeValue) -> Record:
        """Add an extra attribute; returns the record for chaining."""
        self.attributes.append((name, value))
        return self

    def fields(self) -> dict[str, Any]:
        """Formal and IVOA fields by Python name (the record's own data, no extras)."""
        out: dict[str, Any] = {}
        for name, _key in self.FORMAL:
            out[name] = getattr(self, name)
        for name in self.IVOA:
            out[name] = getattr(self, name)
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return (
            self.id == other.id
            and self.fields() == other.fields()
            and sorted(map(repr, self._attributes)) == sorted(map(repr, other._attributes))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.fields().items() if v not in (None, []))
        ident = f"{self.id!r}, " if self.id else ""
        return f"{type(self).__name__}({ident}{shown})"


# --------------------------------------------------------------------------- elements


class Element(Record):
    """A record with a mandatory identifier that relations point at."""

    __slots__ = ("_bundle",)
    _bundle: Bundle | None
    id: str

    if TYPE_CHECKING:  # every element class takes its id first, then keyword fields

        def __init__(self, id: str, **fields: Any) -> None: ...

    def _add(self, record: Relation) -> Any:
        if self._bundle is not None:
            self._bundle.add(record)
        return record


class Entity(Element):
    """A physical, digital or conceptual thing (ProvDM Entity)."""

    __slots__ = ("name", "location", "generated_at_time", "invalidated_at_time", "comment", "description")
    kind = "entity"
    IVOA: ClassVar[tuple[str, ...]] = (
        "name",
        "location",
        "generated_at_time",
        "invalidated_at_time",
        "comment",
        "description",
    )

    def __init__(
        self,
        id: str,
        *,
        name: str | None = None,
        location: str | None = None,
        generated_at_time: datetime | None = None,
        invalidated_at_time: datetime | None = None,
        comment: str | None = None,
        description: Record | str | None = None,
        attributes: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.location = location
        self.generated_at_time = generated_at_time
        self.invalidated_at_time = invalidated_at_time
        self.comment = comment
        #: Identifier of the EntityDescription (DatasetDescription/ValueDescription).
        self.description = ref(description)
        self._attributes = list(attributes) if attributes else ()
        self._bundle = None

    def derived_from(self, source: Entity | str, **kwargs: Any) -> WasDerivedFrom:
        """Record that this entity was derived from ``source`` (wasDerivedFrom)."""
        return self._add(WasDerivedFrom(self.id, ref(source), **kwargs))  # type: ignore[arg-type]

    def attributed_to(self, agent: Agent | str, *, role: str | None = None, **kwargs: Any) -> WasAttributedTo:
        """Record that ``agent`` is responsible for this entity (wasAttributedTo)."""
        return self._add(WasAttributedTo(self.id, ref(agent), role=role, **kwargs))  # type: ignore[arg-type]

    def generated_by(
        self, activity: Activity | str, *, role: str | None = None, time: datetime | None = None, **kwargs: Any
    ) -> WasGeneratedBy:
        """Record the activity that generated this entity (wasGeneratedBy)."""
        return self._add(WasGeneratedBy(self.id, ref(activity), time=time, role=role, **kwargs))  # type: ignore[arg-type]


class Collection(Entity):
    """An entity that groups other entities (prov:Collection; members by hadMember)."""

    __slots__ = ()

    def member(self, entity: Entity | str) -> HadMember:
        """Add ``entity`` to the collection (hadMember)."""
        return self._add(HadMember(self.id, ref(entity)))  # type: ignore[arg-type]


class ValueEntity(Entity):
    """An entity that is a value (ProvDM ValueEntity), e.g. a number read from a header."""

    __slots__ = ("value",)
    IVOA: ClassVar[tuple[str, ...]] = Entity.IVOA + ("value",)

    def __init__(self, id: str, *, value: str | None = None, **kwargs: Any) -> None:
        super().__init__(id, **kwargs)
        self.value = value


class DatasetEntity(Entity):
    """An entity that is a dataset (ProvDM DatasetEntity), described by a DatasetDescription."""

    __slots__ = ()


class Activity(Element):
    """Something that occurs over time and acts upon entities (ProvDM Activity)."""

    __slots__ = ("start_time", "end_time", "name", "comment", "description")
    kind = "activity"
    FORMAL = (("start_time", "prov:startTime"), ("end_time", "prov:endTime"))
    IVOA: ClassVar[tuple[str, ...]] = ("name", "comment", "description")

    def __init__(
        self,
        id: str,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        *,
        name: str | None = None,
        comment: str | None = None,
        description: str | None = None,
        attributes: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.id = id
        self.start_time = start_time
        self.end_time = end_time
        self.name = name
        self.comment = comment
        #: Identifier of the ActivityDescription this activity follows.
        self.description = ref(description)
        self._attributes = list(attributes) if attributes else ()
        self._bundle = None

    def used(
        self, entity: Entity | str, *, role: str | None = None, time: datetime | None = None, **kwargs: Any
    ) -> Used:
        """Record that this activity used ``entity``."""
        return self._add(Used(self.id, ref(entity), time=time, role=role, **kwargs))  # type: ignore[arg-type]

    def generated(
        self, entity: Entity | str, *, role: str | None = None, time: datetime | None = None, **kwargs: Any
    ) -> WasGeneratedBy:
        """Record that this activity generated ``entity``."""
        return self._add(WasGeneratedBy(ref(entity), self.id, time=time, role=role, **kwargs))  # type: ignore[arg-type]

    def associated_with(
        self,
        agent: Agent | str | None,
        *,
        role: str | None = None,
        plan: Record | str | None = None,
        **kwargs: Any,
    ) -> WasAssociatedWith:
        """Record that ``agent`` had a part in this activity (wasAssociatedWith)."""
        return self._add(WasAssociatedWith(self.id, ref(agent), ref(plan), role=role, **kwargs))

    def informed_by(self, informant: Activity | str, **kwargs: Any) -> WasInformedBy:
        """Record that this activity used an entity generated by ``informant``."""
        return self._add(WasInformedBy(self.id, ref(informant), **kwargs))  # type: ignore[arg-type]

    def parameter(self, name: str, value: Any, **kwargs: Any) -> Any:
        """Add a Parameter that configured this activity (with its WasConfiguredBy)."""
        if self._bundle is None:
            raise ValueError("parameter() needs an activity that belongs to a document")
        return self._bundle.parameter(self, name, value, **kwargs)

    def config_file(self, name: str, location: str | None = None, **kwargs: Any) -> Any:
        """Add a ConfigFile that configured this activity (with its WasConfiguredBy)."""
        if self._bundle is None:
            raise ValueError("config_file() needs an activity that belongs to a document")
        return self._bundle.config_file(self, name, location, **kwargs)


class Agent(Element):
    """A person, organisation or software bearing responsibility (ProvDM Agent)."""

    __slots__ = ("name", "type", "comment", "email", "affiliation", "phone", "address", "url")
    kind = "agent"
    IVOA: ClassVar[tuple[str, ...]] = ("name", "type", "comment", "email", "affiliation", "phone", "address", "url")

    def __init__(
        self,
        id: str,
        *,
        name: str | None = None,
        type: str | None = None,
        comment: str | None = None,
        email: str | None = None,
        affiliation: str | None = None,
        phone: str | None = None,
        address: str | None = None,
        url: str | None = None,
        attributes: Iterable[tuple[str, Any]] = (),
    ) -> None:
        if type is not None and type not in AGENT_TYPES:
            raise ValueError(f"agent {id}: type must be one of {', '.join(AGENT_TYPES)}, not {type!r}")
        self.id = id
        self.name = name
        self.type = type
        self.comment = comment
        self.email = email
        self.affiliation = affiliation
        self.phone = phone
        self.address = address
        self.url = url
        self._attributes = list(attributes) if attributes else ()
        self._bundle = None

    def acted_on_behalf_of(self, responsible: Agent | str, activity: Activity | str | None = None) -> ActedOnBehalfOf:
        """Record delegation: this agent acted for ``responsible``."""
        return self._add(ActedOnBehalfOf(self.id, ref(responsible), ref(activity)))  # type: ignore[arg-type]


# -------------------------------------------------------------------------- relations


class Relation(Record):
    """A relation between records; its identifier is optional."""

    __slots__ = ()
    _FORMAL_NAMES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, id: str | None = None, attributes: Iterable[tuple[str, Any]] = (), **ivoa: Any):
        formal = self.FORMAL
        if len(args) > len(formal):
            raise TypeError(f"{type(self).__name__} takes at most {len(formal)} formal arguments")
        for (name, _key), value in zip(formal, args, strict=False):
            setattr(self, name, ref(value) if isinstance(value, Record) else value)
        for name, _key in formal[len(args) :]:
            value = ivoa.pop(name, None)
            setattr(self, name, ref(value) if isinstance(value, Record) else value)
        for name in self.IVOA:
            value = ivoa.pop(name, None)
            setattr(self, name, ref(value) if isinstance(value, Record) else value)
        if ivoa:
            raise TypeError(f"{type(self).__name__}: unknown argument(s) {', '.join(sorted(ivoa))}")
        self.id = id
        self._attributes = list(attributes) if attributes else ()

    @classmethod
    def from_formal(cls, formal: list[Any], id: str | None = None) -> Relation:
        """Fast constructor for readers: formal arguments in order (ids as strings),
        IVOA slots empty. Skips the checks of ``__init__``; readers build many records."""
        obj = cls.__new__(cls)
        names = cls._FORMAL_NAMES
        for name, value in zip(names, formal):
            setattr(obj, name, value)
        for name in names[len(formal) :]:
            setattr(obj, name, None)
        for name in cls.IVOA:
            setattr(obj, name, None)
        obj.id = id
        obj._attributes = ()
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._FORMAL_NAMES = tuple(name for name, _key in cls.FORMAL)

    @property
    def endpoints(self) -> tuple[str | None, str | None]:
        """(subject, object) identifiers: the first two formal arguments."""
        first, second = self.FORMAL[0][0], self.FORMAL[1][0]
        return getattr(self, first), getattr(self, second)


class Used(Relation):
    __slots__ = ("activity", "entity", "time", "role", "usage_description")
    kind = "used"
    FORMAL = (("activity", "prov:activity"), ("entity", "prov:entity"), ("time", "prov:time"))
    IVOA: ClassVar[tuple[str, ...]] = ("role", "usage_description")
    activity: str
    entity: str
    time: datetime | None
    role: str | None
    usage_description: str | None


class WasGeneratedBy(Relation):
    __slots__ = ("entity", "activity", "time", "role", "generation_description")
    kind = "wasGeneratedBy"
    FORMAL = (("entity", "prov:entity"), ("activity", "prov:activity"), ("time", "prov:time"))
    IVOA: ClassVar[tuple[str, ...]] = ("role", "generation_description")
    entity: str
    activity: str | None
    time: datetime | None
    role: str | None
    generation_description: str | None


class WasAssociatedWith(Relation):
    __slots__ = ("activity", "agent", "plan", "role")
    kind = "wasAssociatedWith"
    FORMAL = (("activity", "prov:activity"), ("agent", "prov:agent"), ("plan", "prov:plan"))
    IVOA: ClassVar[tuple[str, ...]] = ("role",)
    activity: str
    agent: str | None
    plan: str | None
    role: str | None


class WasAttributedTo(Relation):
    __slots__ = ("entity", "agent", "role")
    kind = "wasAttributedTo"
    FORMAL = (("entity", "prov:entity"), ("agent", "prov:agent"))
    IVOA: ClassVar[tuple[str, ...]] = ("role",)
    entity: str
    agent: str
    role: str | None


class WasDerivedFrom(Relation):
    __slots__ = ("generated_entity", "used_entity", "activity", "generation", "usage")
    kind = "wasDerivedFrom"
    FORMAL = (
        ("generated_entity", "prov:generatedEntity"),
        ("used_entity", "prov:usedEntity"),
        ("activity", "prov:activity"),
        ("generation", "prov:generation"),
        ("usage", "prov:usage"),
    )
    generated_entity: str
    used_entity: str
    activity: str | None
    generation: str | None
    usage: str | None


class WasInformedBy(Relation):
    __slots__ = ("informed", "informant")
    kind = "wasInformedBy"
    FORMAL = (("informed", "prov:informed"), ("informant", "prov:informant"))
    informed: str
    informant: str


class HadMember(Relation):
    __slots__ = ("collection", "entity")
    kind = "hadMember"
    FORMAL = (("collection", "prov:collection"), ("entity", "prov:entity"))
    collection: str
    entity: str


class WasStartedBy(Relation):
    __slots__ = ("activity", "trigger", "starter", "time")
    kind = "wasStartedBy"
    FORMAL = (
        ("activity", "prov:activity"),
        ("trigger", "prov:trigger"),
        ("starter", "prov:starter"),
        ("time", "prov:time"),
    )
    activity: str
    trigger: str | None
    starter: str | None
    time: datetime | None


class WasEndedBy(Relation):
    __slots__ = ("activity", "trigger", "ender", "time")
    kind = "wasEndedBy"
    FORMAL = (
        ("activity", "prov:activity"),
        ("trigger", "prov:trigger"),
        ("ender", "prov:ender"),
        ("time", "prov:time"),
    )
    activity: str
    trigger: str | None
    ender: str | None
    time: datetime | None


class WasInvalidatedBy(Relation):
    __slots__ = ("entity", "activity", "time")
    kind = "wasInvalidatedBy"
    FORMAL = (("entity", "prov:entity"), ("activity", "prov:activity"), ("time", "prov:time"))
    entity: str
    activity: str | None
    time: datetime | None


class ActedOnBehalfOf(Relation):
    __slots__ = ("delegate", "responsible", "activity")
    kind = "actedOnBehalfOf"
    FORMAL = (("delegate", "prov:delegate"), ("responsible", "prov:responsible"), ("activity", "prov:activity"))
    delegate: str
    responsible: str
    activity: str | None


class WasInfluencedBy(Relation):
    __slots__ = ("influencee", "influencer")
    kind = "wasInfluencedBy"
    FORMAL = (("influencee", "prov:influencee"), ("influencer", "prov:influencer"))
    influencee: str
    influencer: str


class SpecializationOf(Relation):
    __slots__ = ("specific_entity", "general_entity")
    kind = "specializationOf"
    FORMAL = (("specific_entity", "prov:specificEntity"), ("general_entity", "prov:generalEntity"))
    specific_entity: str
    general_entity: str


class AlternateOf(Relation):
    __slots__ = ("alternate1", "alternate2")
    kind = "alternateOf"
    FORMAL = (("alternate1", "prov:alternate1"), ("alternate2", "prov:alternate2"))
    alternate1: str
    alternate2: str


class MentionOf(Relation):
    __slots__ = ("specific_entity", "general_entity", "bundle")
    kind = "mentionOf"
    FORMAL = (
        ("specific_entity", "prov:specificEntity"),
        ("general_entity", "prov:generalEntity"),
        ("bundle", "prov:bundle"),
    )
    specific_entity: str
    general_entity: str
    bundle: str | None


#: Every W3C relation class by its statement name, in PROV-N's order of presentation.
RELATION_CLASSES: dict[str, type[Relation]] = {
    cls.kind: cls
    for cls in (
        Used,
        WasGeneratedBy,
        WasInvalidatedBy,
        WasStartedBy,
        WasEndedBy,
        WasInformedBy,
        WasAssociatedWith,
        WasAttributedTo,
        ActedOnBehalfOf,
        WasDerivedFrom,
        WasInfluencedBy,
        SpecializationOf,
        AlternateOf,
        MentionOf,
        HadMember,
    )
}
