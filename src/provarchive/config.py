"""Configuration: a TOML file, overridden by ``PROVARCHIVE_*`` environment variables.

One dataclass per concern, each field documented. The library takes these objects
explicitly; only :func:`load_settings` reads files and the environment.

Environment variables (they win over the file):

``PROVARCHIVE_CONFIG``      path of the TOML file (default ``./provarchive.toml`` if present)
``PROVARCHIVE_DATA_DIR``    data directory (default ``~/.local/share/provarchive``)
``PROVARCHIVE_ARCHIVE``     archive location: a SQLite path or a ``postgresql://`` URL
``PROVARCHIVE_VOPROV_NS``   URI written for the IVOA ``voprov`` namespace
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .model.ids import VOPROV

__all__ = ["Settings", "ArchiveSettings", "ServiceSettings", "load_settings", "default_data_dir"]


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "provarchive"


@dataclass
class ArchiveSettings:
    url: str = ""
    """Archive location: a SQLite file path, ``sqlite:///path`` or ``postgresql://...``.
    Empty means ``<data_dir>/archive.db``."""
    busy_timeout_s: float = 30.0
    """How long a SQLite writer waits for another writer before giving up."""
    lineage_max_depth: int = 1000
    """Cap on DEPTH=ALL lineage queries (they also stop on cycles)."""


@dataclass
class ServiceSettings:
    host: str = "127.0.0.1"
    """Address the HTTP service listens on."""
    port: int = 8000
    """Port the HTTP service listens on."""
    base_url: str = ""
    """Public base URL (for links in responses); empty means derived from requests."""
    auth: str = "anonymous"
    """``anonymous`` (personal install: everyone is the same user) or ``token``."""
    max_upload_bytes: int = 100 * 1024 * 1024
    """Largest accepted request body or upload."""
    wait_max_s: float = 60.0
    """Longest a UWS WAIT request blocks."""
    slots: int = 2
    """How many jobs run at once on the local executor."""
    max_active_jobs_per_user: int = 50
    """Per-user limit on jobs that are QUEUED or EXECUTING."""
    default_execution_duration_s: int = 3600
    """Execution duration given to jobs whose definition sets none."""
    default_destruction_days: float = 7.0
    """Jobs are destroyed this many days after creation unless changed."""
    jobdefs_dir: str = ""
    """Directory of job definitions loaded at start (YAML or OPUS VOTable)."""


@dataclass
class TapSettings:
    """Limits of the ProvTAP service (``[tap]``); see docs/vo-services.md."""

    maxrec_default: int = 10000
    """Rows returned when a query gives no MAXREC."""
    maxrec_hard: int = 100000
    """Most rows a query may return, whatever MAXREC asks."""
    sync_timeout_s: float = 30.0
    """Time limit of a sync query."""
    async_timeout_s: float = 600.0
    """Time limit (and execution duration) of an async query."""
    max_upload_rows: int = 100000
    """Largest uploaded table (TAP_UPLOAD), in rows."""
    max_upload_bytes: int = 20 * 1024 * 1024
    """Largest uploaded table, in bytes."""


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    """Where the default archive, job files and spools live."""
    voprov_namespace: str = VOPROV
    """URI written for the IVOA terms (``voprov`` prefix)."""
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    tap: TapSettings = field(default_factory=TapSettings)

    @property
    def archive_url(self) -> str:
        """The archive location with the default applied."""
        return self.archive.url or str(self.data_dir / "archive.db")


def _apply(target: Any, values: dict[str, Any], where: str) -> None:
    known = {f.name: f for f in fields(target)}
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"{where}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        current = getattr(target, key)
        if hasattr(current, "__dataclass_fields__"):
            if not isinstance(value, dict):
                raise ValueError(f"{where}: [{key}] must be a table")
            _apply(current, value, f"{where} [{key}]")
        elif isinstance(current, Path):
            setattr(target, key, Path(value).expanduser())
        else:
            expected = type(current)
            if expected is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ValueError(f"{where}: {key} must be {expected.__name__}, not {value!r}")
            setattr(target, key, value)


def load_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from the TOML file (if any) and the environment."""
    env = dict(os.environ if env is None else env)
    settings = Settings()
    config_path = path or env.get("PROVARCHIVE_CONFIG")
    if config_path is None and Path("provarchive.toml").is_file():
        config_path = "provarchive.toml"
    if config_path is not None:
        try:
            with open(config_path, "rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{config_path}: {exc}") from None
        _apply(settings, data, str(config_path))
    if env.get("PROVARCHIVE_DATA_DIR"):
        settings.data_dir = Path(env["PROVARCHIVE_DATA_DIR"]).expanduser()
    if env.get("PROVARCHIVE_ARCHIVE"):
        settings.archive.url = env["PROVARCHIVE_ARCHIVE"]
    if env.get("PROVARCHIVE_VOPROV_NS"):
        settings.voprov_namespace = env["PROVARCHIVE_VOPROV_NS"]
    return settings
