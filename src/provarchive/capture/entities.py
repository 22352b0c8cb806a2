"""Entity records for capture events: files, directories as collections, URLs, known ids.

The recorder (:mod:`.recorder`) turns every ``used``/``generated`` call into an event
holding one of these records. This module decides what a target is, gives file versions
their identifiers, applies the hash policy (hash now, on a background thread, or only
record size and mtime) and builds the manifest of a collection. Like the recorder it
imports nothing heavy: hashing and FITS reading are imported when first needed.
"""

from __future__ import annotations

import os
import stat as statmod

try:  # CPython's built-in SHA-256 avoids importing hashlib (OpenSSL) on the fast path
    from _sha256 import sha256
except ImportError:  # pragma: no cover
    from hashlib import sha256

from .events import SpoolWriter

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import: only for type checkers
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

    from .hashing import HashPolicy

__all__ = [
    "EntityBuilder",
    "file_entity_id",
    "digest_id",
    "looks_like_id",
    "walk_files",
    "walk_file_entries",
    "wait_for_deferred_hashes",
    "MISSING",
    "STAT",
    "FITS_SUFFIXES",
    "is_clean_absolute",
    "sha256",
]


def file_entity_id(path: str, size: int, mtime_ns: int) -> str:
    """The identifier of one version of a file: a digest of (absolute path, size, mtime).

    The same file version recorded by two activities (one generates it, the next uses
    it) gets the same id, which is what links the steps of a pipeline; a rewritten file
    is a new entity.
    """
    text = f"{path}\0{size}\0{mtime_ns}".encode("utf-8", "surrogateescape")
    return "pa:file-" + sha256(text).hexdigest()[:40]


def digest_id(kind: str, text: str) -> str:
    return f"pa:{kind}-" + sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]


#: Hash records without a digest (shared: events are encoded, never mutated).
MISSING = {"status": "missing"}
STAT = {"status": "stat"}

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".FITS", ".FIT", ".FTS")


def looks_like_id(text: str) -> bool:
    """``prefix:local`` with a prefix that is a plain name (not a path or drive)."""
    prefix, sep, local = text.partition(":")
    return bool(sep and prefix and local and len(prefix) > 1 and "/" not in prefix and "\\" not in prefix)


def is_clean_absolute(path: str) -> bool:
    """True when ``os.path.abspath`` would return ``path`` unchanged.

    ``abspath`` normalises with a Python loop; the already-clean absolute paths that
    pipelines pass skip it.
    """
    return path[:1] == "/" and "/." not in path and "//" not in path and path[-1:] != "/"


def is_fits(path: str) -> bool:
    return path.endswith(FITS_SUFFIXES)


def walk_file_entries(root: str) -> Iterator[os.DirEntry[str]]:
    """The directory entries of every regular file under ``root`` (symlinked directories not followed).

    Unreadable directories and entries that vanish while being looked at are passed
    over: a pipeline's output directory may change while it is being recorded.
    """
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as listing:
                for entry in listing:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file():
                            yield entry
                    except OSError:
                        continue
        except OSError:
            continue


def walk_files(root: str) -> Iterable[str]:
    """The path of every regular file under ``root`` (see :func:`walk_file_entries`)."""
    return (entry.path for entry in walk_file_entries(root))


class EntityBuilder:
    """Builds entity records for one activity under its hash policy.

    ``spool_path`` is asked for the spool when a deferred hash must later append its
    result there.
    """

    def __init__(self, hash_policy: HashPolicy | str | None, spool_path: Callable[[], str | None]) -> None:
        self._policy_arg = hash_policy
        self._policy: HashPolicy | None = None
        self.spool_path: Callable[[], str] = lambda: spool_path() or ""
        #: True when the policy hashes nothing (decided once, it is the bulk case: the
        #: recorder then writes plain files without asking for an entity record).
        self.stat_only = hash_policy == "stat"

    @property
    def policy(self) -> HashPolicy:
        if self._policy is None:
            from .hashing import HashPolicy

            self._policy = HashPolicy.coerce(self._policy_arg)
            self.stat_only = self._policy.mode == "stat" and not self._policy.by_role
        return self._policy

    def file_record(self, abspath: str, st: os.stat_result) -> dict[str, Any]:
        return {
            "id": file_entity_id(abspath, st.st_size, st.st_mtime_ns),
            "kind": "file",
            "path": abspath,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
        }

    def entity(
        self,
        target: str | os.PathLike[str],
        role: str | None,
        hash_mode: str | None,
        name: str | None,
    ) -> dict[str, Any]:
        """The entity record of a path (file or directory), URL or known entity id."""
        text = target if type(target) is str else os.fspath(target)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if "://" in text and not isinstance(target, os.PathLike):
            entity: dict[str, Any] = {"id": digest_id("url", text), "kind": "url", "path": text}
        else:
            abspath = text if is_clean_absolute(text) else os.path.abspath(text)
            try:
                st = os.stat(abspath)
            except OSError:
                if not isinstance(target, os.PathLike) and looks_like_id(text):
                    return {"id": text, "kind": "ref"}
                entity = {"id": file_entity_id(abspath, -1, -1), "kind": "file", "path": abspath}
                entity["hash"] = MISSING
            else:
                if statmod.S_ISDIR(st.st_mode):
                    return self.collection(None, abspath, role, hash_mode, name)
                size, mtime_ns = st.st_size, st.st_mtime_ns
                entity_id = file_entity_id(abspath, size, mtime_ns)
                entity = {"id": entity_id, "kind": "file", "path": abspath, "size": size, "mtime_ns": mtime_ns}
                entity["hash"] = self.hash(abspath, st, role, hash_mode, entity_id)
                if is_fits(abspath):
                    from .hashing import fits_checksums

                    sums = fits_checksums(abspath)
                    if sums:
                        entity["fits"] = sums
        if name:
            entity["name"] = name
        return entity

    def hash(
        self, abspath: str, st: os.stat_result, role: str | None, hash_mode: str | None, entity_id: str
    ) -> dict[str, Any]:
        if hash_mode is None and self.stat_only:
            return STAT  # the common bulk case, decided once per activity
        policy = self.policy
        mode = hash_mode or policy.mode_for(role, st.st_size)
        if mode == "stat":
            return STAT
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
        submit_deferred(self.spool_path(), entity_id, abspath, policy.algorithm, st)
        return {"alg": policy.algorithm, "status": "deferred"}

    def collection(
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
            files = sorted(walk_files(root))
        elif root is None:
            root = os.path.commonpath(files) if files else os.getcwd()
            if len(files) == 1 or (files and os.path.isfile(root)):
                root = os.path.dirname(root)
        manifest: list[list[Any]] = []
        total = 0
        statuses: set[str] = set()
        listing = sha256()
        for path in files:
            try:
                st = os.stat(path)
            except OSError:
                continue
            member_id = file_entity_id(path, st.st_size, st.st_mtime_ns)
            hashed = self.hash(path, st, role, hash_mode, member_id)
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
            "id": digest_id("collection", f"{root}\0{manifest_digest}"),
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


def submit_deferred(spool_path: str, entity_id: str, path: str, algorithm: str, st: os.stat_result) -> None:
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
