"""An activity's ActivityDescription: its records for the spool and the role checks.

When an activity follows an :class:`~provarchive.model.ActivityDescription`, every input
and output role must be one its Usage/GenerationDescriptions declare (else a clear
:class:`ValueError`, unless ``strict_roles=False``), each Used/WasGeneratedBy and
Parameter is linked to its description, and required roles that were never recorded are
reported when the activity ends (as warnings, never as failures of the job).
"""

from __future__ import annotations

from .entities import digest_id
from .events import json_ready

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import: only for type checkers
    from typing import Any

__all__ = ["DescriptionRoles", "description_record"]


class DescriptionRoles:
    """The roles and parameter descriptions of one activity's description."""

    def __init__(self, activity_name: str, strict: bool = True) -> None:
        self.activity_name = activity_name
        self.strict = strict
        self._roles: dict[str, dict[str, tuple[str, str | None]]] = {"usage": {}, "generation": {}}
        self._parameters: dict[str, str] = {}
        self._seen: set[tuple[str, str]] = set()
        #: False while no usage or generation role is declared: :meth:`check` accepts anything
        self.declares_roles = False

    def describe(self, desc: Any) -> tuple[str | None, list[dict[str, Any]]]:
        """(description id, records to write to the spool) for ``desc``.

        ``desc`` is an ActivityDescription (its role and parameter descriptions are taken
        from the document it belongs to), the id of one stored elsewhere (``prefix:name``),
        a bare name (a new ActivityDescription with that name), or ``None``.
        """
        if desc is None:
            return None, []
        if isinstance(desc, str):
            if ":" in desc:
                return desc, []  # a reference to a description stored elsewhere
            desc_id = digest_id("description", desc)
            return desc_id, [{"class": "ActivityDescription", "id": desc_id, "name": desc}]
        records = [description_record(desc)]
        bundle = getattr(desc, "_bundle", None)
        for record in bundle.descriptions if bundle is not None else ():
            if getattr(record, "activity_description", None) != desc.id:
                continue
            kind = type(record).__name__
            records.append(description_record(record))
            if kind == "UsageDescription":
                self._roles["usage"][record.role] = (record.id, record.multiplicity)
            elif kind == "GenerationDescription":
                self._roles["generation"][record.role] = (record.id, record.multiplicity)
            elif kind == "ParameterDescription":
                self._parameters[record.name] = record.id
        self.declares_roles = bool(self._roles["usage"] or self._roles["generation"])
        return str(desc.id), records

    def check(self, direction: str, role: str | None) -> str | None:
        """The Usage/GenerationDescription id of ``role`` (``direction`` usage|generation).

        Without a description every role is accepted and ``None`` returned.
        """
        roles = self._roles[direction]
        if not roles:
            return None
        if role is None or role not in roles:
            if self.strict:
                kind = "input" if direction == "usage" else "output"
                raise ValueError(
                    f"activity {self.activity_name!r}: {role!r} is not an {kind} role of its description; "
                    f"expected one of {', '.join(sorted(roles))}"
                )
            return None
        self._seen.add((direction, role))
        return roles[role][0]

    def generation_description(self, role: str | None) -> str | None:
        """The GenerationDescription id of ``role``, if the description has one."""
        return self._roles["generation"].get(role or "", (None, None))[0]

    def parameter_description(self, name: str) -> str | None:
        return self._parameters.get(name)

    def missing(self) -> list[str]:
        """Warnings for required roles (multiplicity 1, 1..*) that were never recorded."""
        warnings = []
        for direction, roles in self._roles.items():
            for role, (_desc_id, multiplicity) in roles.items():
                required = multiplicity is not None and not str(multiplicity).startswith(("0", "*"))
                if required and (direction, role) not in self._seen:
                    kind = "input" if direction == "usage" else "output"
                    warnings.append(f"required {kind} role {role!r} (multiplicity {multiplicity}) was not recorded")
        return warnings


def description_record(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"class": type(record).__name__, "id": record.id}
    for slot in record.IVOA:
        value = getattr(record, slot, None)
        if value not in (None, [], ""):
            out[slot] = json_ready(value)
    return out
