"""The IVOA ProvenanceDM 1.0 rules (reference/provdm.md §6, list 1-12) on one bundle.

These run on the IVOA records themselves (descriptions, parameters, roles), not on
their W3C serialisation: they check what the REC adds to W3C PROV — mandatory
attributes, descriptions that match what an activity actually did, typed values.
References to records that are not in the document (PROV allows them) are reported
as warnings when a rule cannot be checked without them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from ..model.configuration import ConfigFile, Parameter, WasConfiguredBy
from ..model.descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    DatasetDescription,
    Description,
    EntityDescription,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
    ValueDescription,
)
from ..model.document import Bundle
from ..model.records import (
    AGENT_TYPES,
    Activity,
    Agent,
    DatasetEntity,
    Element,
    Entity,
    Record,
    Relation,
    Used,
    ValueEntity,
    WasAssociatedWith,
    WasAttributedTo,
    WasGeneratedBy,
)
from .ivoa_values import check_values
from .report import Issue

__all__ = ["check_bundle", "AGENT_ROLES", "ACTIVITY_TYPES", "USAGE_TYPES", "parse_multiplicity"]

#: Recommended vocabularies of ProvDM 1.0 (reference/provdm.md §1); other terms give warnings.
AGENT_ROLES = (
    "Author",
    "Contributor",
    "Coordinator",
    "Creator",
    "Curator",
    "Editor",
    "Funder",
    "Investigator",
    "Observer",
    "Operator",
    "Provider",
    "Publisher",
)
ACTIVITY_TYPES = ("Observation", "Simulation", "Reduction", "Calibration", "Reconstruction", "Selection", "Analysis")
USAGE_TYPES = ("Main", "Calibration", "Preview", "Setup", "Quality", "Log", "Context")

#: Lower-cased vocabularies, computed once.
_LOWER: dict[tuple[str, ...], frozenset[str]] = {}

R1 = "IVOA-1 mandatory attribute"
R2 = "IVOA-2 one generation per entity"
R3 = "IVOA-3 one description per activity"
R4 = "IVOA-4 time within activity"
R5 = "IVOA-5 role matches description"
R6 = "IVOA-6 multiplicity"
R7 = "IVOA-7 description belongs to the activity description"
R10 = "IVOA-10 entity description class"
R11 = "IVOA-11 entity description expected by the role"
R12 = "IVOA-12 recommended vocabulary"

# class -> ((slot, VO-DML attribute name), ...) that ProvDM marks mandatory [1]
_MANDATORY: tuple[tuple[type[Record], tuple[tuple[str, str], ...]], ...] = (
    (Agent, (("name", "Agent.name"),)),
    (ActivityDescription, (("name", "ActivityDescription.name"),)),
    (DatasetDescription, (("name", "EntityDescription.name"), ("content_type", "DatasetDescription.contentType"))),
    (ValueDescription, (("name", "EntityDescription.name"), ("value_type", "ValueDescription.valueType"))),
    (EntityDescription, (("name", "EntityDescription.name"),)),
    (UsageDescription, (("role", "UsageDescription.role"),)),
    (GenerationDescription, (("role", "GenerationDescription.role"),)),
    (ParameterDescription, (("name", "ParameterDescription.name"), ("value_type", "ParameterDescription.valueType"))),
    (
        ConfigFileDescription,
        (("name", "ConfigFileDescription.name"), ("content_type", "ConfigFileDescription.contentType")),
    ),
    (ValueEntity, (("value", "ValueEntity.value"),)),
    (Parameter, (("name", "Parameter.name"), ("value", "Parameter.value"))),
    (ConfigFile, (("name", "ConfigFile.name"),)),
    (WasConfiguredBy, (("artefact_type", "WasConfiguredBy.artefactType"),)),
    (Used, (("entity", "Used.entity"),)),
    (WasGeneratedBy, (("activity", "WasGeneratedBy.activity"),)),
)


def label(record: Record) -> str:
    """How a record is named in messages: its id, or ``kind(first, second)`` for anonymous relations."""
    if record.id:
        return record.id
    if isinstance(record, Relation):
        first, second = (getattr(record, name) for name, _key in record.FORMAL[:2])
        kind = "wasConfiguredBy" if isinstance(record, WasConfiguredBy) else record.kind
        return f"{kind}({first or '-'}, {second or '-'})"
    return type(record).__name__


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_multiplicity(text: str) -> tuple[int, int | None]:
    """(minimum, maximum or None) of a multiplicity: "1", "0..1", "*", "n", "2..*", "1..n".

    "*" is any number; a bare "n" (the REC's "n") is read as one or more.
    """
    value = text.strip()
    if value == "*":
        return 0, None
    if value.lower() == "n":
        return 1, None
    if value.isdigit():
        return int(value), int(value)
    low, sep, high = value.partition("..")
    if sep and low.strip().isdigit():
        high = high.strip()
        if high in ("*", "n", "N"):
            return int(low), None
        if high.isdigit() and int(high) >= int(low):
            return int(low), int(high)
    raise ValueError(f"multiplicity {text!r} is not of the form 1, 0..1, *, n or min..max")


class _Checker:
    """Indexes one bundle once, then runs each rule over the indexes."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.issues: list[Issue] = []
        self.used: list[Used] = []
        self.generations: list[WasGeneratedBy] = []
        self.configured: list[WasConfiguredBy] = []
        self.activities: dict[str, list[Activity]] = defaultdict(list)
        self.used_by: dict[str, list[Used]] = defaultdict(list)  # activity id -> its usages
        self.generated_by: dict[str, list[WasGeneratedBy]] = defaultdict(list)
        self.children: dict[str, list[Description]] = defaultdict(list)  # ActivityDescription id -> parts
        for record in bundle.records:
            if isinstance(record, Used):
                self.used.append(record)
                self.used_by[record.activity].append(record)
            elif isinstance(record, WasGeneratedBy):
                self.generations.append(record)
                if record.activity:
                    self.generated_by[record.activity].append(record)
            elif isinstance(record, WasConfiguredBy):
                self.configured.append(record)
            elif isinstance(record, Activity):
                self.activities[record.id].append(record)
            elif (
                isinstance(
                    record, (UsageDescription, GenerationDescription, ParameterDescription, ConfigFileDescription)
                )
                and record.activity_description
            ):
                self.children[record.activity_description].append(record)
        self._same_id: dict[str, list[Record]] | None = None

    def same_id(self, ident: str) -> list[Record]:
        """Every statement about ``ident`` in the bundle and its document: PROV merges them into one."""
        if self._same_id is None:
            index: dict[str, list[Record]] = defaultdict(list)
            sources = [self.bundle] if self.bundle.parent is None else [self.bundle, self.bundle.parent]
            for source in sources:
                for record in source.records:
                    if isinstance(record, Element):
                        index[record.id].append(record)
            self._same_id = index
        return self._same_id.get(ident, [])

    def lookup(self, ident: str | None) -> Element | None:
        """The record with this id in the bundle, else in the document holding it."""
        if ident is None:
            return None
        found = self.bundle.get(ident)
        if found is None and self.bundle.parent is not None:
            found = self.bundle.parent.get(ident)
        return found

    def add(self, rule: str, severity: str, message: str, *records: str | None) -> None:
        ids = tuple(dict.fromkeys(r for r in records if r))
        self.issues.append(Issue(rule, severity, message, ids))  # type: ignore[arg-type]

    def description_of(self, activity_id: str) -> ActivityDescription | None:
        for activity in self.activities.get(activity_id, ()):
            if activity.description:
                found = self.lookup(activity.description)
                if isinstance(found, ActivityDescription):
                    return found
        return None

    def run(self) -> list[Issue]:
        self.mandatory()
        self.one_generation()
        self.one_description()
        self.times()
        self.roles(self.used, UsageDescription, "usage_description", "activity", "used")
        self.roles(self.generations, GenerationDescription, "generation_description", "activity", "generated")
        self.multiplicity()
        self.entity_descriptions()
        self.vocabularies()
        check_values(self)
        return self.issues

    # ----------------------------------------------------------------- rules 1-3

    def mandatory(self) -> None:
        for record in self.bundle.records:
            for cls, slots in _MANDATORY:
                if isinstance(record, cls):
                    for slot, name in slots:
                        if not self._has(record, slot):
                            message = f"{label(record)} has no {name}, which ProvDM requires"
                            stray = [key for key, _v in record.attributes if key.rsplit(":", 1)[-1] == slot]
                            if stray:  # voprov writes prov:name where PROV has prov:label
                                message += f" (it has {stray[0]}, which is not where ProvDM's {name} is written)"
                            self.add(R1, "error", message, label(record))
                    break
            if isinstance(record, Agent) and record.type is not None and record.type not in AGENT_TYPES:
                self.add(
                    "IVOA-1 agent type",
                    "error",
                    f"agent {record.id} has type {record.type!r}; Agent.type is one of {', '.join(AGENT_TYPES)}",
                    record.id,
                )
            if isinstance(record, WasAssociatedWith) and record.agent is None and record.plan is None:
                self.add(
                    R1,
                    "error",
                    f"{label(record)} names no agent; ProvDM requires WasAssociatedWith.agent",
                    label(record),
                )

    def _has(self, record: Record, slot: str) -> bool:
        """Whether a mandatory slot is set, on this record or on another statement about the same id."""
        value = getattr(record, slot)
        if value is not None and value != "":
            return True
        if not isinstance(record, Element):
            return False
        return any(getattr(other, slot, None) not in (None, "") for other in self.same_id(record.id))

    def one_generation(self) -> None:
        by_entity: dict[str, list[WasGeneratedBy]] = defaultdict(list)
        for generation in self.generations:
            by_entity[generation.entity].append(generation)
        for entity, generations in by_entity.items():
            activities = list(dict.fromkeys(g.activity or "-" for g in generations))
            if len(generations) > 1:
                self.add(
                    R2,
                    "error",
                    f"entity {entity} has {len(generations)} WasGeneratedBy (by {', '.join(activities)}); "
                    "ProvDM allows at most one",
                    entity,
                    *(label(g) for g in generations),
                )

    def one_description(self) -> None:
        described: dict[str, list[str]] = defaultdict(list)
        for activity_id, activities in self.activities.items():
            for activity in activities:
                if activity.description and activity.description not in described[activity_id]:
                    described[activity_id].append(activity.description)
        for record in self.bundle.records:
            if (
                isinstance(record, WasAssociatedWith)
                and record.plan
                and isinstance(self.lookup(record.plan), ActivityDescription)
                and record.plan not in described[record.activity]
            ):
                described[record.activity].append(record.plan)
        for activity_id, descriptions in described.items():
            if len(descriptions) > 1:
                self.add(
                    R3,
                    "error",
                    f"activity {activity_id} has {len(descriptions)} ActivityDescriptions ({', '.join(descriptions)}); "
                    "ProvDM allows at most one",
                    activity_id,
                    *descriptions,
                )

    # ------------------------------------------------------------------- rule 4

    def times(self) -> None:
        for activity_id, activities in self.activities.items():
            for activity in activities:
                if activity.start_time and activity.end_time and _utc(activity.end_time) < _utc(activity.start_time):
                    self.add(
                        R4,
                        "error",
                        f"activity {activity_id} ends ({activity.end_time.isoformat()}) before it starts "
                        f"({activity.start_time.isoformat()})",
                        activity_id,
                    )
        for used in self.used:
            if used.time is not None:
                self._within(used.activity, used.time, used)
        for generation in self.generations:
            if generation.activity is None:
                continue
            if generation.time is not None:
                self._within(generation.activity, generation.time, generation)
            entity = self.lookup(generation.entity)
            if isinstance(entity, Entity) and entity.generated_at_time is not None:
                self._within(generation.activity, entity.generated_at_time, generation, entity)
        for record in self.bundle.records:
            if (
                isinstance(record, Entity)
                and record.generated_at_time
                and record.invalidated_at_time
                and _utc(record.invalidated_at_time) < _utc(record.generated_at_time)
            ):
                self.add(
                    R4,
                    "error",
                    f"entity {record.id} is invalidated ({record.invalidated_at_time.isoformat()}) before it is "
                    f"generated ({record.generated_at_time.isoformat()})",
                    record.id,
                )

    def _within(self, activity_id: str, when: datetime, relation: Relation, entity: Entity | None = None) -> None:
        """Rule 4: ``when`` (a usage or generation time, or an entity's generatedAtTime) is within the activity."""
        for activity in self.activities.get(activity_id, ()):
            start, end = activity.start_time, activity.end_time
            moment = _utc(when)
            early = start is not None and moment < _utc(start)
            late = end is not None and moment > _utc(end)
            if not early and not late:
                return
            if entity is None:
                what, records = f"{label(relation)} is dated", (label(relation),)
            else:
                what, records = f"entity {entity.id} has generatedAtTime", (entity.id, label(relation))
            if early and start is not None:
                where = f"before activity {activity_id} starts ({start.isoformat()})"
            else:
                where = f"after activity {activity_id} ends ({end.isoformat() if end else '?'})"
            self.add(R4, "error", f"{what} {when.isoformat()}, {where}", *records, activity_id)
            return

    # -------------------------------------------------------------- rules 5-7, 11

    def matched_description(self, relation: Used | WasGeneratedBy, cls: type[Description]) -> Description | None:
        """The Usage/GenerationDescription a relation is linked to, or the one of its role."""
        slot = "usage_description" if isinstance(relation, Used) else "generation_description"
        linked = self.lookup(getattr(relation, slot))
        if isinstance(linked, cls):
            return linked
        if getattr(relation, slot) is None and relation.activity and relation.role is not None:
            description = self.description_of(relation.activity)
            if description is not None:
                for child in self.children.get(description.id, ()):
                    if isinstance(child, cls) and child.role == relation.role:  # type: ignore[attr-defined]
                        return child
        return None

    def roles(self, relations: list[Any], cls: type[Description], slot: str, _act: str, verb: str) -> None:
        kind = cls.__name__
        for relation in relations:
            name = label(relation)
            linked_id = getattr(relation, slot)
            if linked_id is not None:
                linked = self.lookup(linked_id)
                if linked is None:
                    self.add(R5, "warning", f"{name} refers to {kind} {linked_id}, which is not in the document", name)
                    continue
                if not isinstance(linked, cls):
                    self.add(
                        R5,
                        "error",
                        f"{name} refers to {linked_id} as its {kind}, but it is a {type(linked).__name__}",
                        name,
                        linked_id,
                    )
                    continue
                if relation.role != linked.role:  # type: ignore[attr-defined]
                    self.add(
                        R5,
                        "error",
                        f"{name} has role {relation.role!r} but its {kind} {linked_id} describes role {linked.role!r}",  # type: ignore[attr-defined]
                        name,
                        linked_id,
                    )
                activity_description = self.description_of(relation.activity) if relation.activity else None
                owner = linked.activity_description  # type: ignore[attr-defined]
                if activity_description is not None and owner != activity_description.id:
                    self.add(
                        R7,
                        "error",
                        f"{name} uses {kind} {linked_id}, which belongs to {owner or 'no ActivityDescription'}, "
                        f"but activity {relation.activity} follows {activity_description.id}",
                        name,
                        linked_id,
                        relation.activity,
                    )
                continue
            if relation.activity is None:
                continue
            description = self.description_of(relation.activity)
            if description is None:
                continue
            declared = [c.role for c in self.children.get(description.id, ()) if isinstance(c, cls)]  # type: ignore[attr-defined]
            if declared and relation.role not in declared:
                self.add(
                    R5,
                    "warning",
                    f"{name}: activity {relation.activity} {verb} with role {relation.role!r}, which its "
                    f"ActivityDescription {description.id} does not describe (roles: {', '.join(map(str, declared))})",
                    name,
                    description.id,
                )

    def multiplicity(self) -> None:
        for activity_id in self.activities:
            description = self.description_of(activity_id)
            if description is None:
                continue
            for cls, relations, verb in (
                (UsageDescription, self.used_by.get(activity_id, []), "used"),
                (GenerationDescription, self.generated_by.get(activity_id, []), "generated"),
            ):
                for child in self.children.get(description.id, ()):
                    if not isinstance(child, cls) or child.multiplicity is None:  # type: ignore[attr-defined]
                        continue
                    try:
                        low, high = parse_multiplicity(child.multiplicity)  # type: ignore[attr-defined]
                    except ValueError as error:
                        self.add(R6, "error", f"{child.id}: {error}", child.id)
                        continue
                    count = sum(1 for r in relations if self.matched_description(r, cls) is child)
                    if count < low or (high is not None and count > high):
                        self.add(
                            R6,
                            "error",
                            f"activity {activity_id} {verb} {count} entit{'y' if count == 1 else 'ies'} with role "
                            f"{child.role!r}, but {child.id} requires multiplicity {child.multiplicity}",  # type: ignore[attr-defined]
                            activity_id,
                            child.id,
                        )

    def entity_descriptions(self) -> None:
        """Rules 10 (description class) and 11 (description expected by the role)."""
        for record in self.bundle.records:
            if not isinstance(record, Entity) or record.description is None:
                continue
            found = self.lookup(record.description)
            if found is None:
                self.add(
                    R10,
                    "warning",
                    f"entity {record.id} refers to description {record.description}, which is not in the document",
                    record.id,
                )
                continue
            expected: type[Record] = EntityDescription
            if isinstance(record, DatasetEntity):
                expected = DatasetDescription
            elif isinstance(record, ValueEntity):
                expected = ValueDescription
            if not isinstance(found, expected):
                self.add(
                    R10,
                    "error",
                    f"{type(record).__name__} {record.id} is described by {found.id}, a {type(found).__name__}; "
                    f"it must be a {expected.__name__}",
                    record.id,
                    found.id,
                )
        for relations, cls, position in (
            (self.used, UsageDescription, "entity"),
            (self.generations, GenerationDescription, "entity"),
        ):
            for relation in relations:
                description = self.matched_description(relation, cls)
                if description is None or not description.entity_descriptions:  # type: ignore[attr-defined]
                    continue
                entity = self.lookup(getattr(relation, position))
                if not isinstance(entity, Entity) or entity.description is None:
                    continue
                allowed = description.entity_descriptions  # type: ignore[attr-defined]
                if entity.description not in allowed:
                    self.add(
                        R11,
                        "error",
                        f"{label(relation)}: entity {entity.id} is described by {entity.description}, but role "
                        f"{description.role!r} ({description.id}) expects {', '.join(allowed)}",  # type: ignore[attr-defined]
                        label(relation),
                        entity.id,
                        description.id,
                    )

    # ------------------------------------------------------------------ rule 12

    def vocabularies(self) -> None:
        for record in self.bundle.records:
            if isinstance(record, (WasAssociatedWith, WasAttributedTo)) and record.role:
                self._vocabulary(record, "agent role", record.role, AGENT_ROLES)
            elif isinstance(record, ActivityDescription) and record.type:
                self._vocabulary(record, "activity type", record.type, ACTIVITY_TYPES)
            elif isinstance(record, (UsageDescription, GenerationDescription)) and record.type:
                self._vocabulary(record, f"{type(record).__name__} type", record.type, USAGE_TYPES)

    def _vocabulary(self, record: Record, what: str, value: str, terms: tuple[str, ...]) -> None:
        if value.lower() not in _LOWER.setdefault(terms, frozenset(term.lower() for term in terms)):
            name = label(record)
            self.add(
                R12,
                "warning",
                f"{name}: {what} {value!r} is not one of the recommended terms ({', '.join(terms)})",
                name,
            )


def check_bundle(bundle: Bundle) -> list[Issue]:
    """Every IVOA ProvDM rule violation in ``bundle``."""
    return _Checker(bundle).run()
