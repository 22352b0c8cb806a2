"""IVOA rules 8 and 9: configuration artefacts match their descriptions, values match their valueType.

Split from ``ivoa.py`` to keep each module readable; ``check_values`` receives the
index of one bundle (``lookup``, ``add``, ``configured``).
"""

from __future__ import annotations

from typing import Any

from ..model.configuration import ConfigFile, Parameter, WasConfiguredBy
from ..model.descriptions import ActivityDescription, ConfigFileDescription, ParameterDescription, ValueDescription
from ..model.records import Activity, ValueEntity
from .ivoa_base import BundleIndex, label
from .valuetypes import ValueType, ValueTypeError, parse_value, parse_value_type

__all__ = ["check_values"]

R7 = "IVOA-7 description belongs to the activity description"
R8 = "IVOA-8 configuration matches description"
R9 = "IVOA-9 value matches valueType"

#: artefactType (lower-cased) -> the class the artefact must be.
_ARTEFACT_CLASSES: dict[str, type[Parameter] | type[ConfigFile]] = {"parameter": Parameter, "configfile": ConfigFile}


def check_values(checker: BundleIndex) -> None:
    """Run rules 8 and 9 (and rule 7 for parameters and config files) on the checker's bundle."""
    types: dict[str, ValueType | None] = {}

    def value_type(description: ParameterDescription | ValueDescription) -> ValueType | None:
        """The parsed valueType of a description (reported once if it does not parse)."""
        if description.id in types:
            return types[description.id]
        parsed: ValueType | None = None
        if description.value_type:
            try:
                parsed = parse_value_type(description.value_type)
            except ValueTypeError as error:
                checker.add(R9, "error", f"{description.id}: {error}", description.id)
        types[description.id] = parsed
        return parsed

    for record in checker.bundle.records:
        if isinstance(record, ParameterDescription):
            _check_parameter_description(checker, record, value_type(record))
        elif isinstance(record, ValueDescription):
            value_type(record)
        elif isinstance(record, ValueEntity) and record.value is not None and record.description:
            description = checker.lookup(record.description)
            if isinstance(description, ValueDescription):
                parsed = value_type(description)
                if parsed is not None:
                    _check_value(checker, record.id, "value", record.value, parsed, description.id)
        elif isinstance(record, Parameter) and record.description:
            description = checker.lookup(record.description)
            if description is None:
                checker.add(
                    R8,
                    "warning",
                    f"parameter {record.id} refers to {record.description}, not in the document",
                    record.id,
                )
            elif not isinstance(description, ParameterDescription):
                checker.add(
                    R8,
                    "error",
                    f"parameter {record.id} is described by {description.id}, a {type(description).__name__}, "
                    "not a ParameterDescription",
                    record.id,
                    description.id,
                )
            else:
                if record.name != description.name:
                    checker.add(
                        R8,
                        "error",
                        f"parameter {record.id} is named {record.name!r} but its description {description.id} "
                        f"is for {description.name!r}",
                        record.id,
                        description.id,
                    )
                parsed = value_type(description)
                if parsed is not None and record.value is not None:
                    _check_parameter_value(checker, record, description, parsed)
        elif isinstance(record, ConfigFile) and record.description:
            description = checker.lookup(record.description)
            if isinstance(description, ConfigFileDescription):
                if record.name != description.name:
                    checker.add(
                        R8,
                        "error",
                        f"config file {record.id} is named {record.name!r} but its description {description.id} "
                        f"is for {description.name!r}",
                        record.id,
                        description.id,
                    )
            elif description is not None:
                checker.add(
                    R8,
                    "error",
                    f"config file {record.id} is described by {description.id}, a {type(description).__name__}, "
                    "not a ConfigFileDescription",
                    record.id,
                    description.id,
                )
    for link in checker.configured:
        _check_configuration(checker, link)


def _check_configuration(checker: BundleIndex, link: WasConfiguredBy) -> None:
    name = label(link)
    artefact = checker.lookup(link.artefact)
    if artefact is None:
        checker.add(R8, "warning", f"{name} points to {link.artefact}, which is not in the document", name)
        return
    if not isinstance(artefact, (Parameter, ConfigFile)):
        checker.add(
            R8,
            "error",
            f"{name} points to {artefact.id}, a {type(artefact).__name__}; it must be a Parameter or a ConfigFile",
            name,
            artefact.id,
        )
        return
    if link.artefact_type is not None:
        expected = _ARTEFACT_CLASSES.get(link.artefact_type.strip().lower())
        if expected is None:
            checker.add(
                R8,
                "error",
                f"{name} has artefactType {link.artefact_type!r}; it must be Parameter or ConfigFile",
                name,
            )
        elif not isinstance(artefact, expected):
            checker.add(
                R8,
                "error",
                f"{name} has artefactType {link.artefact_type!r} but {artefact.id} is a {type(artefact).__name__}",
                name,
                artefact.id,
            )
    activity = checker.lookup(link.activity)
    if not isinstance(activity, Activity) or artefact.description is None:
        return
    activity_description = checker.description_of(activity.id)
    description = checker.lookup(artefact.description)
    owner = getattr(description, "activity_description", None)
    if (
        isinstance(activity_description, ActivityDescription)
        and description is not None
        and owner != activity_description.id
    ):
        checker.add(
            R7,
            "error",
            f"{artefact.id} is described by {description.id}, which belongs to {owner or 'no ActivityDescription'}, "
            f"but activity {activity.id} follows {activity_description.id}",
            artefact.id,
            description.id,
            activity.id,
        )


def _check_value(checker: BundleIndex, owner: str, what: str, value: str, parsed: ValueType, description: str) -> Any:
    try:
        return parse_value(value, parsed)
    except ValueTypeError as error:
        checker.add(
            R9,
            "error",
            f"{owner}: {what} does not match valueType {_show(parsed)} of {description}: {error}",
            owner,
            description,
        )
        return None


def _show(value_type: ValueType) -> str:
    text = value_type.datatype
    if value_type.arraysize is not None:
        text += f"[{value_type.arraysize}]"
    if value_type.xtype:
        text += f" xtype={value_type.xtype}"
    return text


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_parameter_description(
    checker: BundleIndex, description: ParameterDescription, parsed: ValueType | None
) -> None:
    """min, max, default and options of a ParameterDescription must parse under its valueType."""
    if parsed is None:
        return
    for what in ("min", "max", "default"):
        text = getattr(description, what)
        if text is not None:
            _check_value(checker, description.id, what, text, parsed, description.id)
    for option in description.options:
        _check_value(checker, description.id, f"option {option!r}", option, parsed, description.id)


def _check_parameter_value(
    checker: BundleIndex, parameter: Parameter, description: ParameterDescription, parsed: ValueType
) -> None:
    assert parameter.value is not None
    value = _check_value(checker, parameter.id, f"value {parameter.value!r}", parameter.value, parsed, description.id)
    if value is None:
        return
    comparable = parsed.is_numeric
    for bound, sign in ((description.min, 1), (description.max, -1)):
        if bound is None or not comparable:
            continue
        try:
            limit = parse_value(bound, ValueType(parsed.datatype))
        except ValueTypeError:
            continue  # reported on the description
        for item in _items(value):
            if (item < limit) if sign == 1 else (item > limit):
                side = "below the minimum" if sign == 1 else "above the maximum"
                checker.add(
                    R9,
                    "error",
                    f"parameter {parameter.id} = {parameter.value} is {side} {bound} set by {description.id}",
                    parameter.id,
                    description.id,
                )
                break
    if description.options:
        allowed = []
        for option in description.options:
            try:
                allowed.append(parse_value(option, parsed))
            except ValueTypeError:
                allowed.append(option)
        if value not in allowed:
            checker.add(
                R9,
                "error",
                f"parameter {parameter.id} = {parameter.value!r} is not one of the options of {description.id} "
                f"({', '.join(description.options)})",
                parameter.id,
                description.id,
            )
