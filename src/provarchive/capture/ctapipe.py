"""Import ctapipe provenance logs (``<tool>.provenance.log``, ``Provenance().as_json()``).

ctapipe writes a JSON list of activity objects (reference/capture.md §1). Its tools open
the log in append mode, so a log of several runs is several JSON arrays back to back,
which ``json.load`` rejects (ctapipe#3058); :func:`read_ctapipe_log` reads any number of
concatenated arrays (or objects). :func:`ctapipe_to_document` maps every activity onto
IVOA ProvDM:

* activity → Activity (``activity_uuid`` → id ``pa:ctapipe-<uuid>``, name, start/stop,
  ``pa:status``, ``pa:exitCode``, ``pa:durationMinutes``);
* ``input``/``output`` → Entity + Used/WasGeneratedBy with the ctapipe role; reference
  metadata (product id, data level...) becomes ``pa:ref_*`` attributes; inputs with role
  ``Tool Configuration`` are also ConfigFiles;
* ``config`` → one Parameter per leaf (``Tool.trait`` names);
* ``system`` → the same environment records as live capture (user agent, software
  environment with package versions, host and platform attributes; variables masked).

Identifiers derive from the log's content (the activity uuid, or for old logs without
one a digest of name, start time and host), so importing a log twice gives the same
document and ingesting it twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from typing import Any

__all__ = ["read_ctapipe_log", "ctapipe_to_document", "import_ctapipe_log", "CtapipeLogError"]


class CtapipeLogError(ValueError):
    """The file is not a ctapipe provenance log (with where it went wrong)."""


def read_ctapipe_log(text: str, source: str = "<log>") -> list[dict[str, Any]]:
    """Every activity of a log holding one or more concatenated JSON arrays (or objects)."""
    decoder = json.JSONDecoder()
    activities: list[dict[str, Any]] = []
    position = 0
    length = len(text)
    while True:
        while position < length and text[position] in " \t\r\n,":
            position += 1
        if position >= length:
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise CtapipeLogError(f"{source}: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, dict) or "activity_name" not in item:
                raise CtapipeLogError(
                    f"{source}: item {len(activities) + index + 1} is not a ctapipe activity (no activity_name)"
                )
        activities.extend(items)
    if not activities:
        raise CtapipeLogError(f"{source}: no ctapipe activity found")
    return activities


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out.append((prefix, value))


def _parameter_value(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value
    if value is None:
        return "None"
    return json.dumps(value, sort_keys=True, default=str)


def _environment(system: dict[str, Any]) -> dict[str, Any]:
    """ctapipe's ``system`` block in the shape :func:`.environment.add_environment` takes."""
    from .environment import mask_argv, mask_environment

    platform = system.get("platform") or {}
    python = system.get("python") or {}
    variables = {k: v for k, v in (system.get("environment") or {}).items() if v is not None}
    packages = [
        [p.get("name", "?"), p.get("version", "?")] for p in python.get("packages") or [] if isinstance(p, dict)
    ]
    if not packages:  # old logs name a few versions at the top level
        packages = [[k[: -len("_version")], str(v)] for k, v in system.items() if k.endswith("_version") and v]
    version = python.get("version")
    env: dict[str, Any] = {
        "host": platform.get("node") or "",
        "platform": {
            "system": platform.get("system"),
            "release": platform.get("release"),
            "version": platform.get("version"),
            "machine": platform.get("machine"),
        },
        "python": {
            "version": ".".join(version) if isinstance(version, list) else str(version or ""),
            "implementation": (python.get("implementation") or "python").lower(),
            "executable": system.get("executable"),
            "prefix": variables.get("CONDA_PREFIX"),
        },
        "user": {"name": variables.get("USER") or None},
        "argv": mask_argv([str(a) for a in system.get("arguments") or []]),
        "packages": sorted(packages),
        "variables": mask_environment({k: str(v) for k, v in variables.items()}),
    }
    if not platform:
        env["platform"] = {}
    return env


def ctapipe_to_document(activities: list[dict[str, Any]], *, environment: bool = True) -> Any:
    """A ProvDM document holding every activity of a ctapipe log (see module docstring)."""
    from ..model import Document, QName
    from .environment import add_environment

    doc = Document(namespaces={"pa": "urn:provarchive:"})
    doc.use_voprov()
    for record in activities:
        name = str(record.get("activity_name"))
        start = record.get("start") or {}
        stop = record.get("stop") or {}
        system = record.get("system") or {}
        uuid = record.get("activity_uuid")
        if uuid:
            activity_id = f"pa:ctapipe-{uuid}"
        else:
            node = (system.get("platform") or {}).get("node", "")
            activity_id = f"pa:ctapipe-{_digest(name + '|' + str(start.get('time_utc')) + '|' + node)}"
        if doc.get(activity_id) is not None:
            continue  # the same activity appended twice
        act = doc.activity(activity_id, _time(start.get("time_utc")), _time(stop.get("time_utc")), name=name)
        act.attributes.append(("pa:importedFrom", "ctapipe provenance log"))
        if record.get("status") is not None:
            act.attributes.append(("pa:status", str(record["status"])))
        if isinstance(record.get("exit_code"), int):
            act.attributes.append(("pa:exitCode", record["exit_code"]))
        if isinstance(record.get("duration_min"), (int, float)):
            act.attributes.append(("pa:durationMinutes", float(record["duration_min"])))
        if system.get("ctapipe_version"):
            act.attributes.append(("pa:ctapipeVersion", str(system["ctapipe_version"])))
        for direction in ("input", "output"):
            for item in record.get(direction) or []:
                if isinstance(item, str):  # the 2017 format lists bare paths
                    item = {"url": item}
                if not isinstance(item, dict) or not item.get("url"):
                    continue
                url = str(item["url"])
                role = item.get("role")
                entity_id = f"pa:file-{_digest(url)}"
                if doc.get(entity_id) is None:
                    attributes: list[tuple[str, Any]] = []
                    meta = item.get("reference_meta") or {}
                    flat: list[tuple[str, Any]] = []
                    _flatten("", meta, flat)
                    for key, value in flat:
                        if value is not None:
                            local = "".join(c if c.isalnum() else "_" for c in key)
                            attributes.append((f"pa:ref_{local}", _parameter_value(value)))
                    doc.entity(
                        entity_id, name=os.path.basename(url.rstrip("/")) or url, location=url, attributes=attributes
                    )
                if direction == "input":
                    act.used(entity_id, role=role)
                    if role == "Tool Configuration":
                        doc.config_file(act, os.path.basename(url), url, id=f"{activity_id}_config_{_digest(url)[:12]}")
                else:
                    act.generated(entity_id, role=role)
        config = record.get("config")
        if isinstance(config, dict):
            flat_config: list[tuple[str, Any]] = []
            _flatten("", config, flat_config)
            for key, value in flat_config:
                from .environment import MASK, is_secret_name

                recorded = MASK if is_secret_name(key) else _parameter_value(value)
                doc.parameter(act, key, recorded, id=f"{activity_id}_param_{_digest(key)[:16]}")
        if environment and system:
            add_environment(doc, activity_id, _environment(system))
            if system.get("start_time_utc"):
                act.attributes.append(("pa:systemStartTime", str(system["start_time_utc"])))
        act.attributes.append(("prov:type", QName("pa:CtapipeActivity")))
    return doc


def import_ctapipe_log(path: str | os.PathLike[str], *, environment: bool = True) -> Any:
    """Read a ctapipe provenance log file into a document."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return ctapipe_to_document(read_ctapipe_log(text, os.fspath(path)), environment=environment)
