"""Example documents: one that uses every class, and CTA-like pipelines of any size.

Used by the demonstration (``make run``), the tests (round trips must keep every
class) and the benchmarks (realistic pipeline shapes).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .model import Document, Literal, QName

__all__ = ["kitchen_sink", "pipeline"]

EX = "http://example.org/cta#"


def kitchen_sink() -> Document:
    """A small document with at least one record of every class the model has."""
    doc = Document(namespaces={"ex": EX})
    doc.use_voprov()
    t0 = datetime(2024, 3, 1, 21, 0, 0, tzinfo=timezone.utc)

    # descriptions
    ad = doc.activity_description(
        "ex:calibrate-desc",
        name="calibrate",
        version="0.19.2",
        description="DL0 to DL1 calibration",
        docurl="https://example.org/docs/calibrate",
        type="Calibration",
        subtype="DL0->DL1",
    )
    dl0_desc = doc.dataset_description(
        "ex:dl0-desc", name="DL0 events", content_type="application/fits", type="DL0", docurl="https://example.org/dl0"
    )
    dl1_desc = doc.dataset_description("ex:dl1-desc", name="DL1 images", content_type="application/x-hdf5")
    gain_desc = doc.value_description(
        "ex:gain-desc", name="gain", value_type="float", unit="adu/pe", ucd="instr.calib", utype="ex:Gain"
    )
    doc.entity_description("ex:log-desc", name="log", description="free-text log", type="Log")
    ud = ad.usage("raw", multiplicity="1", type="Main", description="raw events", entity_descriptions=[dl0_desc])
    ad.usage("gain", multiplicity="0..1", type="Calibration", entity_descriptions=[gain_desc])
    gd = ad.generation("dl1", multiplicity="*", type="Main", entity_descriptions=[dl1_desc])
    pd = ad.parameter(
        "threshold",
        "float",
        description="image cleaning threshold",
        unit="pe",
        ucd="phot.count",
        min="0",
        max="100",
        default="5",
    )
    md = ad.parameter("method", "char", options=["tailcuts", "mars"], default="tailcuts")
    cd = ad.config_file("config", "application/yaml", description="tool configuration")

    # agents
    alice = doc.agent(
        "ex:alice",
        name="Alice Astronomer",
        type="Person",
        email="alice@example.org",
        affiliation="CTAO",
        phone="+49 0000",
        address="Bologna",
        url="https://example.org/~alice",
        comment="shift leader",
    )
    ctao = doc.agent("ex:ctao", name="CTAO", type="Organization")
    sw = doc.agent("ex:ctapipe", name="ctapipe 0.19.2", type="SoftwareAgent")
    alice.acted_on_behalf_of(ctao)

    # entities
    raw = doc.dataset_entity(
        "ex:run042.dl0.fits",
        name="run 42 raw",
        location="file:///data/dl0/run042.fits.fz",
        generated_at_time=t0,
        description=dl0_desc,
        comment="night of 2024-03-01",
        attributes=[
            ("ex:sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
            ("ex:size", 1234567),
        ],
    )
    gain = doc.value_entity("ex:gain-2024-03", name="gain", value="0.97", description=gain_desc)
    raw.attributed_to(ctao, role="Provider")

    act = doc.activity(
        "ex:calibrate-run042",
        t0 + timedelta(hours=2),
        t0 + timedelta(hours=2, minutes=5),
        name="calibrate run 42",
        comment="nominal",
        description=ad,
        attributes=[("ex:exitCode", 0), ("ex:host", "node07")],
    )
    act.used(raw, role="raw", time=t0 + timedelta(hours=2, seconds=1), usage_description=ud)
    act.used(gain, role="gain")
    act.parameter("threshold", 6.5, description=pd)
    act.parameter("method", "tailcuts", description=md)
    act.config_file("config", "file:///etc/ctapipe/calib.yaml", description=cd, comment="site config")
    act.associated_with(alice, role="Operator")
    act.associated_with(sw, role="Software")

    dl1 = doc.collection("ex:run042.dl1", name="run 42 DL1", location="file:///data/dl1/run042/")
    dl1.generated_by(act, role="dl1", generation_description=gd)
    dl1.derived_from(raw)
    for tel in (1, 2):
        member = doc.entity(f"ex:run042.dl1.tel{tel}", name=f"tel {tel}", description=dl1_desc)
        dl1.member(member)
    dl1.attributed_to(alice, role="Creator")

    # a second activity informed by the first, with plain W3C relations
    check = doc.activity("ex:check-run042", t0 + timedelta(hours=3), t0 + timedelta(hours=3, minutes=1))
    check.informed_by(act)
    check.used(dl1)
    report = doc.entity(
        "ex:report042",
        attributes=[
            ("prov:type", QName("ex:QualityReport")),
            ("ex:verdict", Literal("bon", lang="fr")),
            ("ex:score", 0.93),
            ("ex:ok", True),
            ("ex:homepage", Literal("https://example.org/q", datatype="xsd:anyURI")),
        ],
    )
    report.generated_by(check, time=t0 + timedelta(hours=3, seconds=30))

    from .model import (
        AlternateOf,
        MentionOf,
        SpecializationOf,
        WasEndedBy,
        WasInfluencedBy,
        WasInvalidatedBy,
        WasStartedBy,
    )

    doc.add(WasStartedBy("ex:check-run042", "ex:run042.dl1", None, t0 + timedelta(hours=3), id="ex:start1"))
    doc.add(WasEndedBy("ex:check-run042", None, "ex:alice", t0 + timedelta(hours=3, minutes=1)))
    old = doc.entity("ex:run042.dl1-v0")
    doc.add(WasInvalidatedBy("ex:run042.dl1-v0", "ex:calibrate-run042", t0 + timedelta(hours=2, minutes=5)))
    doc.add(SpecializationOf("ex:run042.dl1.tel1", "ex:run042.dl1"))
    doc.add(AlternateOf(old.id, "ex:run042.dl1"))
    doc.add(WasInfluencedBy("ex:report042", "ex:alice", attributes=[("prov:type", QName("ex:Review"))]))

    # a bundle holding the provenance of the provenance
    b = doc.bundle("ex:bundle1")
    bent = b.entity("ex:report042")
    b.agent("ex:ctapipe", type="SoftwareAgent")
    bent.attributed_to("ex:ctapipe")
    doc.add(MentionOf("ex:report042-mention", "ex:report042", "ex:bundle1"))
    doc.entity("ex:report042-mention")
    return doc


def pipeline(n_records: int, *, seed: int = 0) -> Document:
    """A CTA-like processing document with about ``n_records`` records.

    Each observation run: a raw file is calibrated (using a shared calibration file and
    parameters), reconstructed, selected into an event list; every 10 runs a science
    product (a map) is made from the event lists. Realistic attributes: names,
    locations, times, hashes, roles.
    """
    doc = Document(namespaces={"ex": EX})
    doc.use_voprov()
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    sw = doc.agent("ex:ctapipe", name="ctapipe", type="SoftwareAgent")
    calib_files = [
        doc.entity(f"ex:calib{c}.fits", name=f"calibration {c}", location=f"file:///calib/{c}.fits") for c in range(10)
    ]
    run = 0
    pending_lists: list[str] = []
    while doc.count() < n_records:
        t = t0 + timedelta(minutes=30 * run)
        raw = doc.entity(
            f"ex:run{run}.dl0",
            name=f"run {run} DL0",
            location=f"file:///data/dl0/run{run:06d}.fits.fz",
            attributes=[("ex:sha256", f"{run:064x}")],
        )
        prev = raw
        for step, level in (("calibrate", "dl1"), ("reconstruct", "dl2"), ("select", "dl3")):
            act = doc.activity(f"ex:{step}{run}", t, t + timedelta(minutes=5), name=step)
            act.used(prev, role="input", time=t + timedelta(seconds=1))
            if step == "calibrate":
                act.used(calib_files[run % len(calib_files)], role="calibration")
                act.parameter("threshold", 5 + run % 3)
            act.associated_with(sw, role="Software")
            out = doc.entity(
                f"ex:run{run}.{level}",
                name=f"run {run} {level.upper()}",
                location=f"file:///data/{level}/run{run:06d}.h5",
                generated_at_time=t + timedelta(minutes=5),
            )
            act.generated(out, role="output")
            out.derived_from(prev)
            prev = out
            t += timedelta(minutes=6)
        pending_lists.append(prev.id)
        if len(pending_lists) == 10:
            act = doc.activity(f"ex:map{run}", t, t + timedelta(minutes=2), name="make map")
            for ev in pending_lists:
                act.used(ev, role="events")
            product = doc.entity(f"ex:map{run}.fits", name=f"sky map {run}", location=f"file:///products/map{run}.fits")
            act.generated(product, role="map")
            pending_lists = []
        run += 1
    return doc
