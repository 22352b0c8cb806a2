"""IVOA activity configuration: Parameter, ConfigFile and WasConfiguredBy.

A Parameter or ConfigFile lives and dies with the activity it configured; the link is
a WasConfiguredBy whose ``artefact_type`` says which of the two it points at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from .records import Element, Record, Relation, ref

__all__ = ["Parameter", "ConfigFile", "WasConfiguredBy", "ARTEFACT_TYPES"]

#: WasConfiguredBy.artefactType values (the REC text's spelling; VO-DML says ``Configfile``).
ARTEFACT_TYPES = ("Parameter", "ConfigFile")


class Parameter(Element):
    """A named value that configured an activity (ProvDM Parameter).

    ``value`` is kept as its string form, as the REC defines it; ``description`` is the
    identifier of the ParameterDescription; ``value_entity`` the identifier of the
    ValueEntity the value was taken from (``hadReference``).
    """

    __slots__ = ("name", "value", "description", "value_entity")
    kind = "entity"
    IVOA: ClassVar[tuple[str, ...]] = ("name", "value", "description", "value_entity")

    def __init__(
        self,
        id: str,
        *,
        name: str | None = None,
        value: Any = None,
        description: Record | str | None = None,
        value_entity: Record | str | None = None,
        attributes: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.value = None if value is None else format_value(value)
        self.description = ref(description)
        self.value_entity = ref(value_entity)
        self._attributes = list(attributes) if attributes else ()
        self._bundle = None


class ConfigFile(Element):
    """A configuration file that configured an activity (ProvDM ConfigFile)."""

    __slots__ = ("name", "location", "comment", "description")
    kind = "entity"
    IVOA: ClassVar[tuple[str, ...]] = ("name", "location", "comment", "description")

    def __init__(
        self,
        id: str,
        *,
        name: str | None = None,
        location: str | None = None,
        comment: str | None = None,
        description: Record | str | None = None,
        attributes: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.location = location
        self.comment = comment
        self.description = ref(description)
        self._attributes = list(attributes) if attributes else ()
        self._bundle = None


class WasConfiguredBy(Relation):
    """Links an activity to the Parameter or ConfigFile that configured it."""

    __slots__ = ("activity", "artefact", "artefact_type")
    kind = "wasConfiguredBy"
    FORMAL = (("activity", "prov:influencee"), ("artefact", "prov:influencer"))
    IVOA: ClassVar[tuple[str, ...]] = ("artefact_type",)
    activity: str
    artefact: str
    artefact_type: str | None


def format_value(value: Any) -> str:
    """The string form of a parameter value, as ProvDM stores it.

    Booleans are written ``true``/``false`` (VOTable and XSD spelling), sequences as
    space-separated items (VOTable arrays), everything else with ``str``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(format_value(v) for v in value)
    return str(value)
