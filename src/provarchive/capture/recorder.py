"""Recording provenance from Python: :func:`activity` as a context manager or decorator.

::

    from provarchive.capture import activity

    with activity("calibrate", parameters={"gain": 1.2}) as act:
        act.used("raw.fits", role="raw events")
        with act.open_output("dl1.h5", role="dl1") as out:   # hashed while written
            out.write(data)

    @activity("reconstruct")
    def reconstruct(path): ...

Every call appends one event to a JSON-Lines spool (:mod:`.events`) at once, so a job
that is killed leaves a valid partial record; :func:`provarchive.capture.spool.compile_spool`
turns a spool into a PROV document.

Nesting is tracked with a :class:`contextvars.ContextVar`, never a global stack: each
thread starts with no current activity, each asyncio task inherits the activity that
was current where it was created, so concurrent work never attaches to the wrong
parent (ctapipe#2312). An activity opened inside another gets a ``parent`` link
(attribute ``pa:parent`` and ``wasInformedBy(child, parent)``); the outermost activities
of a process are nested under ``PROVARCHIVE_PARENT_ACTIVITY`` when that is set (a job
service merging a job's inner steps under the job's activity).

Importing this module is cheap (no json, datetime, hashlib or model import), so that
``provarchive run`` and instrumented tools start fast.
"""

from __future__ import annotations

import os
import stat as statmod
import time
from contextvars import ContextVar

from .events import SPOOL_VERSION, SpoolWriter, file_event_line

try:  # CPython's built-in SHA-256 avoids importing hashlib (OpenSSL) on the fast path
    from _sha256 import sha256 as _sha256
except ImportError:  # pragma: no cover
    from hashlib import sha256 as _sha256

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import: only for type checkers
    from collections.abc import Callable, Iterable
    from contextvars import Token
    from typing import Any, TypeVar

    from ..model import ActivityDescription
    from .hashing import HashPolicy

    F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "activity",
    "current_activity",
    "RecordedActivity",
    "ActivityScope",
    "file_entity_id",
    "SPOOL_ENV",
    "PARENT_ENV",
]

SPOOL_ENV = "PROVARCHIVE_SPOOL"
PARENT_ENV = "PROVARCHIVE_PARENT_ACTIVITY"

#: The activity being recorded in the current thread / asyncio task.
_CURRENT: ContextVar[RecordedActivity | None] = ContextVar("provarchive_current_activity", default=None)

#: Spool files that already hold this process's environment (pid, path): written once.
_ENVIRONMENT_WRITTEN: set[tuple[int, str]] = set()


def file_entity_id(path: str, size: int, mtime_ns: int) -> str:
    """The identifier of one version of a file: a digest of (absolute path, size, mtime).

    The same file version recorded by two activities (one generates it, the next uses
    it) gets the same id, which is what links the steps of a pipeline; a rewritten file
    is a new entity.
    """
    text = f"{path}\0{size}\0{mtime_ns}".encode("utf-8", "surrogateescape")
    return "pa:file-" + _sha256(text).hexdigest()[:40]


def _digest_id(kind: str, text: str) -> str:
    return f"pa:{kind}-" + _sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def current_activity() -> RecordedActivity | None:
    """The activity recorded in this thread or task, if any."""
    return _CURRENT.get()


def _default_spool_path(activity_id: str) -> str:
    from .events import default_data_dir

    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return os.path.join(default_data_dir(), "spool", f"{stamp}-{activity_id.partition('-')[2][:16]}.jsonl")


class RecordedActivity:
    """An activity being recorded; every method appends an event to the spool immediately.

    Obtained from ``with activity(...) as act`` or :func:`current_activity`.
    """

    def __init__(
        self,
        name: str,
        *,
        spool: str | os.PathLike[str] | None = None,
        description: ActivityDescription | str | None = None,
        parameters: dict[str, Any] | None = None,
        comment: str | None = None,
        hash: HashPolicy | str | None = None,
        strict_roles: bool = True,
        environment: bool = True,
        git: bool | None = None,
        id: str | None = None,
        parent: str | None = None,
    ) -> None:
        self.name = name
        self.id = id or "pa:activity-" + os.urandom(16).hex()
        self.comment = comment
        self.status = "running"
        self.exit_code: int | None = None
        self._description = description
        self._parameters = dict(parameters or {})
        self._hash_policy_arg = hash
        self._policy: HashPolicy | None = None
        #: True when the policy hashes nothing (set with the policy).
        self._stat_only = hash == "stat"
        self._strict_roles = strict_roles
        self._environment = environment
        self._git = git
        self._explicit_spool = os.fspath(spool) if spool is not None else None
        self._explicit_parent = parent
        self._writer: SpoolWriter | None = None
        self._owns_writer = False
        self._token: Token[RecordedActivity | None] | None = None
        self._pending_outputs: dict[str, tuple[str | None, str | None]] = {}
        self._roles: dict[str, dict[str, tuple[str, str | None]]] = {"usage": {}, "generation": {}}
        self._parameter_descriptions: dict[str, str] = {}
        self._roles_seen: set[tuple[str, str]] = set()
        self._git_thread: Any = None
        self.parent_id: str | None = None
        self.started = 0.0

    # ------------------------------------------------------------------ lifecycle

    @property
    def spool_path(self) -> str | None:
        """The spool file this activity writes to."""
        return self._writer.path if self._writer is not None else None

    def _emit(self, event: dict[str, Any]) -> None:
        if self._writer is None:
            raise RuntimeError(f"activity {self.name!r} is not started: use it in a with statement")
        self._writer.write(event)

    def start(self) -> RecordedActivity:
        """Start recording (``with`` does this); returns ``self``."""
        enclosing = _CURRENT.get()
        in_process_root = enclosing is None
        if self._explicit_parent is not None:
            self.parent_id = self._explicit_parent
        elif enclosing is not None:
            self.parent_id = enclosing.id
        else:
            self.parent_id = os.environ.get(PARENT_ENV) or None
        if self._explicit_spool is not None:
            self._writer, self._owns_writer = SpoolWriter(self._explicit_spool), True
        elif enclosing is not None and enclosing._writer is not None:
            self._writer = enclosing._writer
        else:
            path = os.environ.get(SPOOL_ENV) or _default_spool_path(self.id)
            self._writer, self._owns_writer = SpoolWriter(path), True
        env_key = None
        if self._environment and (in_process_root or self._owns_writer):
            env_key = self._write_environment()
        self.started = time.time()
        event: dict[str, Any] = {"e": "start", "v": SPOOL_VERSION, "act": self.id, "name": self.name, "t": self.started}
        if self.parent_id:
            event["parent"] = self.parent_id
        if env_key:
            event["env"] = env_key
        if self.comment:
            event["comment"] = self.comment
        description_id = self._describe()
        if description_id:
            event["desc"] = description_id
        self._emit(event)
        self._token = _CURRENT.set(self)
        for key, value in self._parameters.items():
            self.parameter(key, value)
        return self

    def _write_environment(self) -> str:
        from .environment import collect_environment

        env = collect_environment()
        assert self._writer is not None
        marker = (os.getpid(), self._writer.path)
        if marker not in _ENVIRONMENT_WRITTEN:
            _ENVIRONMENT_WRITTEN.add(marker)
            self._emit({"e": "env", "key": env["key"], "env": env})
            if self._git if self._git is not None else os.environ.get("PROVARCHIVE_GIT", "1") != "0":
                self._start_git(env["key"])
        return str(env["key"])

    def _start_git(self, env_key: str) -> None:
        """Collect git state on a thread: ~10 ms of subprocesses kept off the job's path.

        The state is collected once per process; later spools get the cached result.
        """
        import threading

        from .environment import cached_git_state, git_state

        path = self._writer.path if self._writer else ""
        known = cached_git_state()
        if known is not None:
            if known:
                self._emit({"e": "git", "key": env_key, "git": known})
            return

        def collect() -> None:
            state = git_state()
            cached_git_state(state)
            if state:
                with SpoolWriter(path) as writer:
                    writer.write({"e": "git", "key": env_key, "git": state})

        self._git_thread = threading.Thread(target=collect, name="provarchive-git", daemon=True)
        self._git_thread.start()

    def finish(
        self,
        exc: BaseException | None = None,
        *,
        outcome: tuple[str, int | None, str | None] | None = None,
        usage: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """End the activity, recording status and exit code from ``exc`` (``with`` does this).

        ``outcome`` = (status, exit code, error) and ``usage`` override what is derived
        from ``exc`` and this process (the command wrapper reports its child's).
        """
        if self._token is not None:
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # finished from another context (e.g. a generator); fall back
                _CURRENT.set(None)
            self._token = None
        status: str = "completed"
        code: int | None = 0
        error: str | None = None
        if isinstance(exc, KeyboardInterrupt):
            status, code, error = "interrupted", 130, "KeyboardInterrupt"
        elif isinstance(exc, SystemExit):
            if exc.code in (0, None):
                status, code = "completed", 0
            else:
                status = "failed"
                code = exc.code if isinstance(exc.code, int) else 1
                error = f"SystemExit: {exc.code}"
        elif exc is not None and type(exc).__name__ == "CancelledError":
            status, code, error = "cancelled", None, "CancelledError"
        elif exc is not None:
            status, code = "failed", 1
            error = f"{type(exc).__name__}: {exc}"[:4000]
        if outcome is not None:
            status, code, error = outcome
        self._resolve_pending_outputs()
        self._check_multiplicities()
        from .environment import resource_usage

        self.status, self.exit_code = status, code
        event: dict[str, Any] = {"e": "end", "act": self.id, "t": time.time(), "status": status, "exit_code": code}
        if error:
            event["error"] = error
        event["usage"] = usage if usage is not None else resource_usage()
        if extra:
            event.update(extra)
        self._emit(event)
        if self._git_thread is not None:
            self._git_thread.join(timeout=10)
        if self._owns_writer and self._writer is not None:
            self._writer.close()

    # -------------------------------------------------------------- descriptions

    def _describe(self) -> str | None:
        """Emit the ActivityDescription (and its role descriptions); returns its id."""
        desc = self._description
        if desc is None:
            return None
        if isinstance(desc, str):
            if ":" in desc:
                return desc  # a reference to a description stored elsewhere
            desc_id = _digest_id("description", desc)
            self._emit({"e": "description", "records": [{"class": "ActivityDescription", "id": desc_id, "name": desc}]})
            return desc_id
        records = [_description_record(desc)]
        bundle = getattr(desc, "_bundle", None)
        for record in bundle.descriptions if bundle is not None else ():
            if getattr(record, "activity_description", None) != desc.id:
                continue
            kind = type(record).__name__
            records.append(_description_record(record))
            if kind == "UsageDescription":
                self._roles["usage"][record.role] = (record.id, record.multiplicity)
            elif kind == "GenerationDescription":
                self._roles["generation"][record.role] = (record.id, record.multiplicity)
            elif kind == "ParameterDescription":
                self._parameter_descriptions[record.name] = record.id
        self._emit({"e": "description", "records": records})
        return str(desc.id)

    def _role_description(self, direction: str, role: str | None) -> str | None:
        roles = self._roles[direction]
        if not roles:
            return None
        if role is None or role not in roles:
            if self._strict_roles:
                kind = "input" if direction == "usage" else "output"
                raise ValueError(
                    f"activity {self.name!r}: {role!r} is not an {kind} role of its description; "
                    f"expected one of {', '.join(sorted(roles))}"
                )
            return None
        self._roles_seen.add((direction, role))
        return roles[role][0]

    def _check_multiplicities(self) -> None:
        for direction, roles in self._roles.items():
            for role, (_desc_id, multiplicity) in roles.items():
                required = multiplicity is not None and not str(multiplicity).startswith(("0", "*"))
                if required and (direction, role) not in self._roles_seen:
                    kind = "input" if direction == "usage" else "output"
                    self._emit(
                        {
                            "e": "attr",
                            "act": self.id,
                            "name": "pa:warning",
                            "value": f"required {kind} role {role!r} (multiplicity {multiplicity}) was not recorded",
                        }
                    )

    # -------------------------------------------------------------------- inputs

    @property
    def policy(self) -> HashPolicy:
        if self._policy is None:
            from .hashing import HashPolicy

            self._policy = HashPolicy.coerce(self._hash_policy_arg)
            self._stat_only = self._policy.mode == "stat" and not self._policy.by_role
        return self._policy

    def used(
        self,
        target: str | os.PathLike[str],
        role: str | None = None,
        *,
        hash: str | None = None,
        name: str | None = None,
    ) -> str:
        """Record an input: a file or directory path, a URL, or the id of a known entity.

        A string that is not an existing path is taken as a URL if it has ``://``, as an
        entity id if it looks like ``prefix:name``, else as a path that is missing (the
        entity is recorded with ``hash_status`` ``missing``). Returns the entity id.
        """
        usage_desc = self._role_description("usage", role)
        entity = self._entity_for(target, role, hash, name, must_exist=True)
        self._emit_io("used", entity, role, "usage_desc", usage_desc)
        return str(entity["id"])

    def generated(
        self,
        target: str | os.PathLike[str],
        role: str | None = None,
        *,
        hash: str | None = None,
        name: str | None = None,
    ) -> str | None:
        """Record an output file, directory (as a Collection) or URL.

        A path that does not exist yet is recorded when the activity ends (declare outputs
        up front, write them later); returns the entity id, or ``None`` for such a
        pending output.
        """
        generation_desc = self._role_description("generation", role)
        entity = self._entity_for(target, role, hash, name, must_exist=False)
        if entity.get("hash") == _MISSING:  # declared before it is written: recorded at the end
            self._pending_outputs[entity["path"]] = (role, hash)
            return None
        self._emit_generated(entity, role, generation_desc)
        return str(entity["id"])

    def _emit_generated(self, entity: dict[str, Any], role: str | None, generation_desc: str | None) -> None:
        self._emit_io("generated", entity, role, "generation_desc", generation_desc)

    def _emit_io(self, kind: str, entity: dict[str, Any], role: str | None, desc_key: str, desc: str | None) -> None:
        """Append a used/generated event; plain file events take the fast encoder."""
        if self._writer is None:
            raise RuntimeError(f"activity {self.name!r} is not started: use it in a with statement")
        now = time.time()
        line = file_event_line(kind, self.id, entity, now, role, {desc_key: desc} if desc else {})
        if line is not None:
            self._writer.write_line(line)
            return
        event: dict[str, Any] = {"e": kind, "act": self.id, "ent": entity, "t": now}
        if role is not None:
            event["role"] = role
        if desc:
            event[desc_key] = desc
        self._writer.write(event)

    def _resolve_pending_outputs(self) -> None:
        pending, self._pending_outputs = self._pending_outputs, {}
        for path, (role, hash_mode) in pending.items():
            desc = self._roles["generation"].get(role or "", (None, None))[0]
            entity = self._entity_for(path, role, hash_mode, None, must_exist=False)
            if entity.get("hash") == _MISSING:
                entity["hash"] = {"status": "missing"}
            self._emit_generated(entity, role, desc)

    def used_collection(
        self, paths: Iterable[str | os.PathLike[str]], role: str | None = None, *, name: str | None = None
    ) -> str:
        """Record a set of files used together as one Collection entity (with a manifest)."""
        usage_desc = self._role_description("usage", role)
        entity = self._collection([os.path.abspath(os.fspath(p)) for p in paths], None, role, None, name)
        self._emit_io("used", entity, role, "usage_desc", usage_desc)
        return str(entity["id"])

    def generated_collection(
        self, paths: Iterable[str | os.PathLike[str]], role: str | None = None, *, name: str | None = None
    ) -> str:
        """Record a set of output files as one Collection entity (with a manifest)."""
        generation_desc = self._role_description("generation", role)
        entity = self._collection([os.path.abspath(os.fspath(p)) for p in paths], None, role, None, name)
        self._emit_generated(entity, role, generation_desc)
        return str(entity["id"])

    def config_file(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Record a configuration file (a ProvDM ConfigFile configuring this activity)."""
        entity = self._entity_for(path, "configuration", None, name, must_exist=True)
        self._emit({"e": "config", "act": self.id, "ent": entity, "name": name or os.path.basename(os.fspath(path))})
        return str(entity["id"])

    def parameter(self, name: str, value: Any) -> None:
        """Record a parameter value (a ProvDM Parameter configuring this activity)."""
        from .environment import MASK, is_secret_name

        recorded = MASK if is_secret_name(name) else _json_ready(value)
        event: dict[str, Any] = {"e": "param", "act": self.id, "name": str(name), "value": recorded}
        if name in self._parameter_descriptions:
            event["desc"] = self._parameter_descriptions[name]
        self._emit(event)

    def agent(
        self,
        name: str,
        *,
        type: str = "Person",
        role: str | None = None,
        id: str | None = None,
        email: str | None = None,
        affiliation: str | None = None,
        url: str | None = None,
    ) -> str:
        """Record an agent responsible for this activity (wasAssociatedWith); returns its id."""
        agent = {"id": id or _digest_id("agent", f"{type}\0{name}\0{email or ''}"), "name": name, "type": type}
        for key, value in (("email", email), ("affiliation", affiliation), ("url", url)):
            if value:
                agent[key] = value
        event: dict[str, Any] = {"e": "agent", "act": self.id, "agent": agent}
        if role:
            event["role"] = role
        self._emit(event)
        return agent["id"]

    def attribute(self, name: str, value: Any) -> None:
        """Record an extra attribute of the activity (``prefix:name``, value)."""
        self._emit({"e": "attr", "act": self.id, "name": name, "value": _json_ready(value)})

    def open_output(
        self,
        path: str | os.PathLike[str],
        mode: str = "wb",
        *,
        role: str | None = None,
        encoding: str | None = None,
        buffering: int = 1 << 20,
    ) -> Any:
        """Open an output file that is hashed while it is written (never read back).

        ``mode`` is ``"wb"`` or ``"w"`` (text, with ``encoding``). The generation is
        recorded, with a complete SHA-256, when the file is closed.
        """
        import io

        from .hashing import HashingWriter

        if mode not in ("w", "wb", "wt"):
            raise ValueError(f"open_output mode must be 'w' or 'wb', not {mode!r}")
        generation_desc = self._role_description("generation", role)
        algorithm = self.policy.algorithm

        def on_close(abspath: str, digest: str, st: os.stat_result) -> None:
            from .hashing import _default_cache

            _default_cache().put(st, algorithm, digest)
            entity = self._file_record(abspath, st)
            entity["hash"] = {"alg": algorithm, "digest": digest, "status": "complete", "how": "while-written"}
            self._emit_generated(entity, role, generation_desc)

        raw = HashingWriter(path, algorithm=algorithm, on_close=on_close)
        buffered = io.BufferedWriter(raw, buffer_size=buffering)
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(buffered, encoding=encoding or "utf-8")

    # ------------------------------------------------------------------ entities

    def _file_record(self, abspath: str, st: os.stat_result) -> dict[str, Any]:
        return {
            "id": file_entity_id(abspath, st.st_size, st.st_mtime_ns),
            "kind": "file",
            "path": abspath,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
        }

    def _entity_for(
        self,
        target: str | os.PathLike[str],
        role: str | None,
        hash_mode: str | None,
        name: str | None,
        *,
        must_exist: bool,
    ) -> dict[str, Any]:
        text = target if type(target) is str else os.fspath(target)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if "://" in text and not isinstance(target, os.PathLike):
            entity: dict[str, Any] = {"id": _digest_id("url", text), "kind": "url", "path": text}
        else:
            # abspath normalises with a Python loop; already-clean absolute paths skip it
            clean = text[:1] == "/" and "/." not in text and "//" not in text and text[-1:] != "/"
            abspath = text if clean else os.path.abspath(text)
            try:
                st = os.stat(abspath)
            except OSError:
                if not isinstance(target, os.PathLike) and _looks_like_id(text):
                    return {"id": text, "kind": "ref"}
                entity = {"id": file_entity_id(abspath, -1, -1), "kind": "file", "path": abspath}
                entity["hash"] = _MISSING
            else:
                if statmod.S_ISDIR(st.st_mode):
                    return self._collection(None, abspath, role, hash_mode, name)
                size, mtime_ns = st.st_size, st.st_mtime_ns
                entity_id = file_entity_id(abspath, size, mtime_ns)
                entity = {"id": entity_id, "kind": "file", "path": abspath, "size": size, "mtime_ns": mtime_ns}
                entity["hash"] = self._hash(abspath, st, role, hash_mode, entity_id)
                if _is_fits(abspath):
                    from .hashing import fits_checksums

                    sums = fits_checksums(abspath)
                    if sums:
                        entity["fits"] = sums
        if name:
            entity["name"] = name
        return entity

    def _hash(
        self, abspath: str, st: os.stat_result, role: str | None, hash_mode: str | None, entity_id: str
    ) -> dict[str, Any]:
        if hash_mode is None and self._stat_only:
            return _STAT  # the common bulk case, decided once per activity
        policy = self.policy
        mode = hash_mode or policy.mode_for(role, st.st_size)
        if mode == "stat":
            return _STAT
        from .hashing import hash_file

        if mode == "full":
            try:
                return {
                    "alg": policy.algorithm,
                    "digest": hash_file(abspath, policy.algorithm, st=st),
                    "status": "complete",
                }
            except OSError as exc:
                return {"status": "failed", "error": str(exc)}
        if mode != "deferred":
            raise ValueError(f"hash mode must be full, deferred or stat, not {mode!r}")
        _submit_deferred(self._writer.path if self._writer else "", entity_id, abspath, policy.algorithm, st)
        return {"alg": policy.algorithm, "status": "deferred"}

    def _collection(
        self,
        files: list[str] | None,
        root: str | None,
        role: str | None,
        hash_mode: str | None,
        name: str | None,
    ) -> dict[str, Any]:
        """A directory (walked) or a file set as one collection entity with a manifest."""
        if files is None:
            assert root is not None
            files = sorted(_walk_files(root))
        elif root is None:
            root = os.path.commonpath(files) if files else os.getcwd()
            if len(files) == 1 or (files and os.path.isfile(root)):
                root = os.path.dirname(root)
        manifest: list[list[Any]] = []
        total = 0
        statuses: set[str] = set()
        listing = _sha256()
        for path in files:
            try:
                st = os.stat(path)
            except OSError:
                continue
            member_id = file_entity_id(path, st.st_size, st.st_mtime_ns)
            hashed = self._hash(path, st, role, hash_mode, member_id)
            statuses.add(hashed["status"])
            rel = os.path.relpath(path, root)
            manifest.append([rel, st.st_size, st.st_mtime_ns, hashed.get("digest")])
            total += st.st_size
            listing.update(
                f"{hashed.get('digest') or '-'}\0{st.st_size}\0{st.st_mtime_ns}\0{rel}\n".encode(
                    "utf-8", "surrogateescape"
                )
            )
        manifest_digest = listing.hexdigest()
        status = "complete" if statuses == {"complete"} else ("stat" if statuses <= {"stat"} else "partial")
        entity: dict[str, Any] = {
            "id": _digest_id("collection", f"{root}\0{manifest_digest}"),
            "kind": "collection",
            "path": root,
            "count": len(manifest),
            "size": total,
            "manifest_sha256": manifest_digest,
            "manifest": manifest,
            "hash": {"status": status},
        }
        if name:
            entity["name"] = name
        return entity

    # ------------------------------------------------------------ context manager

    def __enter__(self) -> RecordedActivity:
        return self.start()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.finish(exc)

    async def __aenter__(self) -> RecordedActivity:
        return self.start()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.finish(exc)

    def __repr__(self) -> str:
        return f"<RecordedActivity {self.name!r} {self.id} {self.status}>"


class ActivityScope:
    """What :func:`activity` returns: a context manager (sync or async) and a decorator.

    As a decorator it records one activity per call of the function (coroutine
    functions too); inside, :func:`current_activity` gives the activity.
    """

    def __init__(self, name: str | None, options: dict[str, Any]) -> None:
        self.name = name
        self.options = options
        self._active: list[RecordedActivity] = []

    def _new(self, fallback_name: str = "activity") -> RecordedActivity:
        return RecordedActivity(self.name or fallback_name, **self.options)

    def __enter__(self) -> RecordedActivity:
        act = self._new()
        self._active.append(act)
        return act.start()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._active.pop().finish(exc)

    async def __aenter__(self) -> RecordedActivity:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, func: F) -> F:
        import functools
        import inspect

        name = str(self.name or getattr(func, "__qualname__", "activity"))
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with RecordedActivity(name, **self.options):
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with RecordedActivity(name, **self.options):
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]


def activity(
    name: str | Callable[..., Any] | None = None,
    *,
    description: ActivityDescription | str | None = None,
    parameters: dict[str, Any] | None = None,
    spool: str | os.PathLike[str] | None = None,
    comment: str | None = None,
    hash: HashPolicy | str | None = None,
    strict_roles: bool = True,
    environment: bool = True,
    git: bool | None = None,
) -> Any:
    """Record an activity: ``with activity("name") as act:``, ``@activity("name")`` or ``@activity``.

    ``description``: an :class:`~provarchive.model.ActivityDescription` (its usage and
    generation roles are then checked, raising :class:`ValueError` for an unknown role
    when ``strict_roles``), or the id of one stored elsewhere. ``parameters``: recorded
    as ProvDM Parameters. ``spool``: the JSON-Lines file to append to (default
    ``$PROVARCHIVE_SPOOL``, else the enclosing activity's, else a new file under
    ``<data_dir>/spool/``). ``hash``: a :class:`~provarchive.capture.hashing.HashPolicy`
    or ``"full"``/``"deferred"``/``"stat"`` (default ``$PROVARCHIVE_HASH`` or ``full``,
    deferring files over 256 MiB). ``environment``: record the software environment.
    ``git``: record the code's git state (default on unless ``PROVARCHIVE_GIT=0``).
    """
    options = {
        "description": description,
        "parameters": parameters,
        "spool": spool,
        "comment": comment,
        "hash": hash,
        "strict_roles": strict_roles,
        "environment": environment,
        "git": git,
    }
    if callable(name):  # bare @activity
        return ActivityScope(None, options)(name)
    return ActivityScope(name, options)


# ----------------------------------------------------------------------- helpers


#: Hash records without a digest (shared: events are encoded, never mutated).
_MISSING = {"status": "missing"}
_STAT = {"status": "stat"}

_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".FITS", ".FIT", ".FTS")


def _looks_like_id(text: str) -> bool:
    """``prefix:local`` with a prefix that is a plain name (not a path or drive)."""
    prefix, sep, local = text.partition(":")
    return bool(sep and prefix and local and len(prefix) > 1 and "/" not in prefix and "\\" not in prefix)


def _is_fits(path: str) -> bool:
    return path.endswith(_FITS_SUFFIXES)


def _walk_files(root: str) -> Iterable[str]:
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as listing:
                for entry in listing:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file():
                        yield entry.path
        except OSError:
            continue


def _json_ready(value: Any) -> Any:
    """Parameter values as JSON-encodable data (paths, numpy scalars, quantities → str)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        try:
            return _json_ready(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def _description_record(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"class": type(record).__name__, "id": record.id}
    for slot in record.IVOA:
        value = getattr(record, slot, None)
        if value not in (None, [], ""):
            out[slot] = _json_ready(value)
    return out


# ------------------------------------------------------------- deferred hashing

_DEFERRED: dict[int, Any] = {}


def _deferred_pool() -> Any:
    """One small thread pool per process for deferred hashes (created on first use).

    The pool's workers are joined at interpreter exit (``concurrent.futures`` registers
    that), so deferred hashes complete after the job's own work is done.
    """
    pool = _DEFERRED.get(os.getpid())
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _DEFERRED.clear()
        pool = _DEFERRED[os.getpid()] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="provarchive-hash")
    return pool


def _submit_deferred(spool_path: str, entity_id: str, path: str, algorithm: str, st: os.stat_result) -> None:
    def work() -> None:
        from .hashing import hash_file

        event: dict[str, Any] = {"e": "hash", "ent": entity_id, "alg": algorithm}
        try:
            event["digest"] = hash_file(path, algorithm, st=st)
            after = os.stat(path)
            changed = (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns)
            event["status"] = "changed" if changed else "complete"
        except OSError as exc:
            event["status"], event["error"] = "failed", str(exc)
        with SpoolWriter(spool_path) as writer:
            writer.write(event)

    _deferred_pool().submit(work)


def wait_for_deferred_hashes() -> None:
    """Block until every deferred hash of this process is written (tests, end of a wrapper)."""
    pool = _DEFERRED.pop(os.getpid(), None)
    if pool is not None:
        pool.shutdown(wait=True)
