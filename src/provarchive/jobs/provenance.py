"""The provenance document of a job, built for every finished job (COMPLETED, ERROR, ABORTED).

What it holds (IVOA ProvDM on W3C PROV):

* the job as an Activity (start, end, phase, error) following the definition's
  ActivityDescription, with Parameter/ParameterDescription, Usage/Generation
  descriptions and ConfigFile/ConfigFileDescription records;
* used entities with their SHA-256 and size; an input taken from the archive is the
  existing archive entity itself, so lineage continues through it;
* generated entities (results) with hash, size, MIME type and location;
* stdout and stderr as generated entities (role ``stdout``/``stderr``);
* the owner (role ``owner``) and the definition's contact (role ``contact``) as agents;
* the software environment (``capture.environment``);
* the job's own inner steps, recorded by the capture API into ``PROVARCHIVE_SPOOL``
  with ``PROVARCHIVE_PARENT_ACTIVITY`` = the job activity, merged in.

The document is written to ``provenance.json`` in the job directory and ingested into
the archive; the result entities are linked back to the job's results by id.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Document
from .executors.base import Outcome
from .models import Job, JobResult, utc_ms

if TYPE_CHECKING:  # pragma: no cover
    from .definitions import JobDefinition
    from .service import JobService

__all__ = [
    "build_job_provenance",
    "write_job_provenance",
    "ingest_job_provenance",
    "record_job_provenance",
    "definition_id",
    "PROVENANCE_FILE",
]

log = logging.getLogger("provarchive.jobs.provenance")
PROVENANCE_FILE = "provenance.json"


def definition_id(definition: JobDefinition) -> str:
    """The ActivityDescription id of a definition version (same for every job of it)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{definition.name}-v{definition.version}")
    return f"pa:jobdef-{safe}"


def _add_description(doc: Document, definition: JobDefinition) -> str:
    ad_id = definition_id(definition)
    ad = doc.activity_description(
        ad_id,
        name=definition.name,
        version=definition.version,
        description=definition.description,
        docurl=definition.doc_url,
        type=definition.type,
        subtype=definition.subtype,
    )
    for p in definition.parameters:
        extra = {k: getattr(p, k) for k in ("unit", "ucd", "utype", "description") if getattr(p, k)}
        doc.parameter_description(
            f"{ad_id}_param_{p.name}",
            activity_description=ad.id,
            name=p.name,
            value_type=p.value_type,
            min=None if p.min is None else f"{p.min:g}",
            max=None if p.max is None else f"{p.max:g}",
            default=p.default,
            options=list(p.options),
            **extra,
        )
    for i in definition.inputs:
        if i.config:
            doc.config_file_description(
                f"{ad_id}_config_{i.role}",
                activity_description=ad.id,
                name=i.role,
                content_type=i.content_type,
                description=i.description,
            )
            continue
        doc.usage_description(
            f"{ad_id}_usage_{i.role}",
            activity_description=ad.id,
            role=i.role,
            multiplicity=i.multiplicity,
            description=i.description,
        )
    for o in definition.outputs:
        doc.generation_description(
            f"{ad_id}_generation_{o.role}",
            activity_description=ad.id,
            role=o.role,
            multiplicity=o.multiplicity,
            description=o.description,
        )
    return ad_id


def _file_attributes(sha256: str | None, size: int | None, content_type: str | None) -> list[tuple[str, Any]]:
    attributes: list[tuple[str, Any]] = []
    if sha256:
        attributes.append(("pa:sha256", sha256))
    if size is not None:
        attributes.append(("pa:size", int(size)))
    if content_type:
        attributes.append(("pa:contentType", content_type))
    return attributes


def build_job_provenance(
    service: JobService, job: Job, outcome: Outcome | None = None, *, base_url: str | None = None
) -> Document:
    """The provenance document of ``job`` as it stands (results included)."""
    from .launch import job_activity_id

    definition = service.get_definition(job.jobdef_name, job.jobdef_version)
    doc = Document()
    doc.add_namespace("pa", "urn:provarchive:")
    doc.use_voprov(service.config.voprov_namespace or doc.namespaces.get("voprov") or _voprov())
    ad_id = _add_description(doc, definition)
    attributes: list[tuple[str, Any]] = [("pa:uwsJobId", job.id), ("pa:uwsPhase", job.phase.value)]
    if job.run_id:
        attributes.append(("pa:uwsRunId", job.run_id))
    if job.error_message:
        attributes.append(("pa:errorSummary", job.error_message))
    if outcome is not None and outcome.exit_code is not None:
        attributes.append(("pa:exitCode", int(outcome.exit_code)))
    activity = doc.activity(
        job_activity_id(job),
        job.start_time or job.creation_time,
        job.end_time or utc_ms(),
        description=ad_id,
        name=f"{definition.name} job {job.id}",
        attributes=attributes,
    )
    # Parameters, each linked to its ParameterDescription.
    roles = {i.role for i in job.inputs}
    for parameter in job.parameters:
        if parameter.name in roles:
            continue
        described = definition.parameter(parameter.name)
        activity.parameter(
            parameter.name,
            parameter.value,
            description=f"{ad_id}_param_{described.name}" if described else None,
        )
    # Inputs: configuration files as ConfigFile, data as used entities.
    for item in job.inputs:
        spec = definition.input(item.role)
        if spec is not None and spec.config:
            activity.config_file(
                item.role,
                item.origin if item.source == "url" else None,
                id=f"pa:job-{job.id}-config-{item.role}-{item.position}",
                description=f"{ad_id}_config_{item.role}",
                attributes=_file_attributes(item.sha256, item.size, item.content_type),
            )
            continue
        if item.source == "archive" and item.origin:
            entity_id = item.origin  # the archive's own entity: lineage continues through it
            _add_archive_entity(service, doc, entity_id)
        else:
            entity_id = f"pa:job-{job.id}-in-{item.role}-{item.position}"
            doc.entity(
                entity_id,
                name=item.filename,
                location=item.origin if item.source == "url" else None,
                attributes=_file_attributes(item.sha256, item.size, item.content_type),
            )
        activity.used(entity_id, role=item.role, usage_description=f"{ad_id}_usage_{item.role}")
    # Results and logs as generated entities.
    for result in job.results:
        entity_id = result.entity_id or _result_entity_id(job, result)
        result.entity_id = entity_id
        location = f"{base_url.rstrip('/')}/{job.jobdef_name}/jobs/{job.id}/results/{result.id}" if base_url else None
        doc.entity(
            entity_id,
            name=Path(result.path).name,
            location=location,
            generated_at_time=job.end_time,
            attributes=_file_attributes(result.sha256, result.size, result.mime_type),
        )
        in_definition = any(o.role == result.role for o in definition.outputs)
        activity.generated(
            entity_id,
            role=result.role,
            time=job.end_time,
            generation_description=f"{ad_id}_generation_{result.role}" if in_definition else None,
        )
    # Agents: the owner and the definition's contact.
    owner_id = f"pa:user-{job.owner}" if job.owner else "pa:user-anonymous"
    doc.agent(owner_id, name=job.owner or "anonymous", type="Person")
    activity.associated_with(owner_id, role="owner", plan=ad_id)
    if definition.contact_name or definition.contact_email:
        contact_id = "pa:contact-" + "".join(
            c if c.isalnum() else "_" for c in (definition.contact_email or definition.contact_name or "")
        )
        doc.agent(contact_id, name=definition.contact_name, email=definition.contact_email)
        activity.associated_with(contact_id, role="contact")
    _add_environment(doc, activity.id)
    _merge_inner_steps(doc, service.job_dir(job) / "capture.spool")
    return doc


def _add_archive_entity(service: JobService, doc: Document, entity_id: str) -> None:
    from ..model import Element

    found = None
    try:
        found = service.archive.get(entity_id) if service.archive is not None else None
    except Exception:  # the used relation still names the entity
        log.warning("archive entity %s could not be read for the job's provenance", entity_id)
    record = found.get(entity_id) if found is not None else None
    if isinstance(record, Element) and doc.get(entity_id) is None:
        prefix = entity_id.partition(":")[0]
        if prefix in found.namespaces:  # type: ignore[union-attr]
            doc.add_namespace(prefix, found.namespaces[prefix])  # type: ignore[union-attr]
        doc.add(record)


def _voprov() -> str:
    from ..model import VOPROV

    return VOPROV


def _result_entity_id(job: Job, result: JobResult) -> str:
    return f"pa:job-{job.id}-out-{result.id}"


def _add_environment(doc: Document, activity_id: str) -> None:
    try:
        from ..capture.environment import add_environment
    except ImportError:
        log.warning("capture.environment is not available; the job's software environment is not recorded")
        return
    add_environment(doc, activity_id)


def _merge_inner_steps(doc: Document, spool: Path) -> None:
    if not spool.is_file() or spool.stat().st_size == 0:
        return
    try:
        from ..capture.spool import compile_spool
    except ImportError:
        log.warning("capture.spool is not available; the job's inner steps are not merged")
        return
    doc.merge(compile_spool(str(spool)), strict=False)


def write_job_provenance(service: JobService, job: Job, outcome: Outcome | None) -> Document:
    """Build the job's provenance, write ``provenance.json`` and link results to their entities."""
    from ..formats import dumps

    doc = build_job_provenance(service, job, outcome)
    target = service.job_dir(job) / PROVENANCE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(dumps(doc, "PROV-JSON"))
    temporary.replace(target)
    if job.results:
        service.store.set_results(job.id, job.results)  # now with their entity ids
    return doc


def ingest_job_provenance(service: JobService, job: Job, doc: Document) -> str:
    """Put the job's provenance into the archive; the job's activity id."""
    from .launch import job_activity_id

    if service.archive is not None:
        service.archive.ingest(doc)
    return job_activity_id(job)


def record_job_provenance(service: JobService, job: Job, outcome: Outcome | None) -> str:
    """Write and ingest the job's provenance; its activity id."""
    return ingest_job_provenance(service, job, write_job_provenance(service, job, outcome))
