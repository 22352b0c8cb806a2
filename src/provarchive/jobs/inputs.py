"""Job inputs: uploaded files, files fetched from a URL, and archive entities.

Every input ends up as a file in the job's ``inputs/<role>/`` directory, with a
sanitised name, its SHA-256 and size, and where it came from (kept for provenance:
an input taken from the archive is linked to the existing archive entity). Sizes and
download times are capped; names from clients never choose a path.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..capture.hashing import hash_file
from .definitions import InputDef, JobDefinition
from .errors import UsageError
from .models import JobInput, JobParameter

__all__ = [
    "Upload",
    "InputLimits",
    "safe_filename",
    "store_upload",
    "fetch_url",
    "fetch_archive_entity",
    "split_inputs",
    "gather_inputs",
    "check_inputs_complete",
    "input_parameters",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Upload:
    """A file a client sent in a multipart request, already spooled to ``path``."""

    filename: str
    path: str
    content_type: str | None = None


@dataclass(frozen=True)
class InputLimits:
    """Caps on inputs (from the service settings)."""

    max_bytes: int = 100 * 1024 * 1024
    url_timeout_s: float = 30.0


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name that cannot leave its directory: no separators, no dot-only names."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._")[:128]
    return base or fallback


def _target(directory: Path, role: str, position: int, filename: str) -> Path:
    folder = directory / role
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{position}_{filename}"


def _hash_file(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size, by the capture layer's one hashing routine."""
    digest = hash_file(str(path), cache=False)
    return digest.rpartition(":")[2], path.stat().st_size


def store_upload(directory: Path, spec: InputDef, position: int, upload: Upload, limits: InputLimits) -> JobInput:
    """Move an uploaded file into the job directory."""
    if "upload" not in spec.sources:
        raise UsageError(f"input {spec.role!r} cannot be uploaded; give it as {' or '.join(spec.sources)}")
    size = Path(upload.path).stat().st_size
    cap = min(limits.max_bytes, spec.max_bytes or limits.max_bytes)
    if size > cap:
        raise UsageError(f"input {spec.role!r}: upload of {size} bytes exceeds the limit of {cap} bytes")
    filename = safe_filename(upload.filename, spec.role)
    target = _target(directory, spec.role, position, filename)
    shutil.move(upload.path, target)
    digest, size = _hash_file(target)
    return JobInput(
        role=spec.role,
        position=position,
        filename=filename,
        path=str(target),
        source="upload",
        origin=upload.filename,
        sha256=digest,
        size=size,
        content_type=upload.content_type or spec.content_type,
    )


def fetch_url(directory: Path, spec: InputDef, position: int, value: str, limits: InputLimits) -> JobInput:
    """Download ``value`` (a URL, or an id put into the definition's URL template)."""
    import httpx

    url = spec.url_template.replace("$ID", value) if spec.url_template else value
    if urlparse(url).scheme not in ("http", "https"):
        raise UsageError(f"input {spec.role!r}: only http(s) URLs can be fetched, not {url!r}")
    cap = min(limits.max_bytes, spec.max_bytes or limits.max_bytes)
    filename = safe_filename(unquote(urlparse(url).path), spec.role)
    target = _target(directory, spec.role, position, filename)
    received = 0
    try:
        with httpx.stream("GET", url, timeout=limits.url_timeout_s, follow_redirects=True) as response:
            if response.status_code != 200:
                raise UsageError(f"input {spec.role!r}: {url} answered HTTP {response.status_code}")
            with open(target, "wb") as handle:
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > cap:
                        raise UsageError(f"input {spec.role!r}: {url} is larger than the limit of {cap} bytes")
                    handle.write(chunk)
            content_type = response.headers.get("content-type")
    except httpx.HTTPError as exc:
        target.unlink(missing_ok=True)
        raise UsageError(f"input {spec.role!r}: could not fetch {url}: {exc}") from None
    except UsageError:
        target.unlink(missing_ok=True)
        raise
    digest, size = _hash_file(target)
    return JobInput(
        role=spec.role,
        position=position,
        filename=filename,
        path=str(target),
        source="url",
        origin=url,
        sha256=digest,
        size=size,
        content_type=spec.content_type or content_type,
    )


def fetch_archive_entity(
    directory: Path,
    spec: InputDef,
    position: int,
    entity_id: str,
    get_entity: Callable[[str], Any] | None,
    limits: InputLimits,
) -> JobInput:
    """Copy the file of archive entity ``entity_id`` (its location must be a local file)."""
    if get_entity is None:
        raise UsageError(f"input {spec.role!r}: this service has no archive to take entity {entity_id!r} from")
    try:
        found = get_entity(entity_id)  # the archive answers with a small document around the record
    except KeyError:
        found = None
    entity = found.get(entity_id) if found is not None else None
    if entity is None:
        raise UsageError(f"input {spec.role!r}: no entity {entity_id!r} in the archive")
    location = getattr(entity, "location", None)
    if location and location.startswith("file://"):
        location = unquote(urlparse(location).path)
    if location and location.startswith(("http://", "https://")):
        found = fetch_url(directory, InputDef(role=spec.role, sources=("url",)), position, location, limits)
        return JobInput(**{**found.__dict__, "source": "archive", "origin": entity_id})
    if not location or not Path(location).is_file():
        raise UsageError(f"input {spec.role!r}: archive entity {entity_id!r} has no readable file location")
    filename = safe_filename(Path(location).name, spec.role)
    target = _target(directory, spec.role, position, filename)
    if Path(location).stat().st_size > limits.max_bytes:
        raise UsageError(f"input {spec.role!r}: entity {entity_id!r} is larger than the limit")
    shutil.copyfile(location, target)
    digest, size = _hash_file(target)
    return JobInput(
        role=spec.role,
        position=position,
        filename=filename,
        path=str(target),
        source="archive",
        origin=entity_id,
        sha256=digest,
        size=size,
        content_type=spec.content_type,
    )


# ------------------------------------------------------------- inputs of a request


def split_inputs(
    definition: JobDefinition, parameters: Sequence[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(parameter values, input values by role) from a request's name/value pairs."""
    values: dict[str, str] = {}
    inputs: dict[str, list[str]] = {}
    problems: list[str] = []
    for name, value in parameters:
        spec = definition.input(name)
        if spec is not None:
            inputs.setdefault(spec.role, []).append(value)
        elif name in values or (definition.parameter(name) and definition.parameter(name).name in values):  # type: ignore[union-attr]
            problems.append(f"parameter {name!r} is given more than once")
        else:
            values[name] = value
    if problems:
        raise UsageError("; ".join(problems))
    return values, inputs


def gather_inputs(
    definition: JobDefinition,
    directory: Path,
    values: Mapping[str, list[str]],
    uploads: Mapping[str, Upload],
    *,
    complete: bool,
    limits: InputLimits,
    get_entity: Callable[[str], Any] | None,
) -> list[JobInput]:
    """Store every input given by upload, URL or archive id; checks multiplicities."""
    referenced = {v[len("param:") :] for vs in values.values() for v in vs if v.startswith("param:")}
    unknown = [name for name in uploads if name not in referenced and definition.input(name) is None]
    if unknown:
        raise UsageError(f"uploaded file(s) {', '.join(unknown)} match no input of {definition.name!r}")
    gathered: list[JobInput] = []
    for spec in definition.inputs:
        given = list(values.get(spec.role, []))
        direct = [name for name in uploads if definition.input(name) is spec]
        count = 0
        for name in direct:
            gathered.append(store_upload(directory, spec, count, uploads[name], limits))
            count += 1
        for value in given:
            if value.startswith("param:"):
                upload = uploads.get(value[len("param:") :])
                if upload is None:
                    raise UsageError(f"input {spec.role!r}: no uploaded part named {value[6:]!r}")
                gathered.append(store_upload(directory, spec, count, upload, limits))
            elif value.startswith(("http://", "https://")) or (spec.url_template and "url" in spec.sources):
                if "url" not in spec.sources:
                    raise UsageError(f"input {spec.role!r} cannot be given as a URL")
                gathered.append(fetch_url(directory, spec, count, value, limits))
            elif "archive" in spec.sources:
                gathered.append(fetch_archive_entity(directory, spec, count, value, get_entity, limits))
            else:
                raise UsageError(f"input {spec.role!r}: {value!r} is not a URL; upload the file instead")
            count += 1
        if spec.max_count is not None and count > spec.max_count:
            raise UsageError(f"input {spec.role!r} takes at most {spec.max_count} file(s), got {count}")
    if complete:
        check_inputs_complete(definition, gathered)
    return gathered


def check_inputs_complete(definition: JobDefinition, inputs: Sequence[JobInput]) -> None:
    """UsageError naming the required inputs that are missing."""
    missing = [s.role for s in definition.inputs if sum(i.role == s.role for i in inputs) < s.min_count]
    if missing:
        raise UsageError(f"input(s) {', '.join(missing)} required by {definition.name!r} are missing")


def input_parameters(inputs: Sequence[JobInput]) -> list[JobParameter]:
    """Inputs shown as UWS parameters: by reference (URL, uploaded part) or the entity id."""
    shown = []
    for item in inputs:
        value = item.origin or item.filename
        if item.source == "upload":
            value = f"param:{item.role}" if item.position == 0 else f"param:{item.role}_{item.position}"
        shown.append(JobParameter(item.role, value, by_reference=item.source != "archive", is_post=True))
    return shown
