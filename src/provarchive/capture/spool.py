"""Reading a capture spool and compiling it into a PROV document.

A spool is the JSON-Lines event log written by :mod:`.recorder` and :mod:`.wrapper`
(one event per line, see :mod:`.events`). :func:`compile_spool` replays it into a
:class:`~provarchive.model.Document`; the document can then be written in any format
(:func:`provarchive.formats.write`) or uploaded (:mod:`.upload`).

Compilation is tolerant by design: a spool cut off by a kill may end in a torn line
and hold activities that never ended. Torn or unreadable lines are skipped (and
counted in :attr:`SpoolReport.damaged_lines`); unfinished activities are kept with
``pa:status`` ``incomplete`` and no end time, so everything up to the kill is still a
valid document.

Mapping (namespace ``pa`` = ``urn:provarchive:``):

* ``start``/``end`` → Activity (name, times, ``pa:status``, ``pa:exitCode``,
  ``pa:error``, ``pa:maxRssKiB``, ``pa:cpuUserSeconds``...); a parent →
  ``pa:parent`` and ``wasInformedBy(child, parent)``.
* files → Entity (``prov:location`` path, ``pa:size``, ``pa:modified``, ``pa:hash``,
  ``pa:hashAlgorithm``, ``pa:hashStatus`` = complete / deferred / stat / missing /
  failed, ``pa:fitsDatasum``); directories and file sets → ``prov:Collection`` with
  ``pa:memberCount``, ``pa:totalSize``, ``pa:manifestSha256``, members expanded
  (``hadMember``) on demand.
* parameters → Parameter + WasConfiguredBy; config files → ConfigFile +
  WasConfiguredBy; agents → Agent + wasAssociatedWith; the environment through
  :func:`.environment.add_environment`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .events import default_data_dir

__all__ = ["compile_spool", "read_events", "default_data_dir", "SpoolReport", "MEMBER_LIMIT"]

#: Collections with at most this many members are expanded by default (``members="auto"``).
MEMBER_LIMIT = 100


@dataclass
class SpoolReport:
    """What compiling a spool found besides the document."""

    events: int = 0
    damaged_lines: list[int] = field(default_factory=list)
    incomplete_activities: list[str] = field(default_factory=list)


def read_events(path: str | os.PathLike[str], report: SpoolReport | None = None) -> Iterator[dict[str, Any]]:
    """The events of a spool, skipping torn or unreadable lines (their numbers go to ``report``)."""
    try:
        import orjson

        parse: Any = orjson.loads
        errors: tuple[type[Exception], ...] = (orjson.JSONDecodeError, ValueError)
    except ImportError:  # pragma: no cover
        import json

        parse, errors = json.loads, (ValueError,)
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = parse(line)
            except errors:
                try:  # lone surrogates from undecodable file names: orjson refuses them
                    import json

                    event = json.loads(line)
                except ValueError:
                    if report is not None:
                        report.damaged_lines.append(number)
                    continue
            if not isinstance(event, dict) or "e" not in event:
                if report is not None:
                    report.damaged_lines.append(number)
                continue
            if report is not None:
                report.events += 1
            yield event


def _time(seconds: Any) -> datetime | None:
    if isinstance(seconds, (int, float)):
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    return None


def _mtime(ns: Any) -> datetime | None:
    if isinstance(ns, int) and ns >= 0:
        return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)
    return None


def _safe_local(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "x"


class _Compiler:
    """Replays events into a document (one instance per compilation)."""

    def __init__(self, members: str, member_limit: int, environment: bool) -> None:
        from ..model import Document

        if members not in ("auto", "all", "none"):
            raise ValueError(f"members must be auto, all or none, not {members!r}")
        self.doc = Document(namespaces={"pa": "urn:provarchive:"})
        self.doc.use_voprov()
        self.members = members
        self.member_limit = member_limit
        self.environment = environment
        self.entities: dict[str, dict[str, Any]] = {}
        self.hashes: dict[str, dict[str, Any]] = {}
        self.envs: dict[str, dict[str, Any]] = {}
        self.env_of: dict[str, str] = {}
        self.activities: dict[str, Any] = {}
        self.ended: set[str] = set()
        self.parameters: set[str] = set()

    # ------------------------------------------------------------------ events

    def feed(self, event: dict[str, Any]) -> None:
        handler = getattr(self, "on_" + str(event.get("e")), None)
        if handler is not None:
            handler(event)

    def _activity(self, activity_id: str) -> Any:
        act = self.activities.get(activity_id)
        if act is None:  # events of an activity whose start line was lost
            act = self.activities[activity_id] = self.doc.activity(activity_id)
        return act

    def on_env(self, event: dict[str, Any]) -> None:
        self.envs.setdefault(str(event["key"]), dict(event.get("env") or {}))

    def on_git(self, event: dict[str, Any]) -> None:
        self.envs.setdefault(str(event["key"]), {})["git"] = event.get("git") or {}

    def on_description(self, event: dict[str, Any]) -> None:
        from ..model import DESCRIPTION_CLASSES

        for record in event.get("records") or []:
            values = dict(record)
            cls = DESCRIPTION_CLASSES.get(str(values.pop("class", "")))
            ident = values.pop("id", None)
            if cls is None or not ident or self.doc.get(ident) is not None:
                continue
            allowed = {k: v for k, v in values.items() if k in cls.IVOA}
            self.doc.add(cls(ident, **allowed))

    def on_start(self, event: dict[str, Any]) -> None:
        from ..model import Activity, QName

        activity_id = str(event["act"])
        act = self.activities.get(activity_id)
        if act is None:
            act = self.activities[activity_id] = self.doc.add(Activity(activity_id))
        act.name = event.get("name")
        act.start_time = _time(event.get("t"))
        act.comment = event.get("comment")
        if event.get("desc"):
            act.description = str(event["desc"])
        if event.get("parent"):
            act.attributes.append(("pa:parent", QName(str(event["parent"]))))
            act.informed_by(str(event["parent"]))
        if event.get("env"):
            self.env_of[activity_id] = str(event["env"])

    def on_end(self, event: dict[str, Any]) -> None:
        activity_id = str(event["act"])
        act = self._activity(activity_id)
        self.ended.add(activity_id)
        act.end_time = _time(event.get("t"))
        act.attributes.append(("pa:status", str(event.get("status"))))
        if event.get("exit_code") is not None:
            act.attributes.append(("pa:exitCode", int(event["exit_code"])))
        if event.get("signal") is not None:
            act.attributes.append(("pa:signal", int(event["signal"])))
        if event.get("error"):
            act.attributes.append(("pa:error", str(event["error"])))
        usage = event.get("usage") or {}
        for key, name in (
            ("max_rss_kib", "pa:maxRssKiB"),
            ("cpu_user_s", "pa:cpuUserSeconds"),
            ("cpu_system_s", "pa:cpuSystemSeconds"),
        ):
            if key in usage:
                act.attributes.append((name, usage[key]))

    def on_attr(self, event: dict[str, Any]) -> None:
        value = event.get("value")
        if not isinstance(value, (str, int, float, bool)):
            import json

            value = json.dumps(value, sort_keys=True)
        self._activity(str(event["act"])).attributes.append((str(event["name"]), value))

    def on_used(self, event: dict[str, Any]) -> None:
        entity_id = self._entity(event["ent"])
        self._activity(str(event["act"])).used(
            entity_id, role=event.get("role"), time=_time(event.get("t")), usage_description=event.get("usage_desc")
        )

    def on_generated(self, event: dict[str, Any]) -> None:
        entity_id = self._entity(event["ent"])
        self._activity(str(event["act"])).generated(
            entity_id,
            role=event.get("role"),
            time=_time(event.get("t")),
            generation_description=event.get("generation_desc"),
        )

    def on_config(self, event: dict[str, Any]) -> None:
        entity = event["ent"]
        activity_id = str(event["act"])
        self._activity(activity_id)
        name = str(event.get("name") or os.path.basename(entity.get("path", "")) or "config")
        ident = f"{activity_id}_config_{_safe_local(name)}"
        if self.doc.get(ident) is None:
            attributes = _entity_attributes(entity, self.hashes)
            self.doc.config_file(activity_id, name, entity.get("path"), id=ident, attributes=attributes)

    def on_param(self, event: dict[str, Any]) -> None:
        activity_id = str(event["act"])
        self._activity(activity_id)
        name = str(event["name"])
        ident = f"{activity_id}_param_{_safe_local(name)}"
        if ident in self.parameters:
            return
        self.parameters.add(ident)
        value = event.get("value")
        if isinstance(value, dict):
            import json

            value = json.dumps(value, sort_keys=True)
        self.doc.parameter(activity_id, name, "" if value is None else value, id=ident, description=event.get("desc"))

    def on_agent(self, event: dict[str, Any]) -> None:
        agent = dict(event["agent"])
        ident = str(agent.pop("id"))
        if self.doc.get(ident) is None:
            kind = agent.pop("type", None)
            self.doc.agent(ident, type=kind if kind in ("Person", "Organization", "SoftwareAgent") else None, **agent)
        self._activity(str(event["act"])).associated_with(ident, role=event.get("role"))

    def on_hash(self, event: dict[str, Any]) -> None:
        self.hashes[str(event["ent"])] = event

    # ---------------------------------------------------------------- entities

    def _entity(self, entity: dict[str, Any]) -> str:
        ident = str(entity["id"])
        if entity.get("kind") != "ref":
            self.entities.setdefault(ident, entity)
        return ident

    def _build_entities(self) -> None:
        from ..model import Collection, Entity, QName

        for ident, entity in self.entities.items():
            if self.doc.get(ident) is not None:
                continue
            attributes = _entity_attributes(entity, self.hashes)
            path = entity.get("path")
            name = entity.get("name") or (os.path.basename(str(path).rstrip("/")) if path else None)
            if entity.get("kind") != "collection":
                self.doc.add(Entity(ident, name=name, location=path, attributes=attributes))
                continue
            attributes += [
                ("pa:memberCount", int(entity.get("count", 0))),
                ("pa:totalSize", int(entity.get("size", 0))),
                ("pa:manifestSha256", str(entity.get("manifest_sha256", ""))),
            ]
            collection = self.doc.add(Collection(ident, name=name, location=path, attributes=attributes))
            manifest = entity.get("manifest") or []
            if self.members == "all" or (self.members == "auto" and len(manifest) <= self.member_limit):
                self._expand(collection, str(path), manifest, QName)

    def _expand(self, collection: Any, root: str, manifest: list[list[Any]], qname: Any) -> None:
        from ..model import Entity
        from .entities import file_entity_id

        for rel, size, mtime_ns, digest in manifest:
            member_path = os.path.normpath(os.path.join(root, rel))
            member_id = file_entity_id(member_path, size, mtime_ns)
            if self.doc.get(member_id) is None:
                record = {"id": member_id, "path": member_path, "size": size, "mtime_ns": mtime_ns}
                record["hash"] = {"alg": "sha256", "digest": digest, "status": "complete"} if digest else {}
                self.doc.add(
                    Entity(
                        member_id,
                        name=os.path.basename(member_path),
                        location=member_path,
                        attributes=_entity_attributes(record, self.hashes),
                    )
                )
            collection.member(member_id)

    # ------------------------------------------------------------------ finish

    def finish(self, report: SpoolReport) -> Any:
        self._build_entities()
        for activity_id, act in self.activities.items():
            if activity_id not in self.ended:
                act.attributes.append(("pa:status", "incomplete"))
                report.incomplete_activities.append(activity_id)
        if self.environment:
            from .environment import add_environment

            for activity_id, key in self.env_of.items():
                env = self.envs.get(key)
                if env:
                    add_environment(self.doc, activity_id, env)
        return self.doc


def _entity_attributes(entity: dict[str, Any], hashes: dict[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    attributes: list[tuple[str, Any]] = []
    if entity.get("kind") == "url":
        attributes.append(("prov:type", _qname("pa:URL")))
    if isinstance(entity.get("size"), int) and entity["size"] >= 0:
        attributes.append(("pa:size", entity["size"]))
    modified = _mtime(entity.get("mtime_ns"))
    if modified is not None:
        attributes.append(("pa:modified", modified))
    hashed = dict(entity.get("hash") or {})
    later = hashes.get(str(entity.get("id")))
    if later is not None:
        hashed = {"alg": later.get("alg"), "digest": later.get("digest"), "status": later.get("status")}
    if hashed.get("digest"):
        attributes.append(("pa:hash", str(hashed["digest"])))
        attributes.append(("pa:hashAlgorithm", str(hashed.get("alg") or "sha256")))
    if hashed.get("status"):
        attributes.append(("pa:hashStatus", str(hashed["status"])))
    if hashed.get("how"):
        attributes.append(("pa:hashComputed", str(hashed["how"])))
    for sums in entity.get("fits") or []:
        if sums.get("datasum"):
            attributes.append(("pa:fitsDatasum", f"HDU {sums.get('hdu')}: {sums['datasum']}"))
        if sums.get("checksum"):
            attributes.append(("pa:fitsChecksum", f"HDU {sums.get('hdu')}: {sums['checksum']}"))
    return attributes


def _qname(text: str) -> Any:
    from ..model import QName

    return QName(text)


def compile_spool(
    path: str | os.PathLike[str],
    *,
    members: str = "auto",
    member_limit: int = MEMBER_LIMIT,
    environment: bool = True,
    report: SpoolReport | None = None,
) -> Any:
    """Compile a spool into a :class:`~provarchive.model.Document`.

    ``members``: expand collections into member entities with ``hadMember`` —
    ``"auto"`` (only those with at most ``member_limit`` members), ``"all"`` or
    ``"none"``. ``environment``: add the recorded software environment. Pass a
    :class:`SpoolReport` to learn about torn lines and unfinished activities.

    Compiling the same spool twice gives the same document (ids come from the spool),
    which is what makes uploads idempotent.
    """
    from ..util import paused_gc

    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(2, "No such spool file", str(source))
    report = report if report is not None else SpoolReport()
    compiler = _Compiler(members, member_limit, environment)
    with paused_gc():
        for event in read_events(source, report):
            try:
                compiler.feed(event)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{source}: event {report.events} ({event.get('e')!r}) is malformed: {exc}") from None
        return compiler.finish(report)
