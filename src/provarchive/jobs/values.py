"""Job parameter values: checked against a definition, and put into a command line.

Every value a client sends is checked when a job is created or updated: unknown
names, type (VOTable datatype and range), ``required``, ``min``/``max`` and
``options``, with one message per problem, because OPUS never checked them and
pasted them into bash. :func:`render_command` then puts each value into exactly one
argv element: no value can add an argument or reach a shell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from .definitions import _PLACEHOLDER, VOTABLE_DATATYPES, JobDefinition, ParameterDef, ParameterError

__all__ = ["coerce_value", "validate_parameters", "render_command"]

_INTEGER_TYPES = {"unsignedByte", "short", "int", "long"}
_FLOAT_TYPES = {"float", "double"}
_TRUE = {"true", "t", "1", "yes", "y", "on"}
_FALSE = {"false", "f", "0", "no", "n", "off"}


def coerce_value(param: ParameterDef, value: str, problems: list[str], *, check_options: bool = True) -> str | None:
    """The canonical text of ``value`` for ``param``, or None after appending the problems."""
    where = f"parameter {param.name!r}: "
    if "\x00" in value:
        problems.append(f"{where}value contains a NUL character")
        return None
    items = [value]
    is_array = param.arraysize is not None and param.datatype not in ("char", "unicodeChar")
    if is_array:
        items = value.replace(",", " ").split()
    canonical: list[str] = []
    for item in items:
        text = item.strip() if param.datatype not in ("char", "unicodeChar") else item
        if param.datatype == "boolean":
            if text.lower() in _TRUE:
                canonical.append("true")
            elif text.lower() in _FALSE:
                canonical.append("false")
            else:
                problems.append(f"{where}{item!r} is not a boolean (true/false)")
                return None
            continue
        if param.datatype in _INTEGER_TYPES:
            if not re.fullmatch(r"[+-]?\d+", text):
                problems.append(f"{where}{item!r} is not an integer ({param.datatype})")
                return None
            number: float = int(text)
            low, high = VOTABLE_DATATYPES[param.datatype]  # type: ignore[misc]
            if not low <= number <= high:
                problems.append(f"{where}{item} does not fit in a VOTable {param.datatype}")
                return None
            canonical.append(str(int(number)))
        elif param.datatype in _FLOAT_TYPES:
            try:
                number = float(text)
            except ValueError:
                problems.append(f"{where}{item!r} is not a number ({param.datatype})")
                return None
            if not math.isfinite(number):
                problems.append(f"{where}{item!r} is not a finite number")
                return None
            canonical.append(text)
        else:
            if param.arraysize and param.arraysize.rstrip("*").isdigit():
                limit = int(param.arraysize.rstrip("*"))
                if len(text) > limit:
                    problems.append(f"{where}value is {len(text)} characters, more than arraysize {limit}")
                    return None
            canonical.append(text)
            continue
        if param.min is not None and number < param.min:
            problems.append(f"{where}{item} is below the minimum {param.min:g}")
            return None
        if param.max is not None and number > param.max:
            problems.append(f"{where}{item} is above the maximum {param.max:g}")
            return None
    result = " ".join(canonical) if is_array else canonical[0]
    if check_options and param.options and result not in param.options:
        problems.append(f"{where}{result!r} is not one of the options {', '.join(param.options)}")
        return None
    return result


def validate_parameters(
    definition: JobDefinition, values: Mapping[str, str], *, complete: bool = True
) -> dict[str, str]:
    """Check ``values`` (name → text) against ``definition`` and return canonical values.

    Names are matched case-insensitively and returned with the definition's spelling.
    With ``complete`` the required parameters must all be present and defaults are
    filled in (what a job gets when it is run); without it only the given values are
    checked (an update while PENDING). Raises ParameterError listing every problem.
    """
    problems: list[str] = []
    checked: dict[str, str] = {}
    for name, value in values.items():
        param = definition.parameter(name)
        if param is None:
            known = ", ".join(p.name for p in definition.parameters) or "none"
            problems.append(f"unknown parameter {name!r} for job definition {definition.name!r} (known: {known})")
            continue
        canonical = coerce_value(param, value, problems)
        if canonical is not None:
            checked[param.name] = canonical
    if complete:
        for param in definition.parameters:
            if param.name in checked:
                continue
            if param.default is not None:
                checked[param.name] = param.default
            elif param.required:
                problems.append(f"parameter {param.name!r} is required")
    if problems:
        raise ParameterError(problems)
    return checked


def render_command(
    definition: JobDefinition, values: Mapping[str, str | list[str]], builtins: Mapping[str, str]
) -> list[str]:
    """The argv of a job: each template element with its ``{placeholder}`` replaced.

    Values are substituted as whole strings into one argv element each, so no value
    can ever add an argument or reach a shell. An element that is exactly
    ``{name}`` of a multi-valued input expands to one element per value. An element
    whose placeholder has no value (an optional parameter left out) is dropped.
    """
    lookup = {k.lower(): v for k, v in {**values, **builtins}.items()}
    argv: list[str] = []
    for element in definition.command:
        names = _PLACEHOLDER.findall(element)
        if any(lookup.get(n.lower()) in (None, []) for n in names):
            continue
        whole = _PLACEHOLDER.fullmatch(element)
        if whole and isinstance(lookup[whole.group(1).lower()], list):
            argv.extend(lookup[whole.group(1).lower()])  # type: ignore[arg-type]
            continue

        def substitute(match: re.Match[str]) -> str:
            value = lookup[match.group(1).lower()]
            return " ".join(value) if isinstance(value, list) else value

        argv.append(_PLACEHOLDER.sub(substitute, element))
    return argv
