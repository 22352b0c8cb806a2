"""Rewriting the prefixes of a record's names (used when merging documents)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from .ids import QName
from .records import Element, Record

__all__ = ["rename_prefixes", "map_names"]

#: Slots that hold identifiers of other records.
REFERENCE_SLOTS = frozenset(
    {
        "description",
        "usage_description",
        "generation_description",
        "activity_description",
        "value_entity",
    }
)


def map_names(record: Record, fn: Callable[[str], str]) -> Record:
    """A copy of ``record`` with ``fn`` applied to every identifier, reference,
    attribute name and QName value."""
    new = copy.copy(record)
    if isinstance(new, Element):
        new._bundle = None
    if new.id is not None:
        new.id = fn(new.id)
    for name, _key in record.FORMAL:
        value = getattr(record, name)
        if isinstance(value, str):
            setattr(new, name, fn(value))
    for name in record.IVOA:
        value = getattr(record, name)
        if not isinstance(value, str) or name not in REFERENCE_SLOTS:
            if name == "entity_descriptions" and value:
                setattr(new, name, [fn(v) for v in value])
            continue
        if name != "description" or _is_reference_description(record):
            setattr(new, name, fn(value))
    new.attributes = [(fn(k), QName(fn(v)) if isinstance(v, QName) else v) for k, v in record.attributes]
    return new


def _is_reference_description(record: Record) -> bool:
    """``description`` is a reference on entities/activities/parameters, free text on descriptions."""
    from .descriptions import Description

    return not isinstance(record, Description)


def rename_prefixes(record: Record, renames: Mapping[str, str]) -> Record:
    """A copy of ``record`` with the prefixes in ``renames`` replaced."""

    def fn(name: str) -> str:
        prefix, sep, local = name.partition(":")
        if sep and prefix in renames:
            return f"{renames[prefix]}:{local}"
        return name

    return map_names(record, fn)
