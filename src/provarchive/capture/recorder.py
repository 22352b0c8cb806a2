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
import time
from contextvars import ContextVar
from stat import S_ISDIR

from .entities import (
    FITS_SUFFIXES,
    MISSING,
    STAT,
    EntityBuilder,
    digest_id,
    file_entity_id,
    sha256,
    wait_for_deferred_hashes,
)
from .events import SPOOL_VERSION, SpoolWriter, file_line_parts, json_ready, json_string
from .roles import DescriptionRoles

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
    "wait_for_deferred_hashes",
    "SPOOL_ENV",
    "PARENT_ENV",
]

#: used_many/generated_many write their plain-file events in one write(2) per this many (~80 KiB).
BATCH_EVENTS = 256

SPOOL_ENV = "PROVARCHIVE_SPOOL"
PARENT_ENV = "PROVARCHIVE_PARENT_ACTIVITY"

#: The activity being recorded in the current thread / asyncio task.
_CURRENT: ContextVar[RecordedActivity | None] = ContextVar("provarchive_current_activity", default=None)

#: Spool files that already hold this process's environment (pid, path): written once.
_ENVIRONMENT_WRITTEN: set[tuple[int, str]] = set()


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
        self._entities = EntityBuilder(hash, lambda: self.spool_path)
        self._roles = DescriptionRoles(name, strict_roles)
        self._environment = environment
        self._git = git
        self._explicit_spool = os.fspath(spool) if spool is not None else None
        self._explicit_parent = parent
        self._writer: SpoolWriter | None = None
        self._owns_writer = False
        self._token: Token[RecordedActivity | None] | None = None
        self._pending_outputs: dict[str, tuple[str | None, str | None]] = {}
        #: file_line_parts per (event kind, role, role description), built on first use
        self._file_line_parts: dict[tuple[str, str | None, str | None], tuple[str, str]] = {}
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
        description_id, records = self._roles.describe(self._description)
        if records:
            self._emit({"e": "description", "records": records})
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
        for warning in self._roles.missing():
            self._emit({"e": "attr", "act": self.id, "name": "pa:warning", "value": warning})
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

    # -------------------------------------------------------------------- inputs

    @property
    def policy(self) -> HashPolicy:
        """The hash policy of this activity."""
        return self._entities.policy

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
        usage_desc = self._roles.check("usage", role) if self._roles.declares_roles else None
        if hash is None and name is None and self._entities.stat_only:
            entity_id = self._record_stat_only_file("used", target, role, "usage_desc", usage_desc)
            if entity_id is not None:
                return entity_id
        return self._used_entity(target, role, hash, name, usage_desc)

    def _used_entity(
        self, target: str | os.PathLike[str], role: str | None, hash: str | None, name: str | None, desc: str | None
    ) -> str:
        entity = self._entities.entity(target, role, hash, name)
        self._emit_io("used", entity, role, "usage_desc", desc)
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
        generation_desc = self._roles.check("generation", role) if self._roles.declares_roles else None
        if hash is None and name is None and self._entities.stat_only:
            entity_id = self._record_stat_only_file("generated", target, role, "generation_desc", generation_desc)
            if entity_id is not None:
                return entity_id
        return self._generated_entity(target, role, hash, name, generation_desc)

    def _generated_entity(
        self, target: str | os.PathLike[str], role: str | None, hash: str | None, name: str | None, desc: str | None
    ) -> str | None:
        entity = self._entities.entity(target, role, hash, name)
        if entity.get("hash") == MISSING:  # declared before it is written: recorded at the end
            self._pending_outputs[entity["path"]] = (role, hash)
            return None
        self._emit_generated(entity, role, desc)
        return str(entity["id"])

    def used_many(self, targets: Iterable[str | os.PathLike[str]], role: str | None = None) -> list[str]:
        """Record several inputs with one role, as :meth:`used` does for each; their ids.

        Plain files recorded with stat only (the bulk case) reach the spool in one
        ``write(2)`` per :data:`BATCH_EVENTS` events instead of one each, in call order.
        They are written before the call returns, so everything recorded by the time the
        pipeline moves on survives a kill, as with :meth:`used`; a kill during the call
        may lose some of that call's events.
        """
        usage_desc = self._roles.check("usage", role) if self._roles.declares_roles else None
        ids = self._record_many("used", targets, role, "usage_desc", usage_desc)
        return ids  # type: ignore[return-value]  # an input always has an id, never None

    def generated_many(self, targets: Iterable[str | os.PathLike[str]], role: str | None = None) -> list[str | None]:
        """Record several outputs with one role, as :meth:`generated` does for each; their ids.

        Written as by :meth:`used_many`. A path that does not exist yet is recorded when
        the activity ends, and its id in the returned list is ``None``.
        """
        generation_desc = self._roles.check("generation", role) if self._roles.declares_roles else None
        return self._record_many("generated", targets, role, "generation_desc", generation_desc)

    def _record_many(
        self,
        kind: str,
        targets: Iterable[str | os.PathLike[str]],
        role: str | None,
        desc_key: str,
        desc: str | None,
    ) -> list[str | None]:
        generic = self._used_entity if kind == "used" else self._generated_entity
        batch: list[bytes] = []
        ids: list[str | None] = []
        for target in targets:
            entity_id = None
            if self._entities.stat_only:
                entity_id = self._record_stat_only_file(kind, target, role, desc_key, desc, batch)
            if entity_id is None:
                self._write_batch(batch)  # the generic event goes after those before it
                entity_id = generic(target, role, None, None, desc)
            elif len(batch) >= BATCH_EVENTS:
                self._write_batch(batch)
            ids.append(entity_id)
        self._write_batch(batch)
        return ids

    def _write_batch(self, batch: list[bytes]) -> None:
        if batch:
            assert self._writer is not None  # a line in the batch means the writer was there
            self._writer.write_line(b"".join(batch))
            batch.clear()

    def _emit_generated(self, entity: dict[str, Any], role: str | None, generation_desc: str | None) -> None:
        self._emit_io("generated", entity, role, "generation_desc", generation_desc)

    def _emit_io(self, kind: str, entity: dict[str, Any], role: str | None, desc_key: str, desc: str | None) -> None:
        """Append a used/generated event."""
        if self._writer is None:
            raise RuntimeError(f"activity {self.name!r} is not started: use it in a with statement")
        event: dict[str, Any] = {"e": kind, "act": self.id, "ent": entity, "t": time.time()}
        if role is not None:
            event["role"] = role
        if desc:
            event[desc_key] = desc
        self._writer.write(event)

    def _record_stat_only_file(
        self,
        kind: str,
        target: str | os.PathLike[str],
        role: str | None,
        desc_key: str,
        desc: str | None,
        batch: list[bytes] | None = None,
    ) -> str | None:
        """Record an existing plain file under a stat-only policy; its entity id, or ``None``.

        This is the whole per-file cost of recording thousands of files: one ``stat``,
        the entity id, one format call and one ``write(2)``, with no entity record and no
        event dictionary. Its helpers are inlined because each Python call here costs
        ~2 % of the 1000 + 1000 file benchmark. The line is byte for byte what
        :meth:`_emit_io` writes for ``EntityBuilder.entity``'s record (checked by
        tests/capture/test_stat_only_fast_path.py). ``None`` sends everything this does
        not handle to the generic path: URLs and entity ids, missing paths, directories,
        FITS files (their checksums are read), undecodable names. With ``batch`` the
        line is appended to it instead of written (see :meth:`used_many`).
        """
        if type(target) is str:
            if "://" in target:
                return None
            path = target
        else:
            path = os.fspath(target)  # a PathLike is never a URL or an entity id
            if type(path) is not str:
                return None
        # entities.is_clean_absolute, inlined
        if path[:1] != "/" or "/." in path or "//" in path or path[-1:] == "/":
            path = os.path.abspath(path)
        try:
            st = os.stat(path)
        except OSError:
            return None
        if S_ISDIR(st.st_mode) or path.endswith(FITS_SUFFIXES):
            return None
        writer = self._writer
        if writer is None:
            raise RuntimeError(f"activity {self.name!r} is not started: use it in a with statement")
        size, mtime_ns = st.st_size, st.st_mtime_ns
        # file_entity_id, inlined (tests/capture/test_stat_only_fast_path.py checks they agree)
        id_text = f"{path}\0{size}\0{mtime_ns}".encode("utf-8", "surrogateescape")
        entity_id = "pa:file-" + sha256(id_text).hexdigest()[:40]
        parts = self._file_line_parts.get((kind, role, desc))
        if parts is None:
            extra = {desc_key: desc} if desc else {}
            parts = self._file_line_parts[kind, role, desc] = file_line_parts(kind, self.id, role, extra)
        # the time as seconds with 6 decimals, cut from the integer clock: repr(time.time())
        # costs 8 % of this method, and the document keeps microseconds either way
        now = str(time.time_ns()).zfill(10)
        text = (
            f'{parts[0]}"{entity_id}","kind":"file","path":{json_string(path)},"size":{size:d},'
            f'"mtime_ns":{mtime_ns:d},"hash":{{"status":"stat"}}}},"t":{now[:-9]}.{now[-9:-3]}{parts[1]}'
        )
        try:
            line = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (an undecodable name): encode() escapes them
            if batch:
                self._write_batch(batch)
            entity = {"id": entity_id, "kind": "file", "path": path, "size": size, "mtime_ns": mtime_ns, "hash": STAT}
            self._emit_io(kind, entity, role, desc_key, desc)
            return entity_id
        if batch is None:
            writer.write_line(line)
        else:
            batch.append(line)
        return entity_id

    def _resolve_pending_outputs(self) -> None:
        pending, self._pending_outputs = self._pending_outputs, {}
        for path, (role, hash_mode) in pending.items():
            desc = self._roles.generation_description(role)
            entity = self._entities.entity(path, role, hash_mode, None)
            if entity.get("hash") == MISSING:
                entity["hash"] = {"status": "missing"}
            self._emit_generated(entity, role, desc)

    def used_collection(
        self, paths: Iterable[str | os.PathLike[str]], role: str | None = None, *, name: str | None = None
    ) -> str:
        """Record a set of files used together as one Collection entity (with a manifest)."""
        usage_desc = self._roles.check("usage", role)
        entity = self._entities.collection([os.path.abspath(os.fspath(p)) for p in paths], None, role, None, name)
        self._emit_io("used", entity, role, "usage_desc", usage_desc)
        return str(entity["id"])

    def generated_collection(
        self, paths: Iterable[str | os.PathLike[str]], role: str | None = None, *, name: str | None = None
    ) -> str:
        """Record a set of output files as one Collection entity (with a manifest)."""
        generation_desc = self._roles.check("generation", role)
        entity = self._entities.collection([os.path.abspath(os.fspath(p)) for p in paths], None, role, None, name)
        self._emit_generated(entity, role, generation_desc)
        return str(entity["id"])

    def config_file(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Record a configuration file (a ProvDM ConfigFile configuring this activity)."""
        entity = self._entities.entity(path, "configuration", None, name)
        self._emit({"e": "config", "act": self.id, "ent": entity, "name": name or os.path.basename(os.fspath(path))})
        return str(entity["id"])

    def parameter(self, name: str, value: Any) -> None:
        """Record a parameter value (a ProvDM Parameter configuring this activity)."""
        from .environment import MASK, is_secret_name

        recorded = MASK if is_secret_name(name) else json_ready(value)
        event: dict[str, Any] = {"e": "param", "act": self.id, "name": str(name), "value": recorded}
        parameter_desc = self._roles.parameter_description(name)
        if parameter_desc:
            event["desc"] = parameter_desc
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
        agent = {"id": id or digest_id("agent", f"{type}\0{name}\0{email or ''}"), "name": name, "type": type}
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
        self._emit({"e": "attr", "act": self.id, "name": name, "value": json_ready(value)})

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
        generation_desc = self._roles.check("generation", role)
        algorithm = self.policy.algorithm

        def on_close(abspath: str, digest: str, st: os.stat_result) -> None:
            from .hashing import _default_cache

            _default_cache().put(st, algorithm, digest)
            entity = self._entities.file_record(abspath, st)
            entity["hash"] = {"alg": algorithm, "digest": digest, "status": "complete", "how": "while-written"}
            self._emit_generated(entity, role, generation_desc)

        raw = HashingWriter(path, algorithm=algorithm, on_close=on_close)
        buffered = io.BufferedWriter(raw, buffer_size=buffering)
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(buffered, encoding=encoding or "utf-8")

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
