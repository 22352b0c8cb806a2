"""The IVOA ProvenanceDM 1.0 rules (reference/provdm.md §6, list 1-12) on one bundle.

This module holds rules 1-4 and 12 and runs them all; rules 5-7, 10 and 11 live in
``ivoa_roles.py``, rules 8 and 9 in ``ivoa_values.py``, the bundle index they share in
``ivoa_base.py``.

These run on the IVOA records themselves (descriptions, parameters, roles), not on
their W3C serialisation: they check what the REC adds to W3C PROV — mandatory
attributes, descriptions that match what an activity actually did, typed values.
References to records that are not in the document (PROV allows them) are reported
as warnings when a rule cannot be checked without them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from ..model.configuration import ConfigFile, Parameter, WasConfiguredBy
from ..model.descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    DatasetDescription,
    EntityDescription,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
    ValueDescription,
)
from ..model.document import Bundle
from ..model.records import (
    AGENT_TYPES,
    Agent,
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
from .ivoa_base import BundleIndex, label, utc
from .ivoa_roles import check_entity_descriptions, check_multiplicity, check_roles, parse_multiplicity
from .ivoa_values import check_values
from .report import Issue

__all__ = ["check_bundle", "AGENT_ROLES", "ACTIVITY_TYPES", "USAGE_TYPES", "parse_multiplicity", "label"]

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


def check_mandatory(ix: BundleIndex) -> None:
    for record in ix.bundle.records:
        for cls, slots in _MANDATORY:
            if isinstance(record, cls):
                for slot, name in slots:
                    if not _has(ix, record, slot):
                        message = f"{label(record)} has no {name}, which ProvDM requires"
                        stray = [key for key, _v in record.attributes if key.rsplit(":", 1)[-1] == slot]
                        if stray:  # voprov writes prov:name where PROV has prov:label
                            message += f" (it has {stray[0]}, which is not where ProvDM's {name} is written)"
                        ix.add(R1, "error", message, label(record))
                break
        if isinstance(record, Agent) and record.type is not None and record.type not in AGENT_TYPES:
            ix.add(
                "IVOA-1 agent type",
                "error",
                f"agent {record.id} has type {record.type!r}; Agent.type is one of {', '.join(AGENT_TYPES)}",
                record.id,
            )
        if isinstance(record, WasAssociatedWith) and record.agent is None and record.plan is None:
            ix.add(
                R1,
                "error",
                f"{label(record)} names no agent; ProvDM requires WasAssociatedWith.agent",
                label(record),
            )


def _has(ix: BundleIndex, record: Record, slot: str) -> bool:
    """Whether a mandatory slot is set, on this record or on another statement about the same id."""
    value = getattr(record, slot)
    if value is not None and value != "":
        return True
    if not isinstance(record, Element):
        return False
    return any(getattr(other, slot, None) not in (None, "") for other in ix.same_id(record.id))


def check_one_generation(ix: BundleIndex) -> None:
    by_entity: dict[str, list[WasGeneratedBy]] = defaultdict(list)
    for generation in ix.generations:
        by_entity[generation.entity].append(generation)
    for entity, generations in by_entity.items():
        activities = list(dict.fromkeys(g.activity or "-" for g in generations))
        if len(generations) > 1:
            ix.add(
                R2,
                "error",
                f"entity {entity} has {len(generations)} WasGeneratedBy (by {', '.join(activities)}); "
                "ProvDM allows at most one",
                entity,
                *(label(g) for g in generations),
            )


def check_one_description(ix: BundleIndex) -> None:
    described: dict[str, list[str]] = defaultdict(list)
    for activity_id, activities in ix.activities.items():
        for activity in activities:
            if activity.description and activity.description not in described[activity_id]:
                described[activity_id].append(activity.description)
    for record in ix.bundle.records:
        if (
            isinstance(record, WasAssociatedWith)
            and record.plan
            and isinstance(ix.lookup(record.plan), ActivityDescription)
            and record.plan not in described[record.activity]
        ):
            described[record.activity].append(record.plan)
    for activity_id, descriptions in described.items():
        if len(descriptions) > 1:
            ix.add(
                R3,
                "error",
                f"activity {activity_id} has {len(descriptions)} ActivityDescriptions ({', '.join(descriptions)}); "
                "ProvDM allows at most one",
                activity_id,
                *descriptions,
            )


def check_times(ix: BundleIndex) -> None:
    for activity_id, activities in ix.activities.items():
        for activity in activities:
            if activity.start_time and activity.end_time and utc(activity.end_time) < utc(activity.start_time):
                ix.add(
                    R4,
                    "error",
                    f"activity {activity_id} ends ({activity.end_time.isoformat()}) before it starts "
                    f"({activity.start_time.isoformat()})",
                    activity_id,
                )
    for used in ix.used:
        if used.time is not None:
            _within(ix, used.activity, used.time, used)
    for generation in ix.generations:
        if generation.activity is None:
            continue
        if generation.time is not None:
            _within(ix, generation.activity, generation.time, generation)
        entity = ix.lookup(generation.entity)
        if isinstance(entity, Entity) and entity.generated_at_time is not None:
            _within(ix, generation.activity, entity.generated_at_time, generation, entity)
    for record in ix.bundle.records:
        if (
            isinstance(record, Entity)
            and record.generated_at_time
            and record.invalidated_at_time
            and utc(record.invalidated_at_time) < utc(record.generated_at_time)
        ):
            ix.add(
                R4,
                "error",
                f"entity {record.id} is invalidated ({record.invalidated_at_time.isoformat()}) before it is "
                f"generated ({record.generated_at_time.isoformat()})",
                record.id,
            )


def _within(
    ix: BundleIndex, activity_id: str, when: datetime, relation: Relation, entity: Entity | None = None
) -> None:
    """Rule 4: ``when`` (a usage or generation time, or an entity's generatedAtTime) is within the activity."""
    for activity in ix.activities.get(activity_id, ()):
        start, end = activity.start_time, activity.end_time
        moment = utc(when)
        early = start is not None and moment < utc(start)
        late = end is not None and moment > utc(end)
        if not early and not late:
            return
        records: tuple[str, ...]
        if entity is None:
            what, records = f"{label(relation)} is dated", (label(relation),)
        else:
            what, records = f"entity {entity.id} has generatedAtTime", (entity.id, label(relation))
        if early and start is not None:
            where = f"before activity {activity_id} starts ({start.isoformat()})"
        else:
            where = f"after activity {activity_id} ends ({end.isoformat() if end else '?'})"
        ix.add(R4, "error", f"{what} {when.isoformat()}, {where}", *records, activity_id)
        return


def check_vocabularies(ix: BundleIndex) -> None:
    for record in ix.bundle.records:
        if isinstance(record, (WasAssociatedWith, WasAttributedTo)) and record.role:
            _vocabulary(ix, record, "agent role", record.role, AGENT_ROLES)
        elif isinstance(record, ActivityDescription) and record.type:
            _vocabulary(ix, record, "activity type", record.type, ACTIVITY_TYPES)
        elif isinstance(record, (UsageDescription, GenerationDescription)) and record.type:
            _vocabulary(ix, record, f"{type(record).__name__} type", record.type, USAGE_TYPES)


def _vocabulary(ix: BundleIndex, record: Record, what: str, value: str, terms: tuple[str, ...]) -> None:
    if value.lower() not in _LOWER.setdefault(terms, frozenset(term.lower() for term in terms)):
        name = label(record)
        ix.add(
            R12,
            "warning",
            f"{name}: {what} {value!r} is not one of the recommended terms ({', '.join(terms)})",
            name,
        )


def check_bundle(bundle: Bundle) -> list[Issue]:
    """Every IVOA ProvDM rule violation in ``bundle``."""
    ix = BundleIndex(bundle)
    check_mandatory(ix)
    check_one_generation(ix)
    check_one_description(ix)
    check_times(ix)
    check_roles(ix, ix.used, UsageDescription, "usage_description", "used")
    check_roles(ix, ix.generations, GenerationDescription, "generation_description", "generated")
    check_multiplicity(ix)
    check_entity_descriptions(ix)
    check_vocabularies(ix)
    check_values(ix)
    return ix.issues
