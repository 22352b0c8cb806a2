"""IVOA rules 5, 6, 7, 10 and 11: what an activity did matches what its description says.

Roles of Used/WasGeneratedBy against the Usage/GenerationDescriptions (5), how many
entities each role received (6), descriptions that belong to the activity's own
ActivityDescription (7), entities described by the right class of description (10)
and by one the role expects (11).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..model.descriptions import (
    DatasetDescription,
    EntityDescription,
    GenerationDescription,
    UsageDescription,
    ValueDescription,
)
from ..model.records import DatasetEntity, Entity, Record, ValueEntity
from .ivoa_base import BundleIndex, RoleDescriptionClass, label

__all__ = ["check_roles", "check_multiplicity", "check_entity_descriptions", "parse_multiplicity"]

R5 = "IVOA-5 role matches description"
R6 = "IVOA-6 multiplicity"
R7 = "IVOA-7 description belongs to the activity description"
R10 = "IVOA-10 entity description class"
R11 = "IVOA-11 entity description expected by the role"


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


def check_roles(ix: BundleIndex, relations: list[Any], cls: RoleDescriptionClass, slot: str, verb: str) -> None:
    """Rules 5 and 7 for Used (``cls`` UsageDescription) or WasGeneratedBy (GenerationDescription).

    A relation linked to a description must carry that description's role, and the
    description must belong to the activity's ActivityDescription. A relation with no
    link whose role the activity's description does not list gets a warning.
    """
    kind = cls.__name__
    for relation in relations:
        linked_id = getattr(relation, slot)
        if linked_id is None and (relation.activity is None or relation.activity not in ix.activities):
            continue
        name = label(relation)
        if linked_id is not None:
            linked = ix.lookup(linked_id)
            if linked is None:
                ix.add(R5, "warning", f"{name} refers to {kind} {linked_id}, which is not in the document", name)
                continue
            if not isinstance(linked, cls):
                ix.add(
                    R5,
                    "error",
                    f"{name} refers to {linked_id} as its {kind}, but it is a {type(linked).__name__}",
                    name,
                    linked_id,
                )
                continue
            if relation.role != linked.role:
                ix.add(
                    R5,
                    "error",
                    f"{name} has role {relation.role!r} but its {kind} {linked_id} describes role {linked.role!r}",
                    name,
                    linked_id,
                )
            activity_description = ix.description_of(relation.activity) if relation.activity else None
            owner = linked.activity_description
            if activity_description is not None and owner != activity_description.id:
                ix.add(
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
        description = ix.description_of(relation.activity)
        if description is None:
            continue
        declared = [c.role for c in ix.children.get(description.id, ()) if isinstance(c, cls)]
        if declared and relation.role not in declared:
            ix.add(
                R5,
                "warning",
                f"{name}: activity {relation.activity} {verb} with role {relation.role!r}, which its "
                f"ActivityDescription {description.id} does not describe (roles: {', '.join(map(str, declared))})",
                name,
                description.id,
            )


def check_multiplicity(ix: BundleIndex) -> None:
    """Rule 6: per activity and described role, the count of Used/WasGeneratedBy fits the multiplicity."""
    bounds: dict[str, tuple[int, int | None] | None] = {}  # description id -> parsed multiplicity

    def parsed(child: Any) -> tuple[int, int | None] | None:
        if child.id not in bounds:
            try:
                bounds[child.id] = parse_multiplicity(child.multiplicity)
            except ValueError as error:
                ix.add(R6, "error", f"{child.id}: {error}", child.id)  # once per description
                bounds[child.id] = None
        return bounds[child.id]

    for activity_id in ix.activities:
        description = ix.description_of(activity_id)
        if description is None:
            continue
        for cls, relations, verb in (
            (UsageDescription, ix.used_by.get(activity_id, []), "used"),
            (GenerationDescription, ix.generated_by.get(activity_id, []), "generated"),
        ):
            children = [c for c in ix.children.get(description.id, ()) if isinstance(c, cls)]
            if not any(c.multiplicity is not None for c in children):
                continue
            counts = Counter(id(ix.matched_description(r, cls)) for r in relations)
            for child in children:
                if child.multiplicity is None:
                    continue
                limits = parsed(child)
                if limits is None:
                    continue
                low, high = limits
                count = counts.get(id(child), 0)
                if count < low or (high is not None and count > high):
                    ix.add(
                        R6,
                        "error",
                        f"activity {activity_id} {verb} {count} entit{'y' if count == 1 else 'ies'} with role "
                        f"{child.role!r}, but {child.id} requires multiplicity {child.multiplicity}",
                        activity_id,
                        child.id,
                    )


def check_entity_descriptions(ix: BundleIndex) -> None:
    """Rules 10 (description class) and 11 (description expected by the role)."""
    for record in ix.bundle.records:
        if not isinstance(record, Entity) or record.description is None:
            continue
        found = ix.lookup(record.description)
        if found is None:
            ix.add(
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
            ix.add(
                R10,
                "error",
                f"{type(record).__name__} {record.id} is described by {found.id}, a {type(found).__name__}; "
                f"it must be a {expected.__name__}",
                record.id,
                found.id,
            )
    for relations, cls, position in (
        (ix.used, UsageDescription, "entity"),
        (ix.generations, GenerationDescription, "entity"),
    ):
        for relation in relations:
            description = ix.matched_description(relation, cls)
            if description is None or not description.entity_descriptions:
                continue
            entity = ix.lookup(getattr(relation, position))
            if not isinstance(entity, Entity) or entity.description is None:
                continue
            allowed = description.entity_descriptions
            if entity.description not in allowed:
                ix.add(
                    R11,
                    "error",
                    f"{label(relation)}: entity {entity.id} is described by {entity.description}, but role "
                    f"{description.role!r} ({description.id}) expects {', '.join(map(str, allowed))}",
                    label(relation),
                    entity.id,
                    description.id,
                )
