"""IVOA description classes: what an activity or entity is *meant* to be.

An ActivityDescription is the reusable definition of a kind of activity (a pipeline
step, a job definition); its Usage/Generation/Parameter/ConfigFile descriptions say
which inputs, outputs and settings every activity of that kind has. The REC identifies
descriptions by name; we also give each one an ``id`` because every W3C serialisation
needs one (they are written as ``prov:Entity`` with ``prov:type voprov:<Class>``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, ClassVar

from .records import Element, ref

__all__ = [
    "Description",
    "ActivityDescription",
    "EntityDescription",
    "DatasetDescription",
    "ValueDescription",
    "UsageDescription",
    "GenerationDescription",
    "ParameterDescription",
    "ConfigFileDescription",
    "DESCRIPTION_CLASSES",
]


class Description(Element):
    """Base of the description classes: an identified, named record."""

    __slots__ = ()
    kind = "entity"  # every description serialises as a W3C entity
    name: str | None

    def _init(self, id: str, attributes: Iterable[tuple[str, Any]], values: dict[str, Any]) -> None:
        self.id = id
        self._attributes = list(attributes) if attributes else ()
        self._bundle = None
        for name in self.IVOA:
            value = values.pop(name, None)
            setattr(self, name, ref(value) if name == "activity_description" else value)
        if values:
            raise TypeError(f"{type(self).__name__}: unknown argument(s) {', '.join(sorted(values))}")

    def __init__(self, id: str, *, attributes: Iterable[tuple[str, Any]] = (), **values: Any) -> None:
        self._init(id, attributes, values)


class ActivityDescription(Description):
    """The definition of a kind of activity (a pipeline step, a job definition)."""

    __slots__ = ("name", "version", "description", "docurl", "type", "subtype")
    IVOA: ClassVar[tuple[str, ...]] = ("name", "version", "description", "docurl", "type", "subtype")
    # slot values, set by Description._init from IVOA (declared here for type checkers)
    version: str | None
    description: str | None
    docurl: str | None
    type: str | None
    subtype: str | None

    # builtins.type: the ``type`` slot declared above shadows the builtin inside this class body
    def _child(self, cls: builtins.type[Description], suffix: str, id: str | None, **values: Any) -> Any:
        ident = id or f"{self.id}_{suffix}"
        record = cls(ident, activity_description=self.id, **values)
        if self._bundle is not None:
            self._bundle.add(record)
        return record

    def usage(self, role: str, *, id: str | None = None, **values: Any) -> UsageDescription:
        """Describe an input role of this kind of activity."""
        return self._child(UsageDescription, f"usage_{role}", id, role=role, **values)  # type: ignore[no-any-return]

    def generation(self, role: str, *, id: str | None = None, **values: Any) -> GenerationDescription:
        """Describe an output role of this kind of activity."""
        return self._child(GenerationDescription, f"generation_{role}", id, role=role, **values)  # type: ignore[no-any-return]

    def parameter(self, name: str, value_type: str, *, id: str | None = None, **values: Any) -> ParameterDescription:
        """Describe a parameter of this kind of activity."""
        return self._child(ParameterDescription, f"param_{name}", id, name=name, value_type=value_type, **values)  # type: ignore[no-any-return]

    def config_file(
        self, name: str, content_type: str, *, id: str | None = None, **values: Any
    ) -> ConfigFileDescription:
        """Describe a configuration file of this kind of activity."""
        return self._child(  # type: ignore[no-any-return]
            ConfigFileDescription, f"config_{name}", id, name=name, content_type=content_type, **values
        )


class EntityDescription(Description):
    """The definition of a kind of entity (its name, type, documentation)."""

    __slots__ = ("name", "description", "docurl", "type")
    IVOA: ClassVar[tuple[str, ...]] = ("name", "description", "docurl", "type")
    description: str | None
    docurl: str | None
    type: str | None


class DatasetDescription(EntityDescription):
    """Describes datasets; ``content_type`` is a MIME type (or an ObsCore access_format)."""

    __slots__ = ("content_type",)
    IVOA: ClassVar[tuple[str, ...]] = EntityDescription.IVOA + ("content_type",)
    content_type: str | None


class ValueDescription(EntityDescription):
    """Describes values; ``value_type`` is a VOTable datatype with arraysize/xtype."""

    __slots__ = ("value_type", "unit", "ucd", "utype")
    IVOA: ClassVar[tuple[str, ...]] = EntityDescription.IVOA + ("value_type", "unit", "ucd", "utype")
    value_type: str | None
    unit: str | None
    ucd: str | None
    utype: str | None


class _RoleDescription(Description):
    __slots__ = ("activity_description", "role", "description", "type", "multiplicity", "entity_descriptions")
    activity_description: str | None
    role: str | None
    description: str | None
    type: str | None
    multiplicity: str | None
    IVOA: ClassVar[tuple[str, ...]] = (
        "activity_description",
        "role",
        "description",
        "type",
        "multiplicity",
        "entity_descriptions",
    )

    def __init__(self, id: str, *, attributes: Iterable[tuple[str, Any]] = (), **values: Any) -> None:
        eds = values.pop("entity_descriptions", None) or []
        self._init(id, attributes, values)
        #: Identifiers of the EntityDescriptions expected in this role.
        self.entity_descriptions = [ref(e) for e in eds]

    @property
    def name(self) -> str | None:  # type: ignore[override]
        return self.role


class UsageDescription(_RoleDescription):
    """An input role of an ActivityDescription, with its multiplicity ("1", "0..1", "*")."""

    __slots__ = ()


class GenerationDescription(_RoleDescription):
    """An output role of an ActivityDescription, with its multiplicity."""

    __slots__ = ()


class ParameterDescription(Description):
    """A parameter of an ActivityDescription: its type, unit, limits and options."""

    __slots__ = (
        "activity_description",
        "name",
        "value_type",
        "description",
        "unit",
        "ucd",
        "utype",
        "min",
        "max",
        "default",
        "options",
    )
    IVOA: ClassVar[tuple[str, ...]] = (
        "activity_description",
        "name",
        "value_type",
        "description",
        "unit",
        "ucd",
        "utype",
        "min",
        "max",
        "default",
        "options",
    )

    activity_description: str | None
    value_type: str | None
    description: str | None
    unit: str | None
    ucd: str | None
    utype: str | None
    min: str | None
    max: str | None
    default: str | None

    def __init__(self, id: str, *, attributes: Iterable[tuple[str, Any]] = (), **values: Any) -> None:
        options = values.pop("options", None)
        self._init(id, attributes, values)
        self.options = [str(o) for o in options] if options else []


class ConfigFileDescription(Description):
    """A configuration file an ActivityDescription expects, with its content type."""

    __slots__ = ("activity_description", "name", "content_type", "description")
    IVOA: ClassVar[tuple[str, ...]] = ("activity_description", "name", "content_type", "description")
    activity_description: str | None
    content_type: str | None
    description: str | None


#: Description classes by their VO-DML class name.
DESCRIPTION_CLASSES: dict[str, type[Description]] = {
    "ActivityDescription": ActivityDescription,
    "EntityDescription": EntityDescription,
    "DatasetDescription": DatasetDescription,
    "ValueDescription": ValueDescription,
    "UsageDescription": UsageDescription,
    "GenerationDescription": GenerationDescription,
    "ParameterDescription": ParameterDescription,
    "ConfigFileDescription": ConfigFileDescription,
}
