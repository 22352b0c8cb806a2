"""Shared ground of the IVOA rules: an index of one bundle and how records are named.

The rules (``ivoa.py``: 1-4 and 12, ``ivoa_roles.py``: 5-7, 10, 11, ``ivoa_values.py``:
8-9) each read a :class:`BundleIndex`, built once per bundle, so a 100k-record
document is walked a handful of times, never once per rule and record.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import TypeAlias

from ..model.configuration import WasConfiguredBy
from ..model.descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    Description,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
)
from ..model.document import Bundle
from ..model.records import Activity, Element, Record, Relation, Used, WasGeneratedBy
from .report import Issue, Severity

__all__ = ["BundleIndex", "RoleDescriptionClass", "label", "utc"]

#: The description classes a Used (UsageDescription) or WasGeneratedBy (GenerationDescription) links to.
RoleDescriptionClass: TypeAlias = type[UsageDescription] | type[GenerationDescription]


def label(record: Record) -> str:
    """How a record is named in messages: its id, or ``kind(first, second)`` for anonymous relations."""
    if record.id:
        return record.id
    if isinstance(record, Relation):
        first, second = (getattr(record, name) for name, _key in record.FORMAL[:2])
        kind = "wasConfiguredBy" if isinstance(record, WasConfiguredBy) else record.kind
        return f"{kind}({first or '-'}, {second or '-'})"
    return type(record).__name__


def utc(value: datetime) -> datetime:
    """Times compare as instants; a time without zone is taken as UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class BundleIndex:
    """One bundle indexed for the IVOA rules, and the issues they find in it."""

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

    def add(self, rule: str, severity: Severity, message: str, *records: str | None) -> None:
        """Record an issue; ``records`` are the ids concerned (None and repeats are dropped)."""
        ids = tuple(dict.fromkeys(r for r in records if r))
        self.issues.append(Issue(rule, severity, message, ids))

    def description_of(self, activity_id: str) -> ActivityDescription | None:
        """The ActivityDescription an activity of this bundle follows, if it is in the document."""
        for activity in self.activities.get(activity_id, ()):
            if activity.description:
                found = self.lookup(activity.description)
                if isinstance(found, ActivityDescription):
                    return found
        return None

    def matched_description(
        self, relation: Used | WasGeneratedBy, cls: RoleDescriptionClass
    ) -> UsageDescription | GenerationDescription | None:
        """The Usage/GenerationDescription a relation is linked to, or the one of its role."""
        slot = "usage_description" if isinstance(relation, Used) else "generation_description"
        linked = self.lookup(getattr(relation, slot))
        if isinstance(linked, cls):
            return linked
        if getattr(relation, slot) is None and relation.activity and relation.role is not None:
            description = self.description_of(relation.activity)
            if description is not None:
                for child in self.children.get(description.id, ()):
                    if isinstance(child, cls) and child.role == relation.role:
                        return child
        return None
