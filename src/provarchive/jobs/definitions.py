"""Job definitions: IVOA ActivityDescriptions that say what a job runs and what it accepts.

A definition is written in readable YAML (see docs/jobdefs.md) or imported from an OPUS
VOTable (:mod:`provarchive.jobs.opus`). It is validated once when added, then kept
immutable: a new version is a new row, and every job records the version it ran.

The validation of *values* against a definition (type, required, min/max, options,
unknown names) is in :mod:`.values` and re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

__all__ = [
    "DefinitionError",
    "ParameterError",
    "ParameterDef",
    "InputDef",
    "OutputDef",
    "JobDefinition",
    "load_definition",
    "parse_definition",
    "validate_parameters",
    "render_command",
    "RESERVED_NAMES",
    "VOTABLE_DATATYPES",
]

#: VOTable datatypes a parameter may have, with the integer range where one applies.
VOTABLE_DATATYPES: dict[str, tuple[int, int] | None] = {
    "boolean": None,
    "unsignedByte": (0, 255),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "char": None,
    "unicodeChar": None,
    "float": None,
    "double": None,
}

#: UWS control parameters (case-insensitive) that a definition may not reuse as parameter names.
RESERVED_NAMES = frozenset({"phase", "runid", "executionduration", "destruction", "action", "wait", "quote"})
#: Placeholders every command template may use besides parameter, input and output names.
BUILTIN_PLACEHOLDERS = frozenset({"python", "workdir", "script", "job_id"})

#: Names that would change how the job's program is loaded or run if used as environment variables.
_DANGEROUS_ENV = re.compile(
    r"^(LD_.*|DYLD_.*|PYTHON.*|PROVARCHIVE_.*|PATH|HOME|IFS|ENV|BASH_ENV|BASH_FUNC.*|SHELLOPTS|BASHOPTS|PS4"
    r"|LANG|LC_.*|TMPDIR|PERL5.*|RUBY.*|NODE_OPTIONS|GCONV_PATH)$",
    re.IGNORECASE,
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MULTIPLICITY = re.compile(r"^(\*|\d+|\d+\.\.(\d+|\*))$")
_SOURCES = frozenset({"upload", "url", "archive"})


class DefinitionError(ValueError):
    """A job definition that cannot be accepted; ``problems`` lists every reason."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        super().__init__(f"{where}: " + "; ".join(problems))


class ParameterError(ValueError):
    """Job parameter values that do not fit the definition; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ParameterDef:
    """One parameter of an ActivityDescription (ProvDM ParameterDescription)."""

    name: str
    datatype: str = "char"
    arraysize: str | None = None
    xtype: str | None = None
    default: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    options: tuple[str, ...] = ()
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    description: str | None = None

    @property
    def value_type(self) -> str:
        """The ProvDM ``valueType``: datatype, arraysize and xtype in one string."""
        text = self.datatype + (f"[{self.arraysize}]" if self.arraysize else "")
        return text + (f" ({self.xtype})" if self.xtype else "")


@dataclass(frozen=True)
class InputDef:
    """An input entity role (ProvDM UsageDescription) and how a client may provide it."""

    role: str
    multiplicity: str = "1"
    content_type: str | None = None
    sources: tuple[str, ...] = ("upload",)
    url_template: str | None = None
    max_bytes: int | None = None
    description: str | None = None
    config: bool = False
    """A configuration file: recorded as a ProvDM ConfigFile, not as a used entity."""

    @property
    def min_count(self) -> int:
        return 0 if self.multiplicity.startswith("0") or self.multiplicity == "*" else 1

    @property
    def max_count(self) -> int | None:
        upper = self.multiplicity.split("..")[-1]
        return None if upper == "*" else int(upper)


@dataclass(frozen=True)
class OutputDef:
    """An output entity role (ProvDM GenerationDescription) matched by a file pattern."""

    role: str
    pattern: str
    multiplicity: str = "1"
    content_type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class JobDefinition:
    """An ActivityDescription together with what the executor needs to run it."""

    name: str
    version: str
    command: tuple[str, ...]
    description: str | None = None
    doc_url: str | None = None
    type: str | None = None
    subtype: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    parameters: tuple[ParameterDef, ...] = ()
    inputs: tuple[InputDef, ...] = ()
    outputs: tuple[OutputDef, ...] = ()
    script: str | None = None
    execution_duration: int = 3600
    execution_duration_max: int = 86400
    slots: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The identifier of this version: ``name/version``."""
        return f"{self.name}/{self.version}"

    def parameter(self, name: str) -> ParameterDef | None:
        """The parameter called ``name`` (case-insensitive, as UWS parameter names are)."""
        lowered = name.lower()
        return next((p for p in self.parameters if p.name.lower() == lowered), None)

    def input(self, role: str) -> InputDef | None:
        """The input role called ``role`` (case-insensitive)."""
        lowered = role.lower()
        return next((i for i in self.inputs if i.role.lower() == lowered), None)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict in the YAML layout (what :func:`parse_definition` reads back)."""
        data = asdict(self)
        data["command"] = list(self.command)
        data["contact"] = {"name": data.pop("contact_name"), "email": data.pop("contact_email")}
        data["execution_duration"] = {"default": self.execution_duration, "max": self.execution_duration_max}
        data.pop("execution_duration_max")
        for item in data["parameters"]:
            item["options"] = list(item["options"])
        for item in data["inputs"]:
            item["sources"] = list(item["sources"])
        if not data["extra"]:
            data.pop("extra")
        return _drop_none(data)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


# ----------------------------------------------------------------------------- parsing


def load_definition(data: bytes | str, source: str = "<definition>") -> JobDefinition:
    """A definition from YAML or OPUS VOTable text (detected by its first element)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if text.lstrip().startswith("<"):
        from .opus import from_votable

        return from_votable(text, source)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise DefinitionError(source, ["a job definition must be a YAML mapping"])
    return parse_definition(raw, source)


def _text(raw: Mapping[str, Any], key: str, problems: list[str], where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.append(f"{where}{key} must be text, not {type(value).__name__}")
        return None
    return str(value)


def _number(raw: Mapping[str, Any], key: str, problems: list[str], where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{where}{key} must be a number, not {value!r}")
        return None
    return float(value)


def _unknown(raw: Mapping[str, Any], known: Iterable[str], problems: list[str], where: str) -> None:
    extra = sorted(set(raw) - set(known))
    if extra:
        problems.append(f"{where}unknown key(s) {', '.join(map(str, extra))}")


def _parse_parameter(raw: Any, index: int, problems: list[str]) -> ParameterDef | None:
    where = f"parameters[{index}]: "
    if not isinstance(raw, dict) or "name" not in raw:
        problems.append(f"{where}must be a mapping with a name")
        return None
    keys = ParameterDef.__dataclass_fields__.keys()
    _unknown(raw, keys, problems, where)
    name = str(raw["name"])
    where = f"parameter {name!r}: "
    if not _PARAM_NAME.match(name):
        problems.append(f"{where}name must be a letter or _ then letters, digits or _ (at most 64)")
    elif name.lower() in RESERVED_NAMES:
        problems.append(f"{where}name is reserved by UWS")
    elif _DANGEROUS_ENV.match(name):
        problems.append(f"{where}name would be passed as an environment variable that changes how programs run")
    datatype = str(raw.get("datatype", "char"))
    if datatype not in VOTABLE_DATATYPES:
        problems.append(f"{where}datatype {datatype!r} is not a VOTable datatype ({', '.join(VOTABLE_DATATYPES)})")
    options = raw.get("options") or ()
    if not isinstance(options, (list, tuple)):
        problems.append(f"{where}options must be a list")
        options = ()
    arraysize = _text(raw, "arraysize", problems, where)
    if arraysize is not None and not re.match(r"^(\d+\*?|\*)$", arraysize):
        problems.append(f"{where}arraysize {arraysize!r} must be n, n* or *")
    default = raw.get("default")
    param = ParameterDef(
        name=name,
        datatype=datatype,
        arraysize=arraysize,
        xtype=_text(raw, "xtype", problems, where),
        default=None if default is None else _scalar_text(default),
        required=bool(raw.get("required", False)),
        min=_number(raw, "min", problems, where),
        max=_number(raw, "max", problems, where),
        options=tuple(_scalar_text(o) for o in options),
        unit=_text(raw, "unit", problems, where),
        ucd=_text(raw, "ucd", problems, where),
        utype=_text(raw, "utype", problems, where),
        description=_text(raw, "description", problems, where),
    )
    if param.min is not None and param.max is not None and param.min > param.max:
        problems.append(f"{where}min {param.min:g} is larger than max {param.max:g}")
    if datatype in VOTABLE_DATATYPES and param.default is not None:
        # The default must itself be a legal value, otherwise every job without the parameter fails.
        sub: list[str] = []
        coerce_value(param, param.default, sub)
        problems.extend(f"{where}default: {p.removeprefix(where)}" for p in sub)
    if datatype in VOTABLE_DATATYPES:
        for option in param.options:
            sub = []
            coerce_value(param, option, sub, check_options=False)
            problems.extend(f"{where}option: {p.removeprefix(where)}" for p in sub)
    return param


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_input(raw: Any, index: int, problems: list[str]) -> InputDef | None:
    where = f"inputs[{index}]: "
    if not isinstance(raw, dict) or "role" not in raw:
        problems.append(f"{where}must be a mapping with a role")
        return None
    _unknown(raw, InputDef.__dataclass_fields__.keys(), problems, where)
    role = str(raw["role"])
    where = f"input {role!r}: "
    if not _PARAM_NAME.match(role) or role.lower() in RESERVED_NAMES or _DANGEROUS_ENV.match(role):
        problems.append(f"{where}role must be a letter or _ then letters, digits or _, and not a UWS or system name")
    multiplicity = str(raw.get("multiplicity", "1"))
    if not _MULTIPLICITY.match(multiplicity):
        problems.append(f"{where}multiplicity {multiplicity!r} must be n, n..m, n..* or *")
    sources = raw.get("sources", ["upload"])
    if isinstance(sources, str):
        sources = [sources]
    bad = [s for s in sources if s not in _SOURCES]
    if bad or not sources:
        problems.append(f"{where}sources must be among {', '.join(sorted(_SOURCES))}, not {bad or 'nothing'}")
    template = _text(raw, "url_template", problems, where)
    if template is not None and not re.match(r"^https?://", template):
        problems.append(f"{where}url_template must be an http(s) URL with $ID, not {template!r}")
    max_bytes = raw.get("max_bytes")
    if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes <= 0):
        problems.append(f"{where}max_bytes must be a positive integer")
    config = raw.get("config", False)
    if not isinstance(config, bool):
        problems.append(f"{where}config must be true or false")
    return InputDef(
        role=role,
        multiplicity=multiplicity,
        content_type=_text(raw, "content_type", problems, where),
        sources=tuple(sources),
        url_template=template,
        max_bytes=max_bytes,
        description=_text(raw, "description", problems, where),
        config=config is True,
    )


def _parse_output(raw: Any, index: int, problems: list[str]) -> OutputDef | None:
    where = f"outputs[{index}]: "
    if not isinstance(raw, dict) or "role" not in raw or "pattern" not in raw:
        problems.append(f"{where}must be a mapping with a role and a pattern")
        return None
    _unknown(raw, OutputDef.__dataclass_fields__.keys(), problems, where)
    role, pattern = str(raw["role"]), str(raw["pattern"])
    where = f"output {role!r}: "
    if not _PARAM_NAME.match(role) or _DANGEROUS_ENV.match(role):
        problems.append(f"{where}role must be a letter or _ then letters, digits or _, and not a system name")
    if pattern.startswith("/") or ".." in pattern.split("/") or not pattern.strip():
        problems.append(f"{where}pattern {pattern!r} must be relative to the job directory, without '..'")
    multiplicity = str(raw.get("multiplicity", "1"))
    if not _MULTIPLICITY.match(multiplicity):
        problems.append(f"{where}multiplicity {multiplicity!r} must be n, n..m, n..* or *")
    return OutputDef(
        role=role,
        pattern=pattern,
        multiplicity=multiplicity,
        content_type=_text(raw, "content_type", problems, where),
        description=_text(raw, "description", problems, where),
    )


def parse_definition(raw: Mapping[str, Any], source: str = "<definition>") -> JobDefinition:
    """Check a YAML mapping and build the definition; every problem is reported at once."""
    problems: list[str] = []
    known = set(JobDefinition.__dataclass_fields__) | {"contact"}
    _unknown(raw, known - {"contact_name", "contact_email", "execution_duration_max", "extra"}, problems, "")
    name = str(raw.get("name", ""))
    if not _NAME.match(name):
        problems.append(f"name {name!r} must start with a letter, then letters, digits, '_', '.' or '-' (≤ 64)")
    version = _text(raw, "version", problems, "") or ""
    if not version or not _NAME.match("v" + version):
        problems.append(f"version {version!r} must be set (letters, digits, '.', '_', '-')")
    command = raw.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(c, (str, int, float)) for c in command):
        problems.append("command must be a non-empty list of strings (an argv template; no shell is used)")
        command = ["false"]
    contact = raw.get("contact") or {}
    if not isinstance(contact, dict):
        problems.append("contact must be a mapping with name and email")
        contact = {}
    duration = raw.get("execution_duration") or {}
    if isinstance(duration, int):
        duration = {"default": duration}
    default_s, max_s = duration.get("default", 3600), duration.get("max", max(86400, duration.get("default", 0)))
    if not all(isinstance(v, int) and v >= 0 for v in (default_s, max_s)) or (max_s and default_s > max_s):
        problems.append("execution_duration needs integer seconds default ≤ max (0 = unlimited)")
    slots = raw.get("slots", 1)
    if not isinstance(slots, int) or slots < 1:
        problems.append("slots must be a positive integer")
    parameters = [_parse_parameter(p, i, problems) for i, p in enumerate(raw.get("parameters") or [])]
    inputs = [_parse_input(p, i, problems) for i, p in enumerate(raw.get("inputs") or [])]
    outputs = [_parse_output(p, i, problems) for i, p in enumerate(raw.get("outputs") or [])]
    definition = JobDefinition(
        name=name,
        version=version,
        command=tuple(str(c) for c in command),
        description=_text(raw, "description", problems, ""),
        doc_url=_text(raw, "doc_url", problems, ""),
        type=_text(raw, "type", problems, ""),
        subtype=_text(raw, "subtype", problems, ""),
        contact_name=_text(contact, "name", problems, "contact."),
        contact_email=_text(contact, "email", problems, "contact."),
        parameters=tuple(p for p in parameters if p is not None),
        inputs=tuple(i for i in inputs if i is not None),
        outputs=tuple(o for o in outputs if o is not None),
        script=_text(raw, "script", problems, ""),
        execution_duration=default_s if isinstance(default_s, int) else 3600,
        execution_duration_max=max_s if isinstance(max_s, int) else 86400,
        slots=slots if isinstance(slots, int) else 1,
    )
    _check_names_and_placeholders(definition, problems)
    if problems:
        raise DefinitionError(source, problems)
    return definition


def _check_names_and_placeholders(definition: JobDefinition, problems: list[str]) -> None:
    seen: set[str] = set()
    for name in [p.name for p in definition.parameters] + [i.role for i in definition.inputs]:
        if name.lower() in seen:
            problems.append(f"name {name!r} is used twice (parameter and input names are case-insensitive)")
        seen.add(name.lower())
    known = seen | {o.role.lower() for o in definition.outputs} | BUILTIN_PLACEHOLDERS
    for element in definition.command:
        for placeholder in _PLACEHOLDER.findall(element):
            if placeholder.lower() not in known:
                problems.append(f"command refers to {{{placeholder}}}, which is no parameter, input or output")
    if "{script}" in " ".join(definition.command) and not definition.script:
        problems.append("command uses {script} but the definition has no script")


# Value validation lives in .values; re-exported here because callers think of it as part of a definition.
from .values import coerce_value, render_command, validate_parameters  # noqa: E402
