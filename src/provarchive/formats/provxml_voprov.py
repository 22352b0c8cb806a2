"""voprov's legacy XML layout, rewritten into PROV-XML before the ordinary reader runs.

voprov (≥ 2020) wrote a ``<voprov:document>`` of its own: IVOA classes as elements
(``<voprov:activityDescription voprov:id=...>``), ``voprov:id``/``voprov:ref`` instead
of ``prov:id``/``prov:ref``, ``prov:name`` for the name, and IVOA links as relation
elements (``isDescribedBy``, ``isRelatedTo``, ``wasConfiguredBy``, ``hadReference``).
This module turns such a tree, in place, into the W3C form that
:mod:`provarchive.model.w3c` reads (IVOA classes as typed ``prov:entity``, links as
``voprov:`` reference attributes), so no second mapping of the IVOA terms exists.
"""

from __future__ import annotations

from lxml import etree

from ..model.ids import KNOWN_VOPROV_URIS, PROV, XSI

__all__ = ["is_voprov_document", "rewrite"]

_XSI_TYPE = f"{{{XSI}}}type"
#: voprov element → IVOA class written as prov:type voprov:<Class>.
_IVOA_CLASSES = {
    name[0].lower() + name[1:]: name
    for name in (
        "ActivityDescription",
        "EntityDescription",
        "DatasetDescription",
        "ValueDescription",
        "UsageDescription",
        "GenerationDescription",
        "ParameterDescription",
        "ConfigFileDescription",
        "Parameter",
        "ConfigFile",
        "ValueEntity",
        "DatasetEntity",
    )
}
#: Description classes whose role is voprov:role (prov:role belongs to usage/generation).
_ROLE_DESCRIPTIONS = frozenset({"UsageDescription", "GenerationDescription"})
#: What an element described by a description points at it with.
_DESCRIPTION_LINK = {
    "Parameter": "parameterDescription",
    "ConfigFile": "configFileDescription",
    "activity": None,  # written as wasAssociatedWith(activity, -, description)
}


def is_voprov_document(root: etree._Element) -> bool:
    """True for a ``<voprov:document>`` root in any known voprov namespace."""
    tag = root.tag
    return isinstance(tag, str) and tag.endswith("}document") and tag[1:].split("}")[0] in KNOWN_VOPROV_URIS


class _Rewriter:
    def __init__(self, root: etree._Element) -> None:
        self.vp = root.tag[1:].split("}")[0]
        self.prefix = next((p for p, u in root.nsmap.items() if u == self.vp and p), "voprov")
        self.classes: dict[str, str] = {}  # id → IVOA class name, "entity", "activity" or "agent"

    def q(self, local: str) -> str:
        return f"{{{self.vp}}}{local}"

    def ref(self, el: etree._Element) -> str | None:
        return el.get(self.q("ref")) or el.get(f"{{{PROV}}}ref")

    def add_qname(self, parent: etree._Element, key: str, value: str, index: int | None = None) -> None:
        child = etree.Element(key, nsmap={"xsi": XSI, "xsd": "http://www.w3.org/2001/XMLSchema"})
        child.set(_XSI_TYPE, "xsd:QName")
        child.text = value
        if index is None:
            parent.append(child)
        else:
            parent.insert(index, child)

    def collect(self, container: etree._Element) -> None:
        for el in container:
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            ident = el.get(self.q("id"))
            if local == "bundleContent":
                self.collect(el)
            elif ident is not None:
                self.classes[ident] = _IVOA_CLASSES.get(local, local)

    def rewrite(self, container: etree._Element) -> None:
        links: list[etree._Element] = []
        for el in list(container):
            if not isinstance(el.tag, str) or etree.QName(el).namespace != self.vp:
                continue
            local = etree.QName(el).localname
            if local in ("isDescribedBy", "isRelatedTo", "hadReference", "wasConfiguredBy"):
                links.append(el)
                continue
            self.element(el, local)
            if local == "bundleContent":
                self.rewrite(el)
        by_id = {el.get(f"{{{PROV}}}id"): el for el in container if isinstance(el.tag, str)}
        for el in links:
            self.link(container, el, by_id)

    def element(self, el: etree._Element, local: str) -> None:
        ident = el.get(self.q("id"))
        if ident is not None:
            del el.attrib[self.q("id")]
            el.set(f"{{{PROV}}}id", ident)
        ivoa = _IVOA_CLASSES.get(local)
        el.tag = f"{{{PROV}}}entity" if ivoa else f"{{{PROV}}}{local}"
        if ivoa:
            self.add_qname(el, f"{{{PROV}}}type", f"{self.prefix}:{ivoa}", 0)
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child)
            ref = child.get(self.q("ref"))
            if ref is not None:
                del child.attrib[self.q("ref")]
                child.set(f"{{{PROV}}}ref", ref)
            if name.namespace == PROV and name.localname == "name":
                child.tag = f"{{{PROV}}}label"
                el.remove(child)
                el.insert(1 if ivoa else 0, child)
            elif name.localname == "location":
                child.tag = f"{{{PROV}}}location"
            elif name.localname == "value":
                child.tag = f"{{{PROV}}}value"
            elif name.localname == "descriptor" and ref is not None:
                el.remove(child)
                link = "usageDescription" if local == "used" else "generationDescription"
                self.add_qname(el, self.q(link), ref)
                continue
            elif local == "agent" and name.namespace == self.vp and name.localname == "type":
                el.remove(child)
                self.add_qname(el, f"{{{PROV}}}type", f"prov:{(child.text or '').strip()}")
                continue
            elif name.localname == "role" and (local == "wasAttributedTo" or ivoa in _ROLE_DESCRIPTIONS):
                child.tag = self.q("role")
            elif name.localname in ("generatedAtTime", "invalidatedAtTime") and child.get(_XSI_TYPE) is None:
                child.set(_XSI_TYPE, "xsd:dateTime")
            # ProvDM attributes are strings: drop voprov's numeric typing of them
            if (name.namespace == self.vp or child.tag == f"{{{PROV}}}value") and child.get(_XSI_TYPE) in (
                "xsd:int",
                "xsd:double",
                "xsd:float",
                "xsd:long",
                "xsd:string",
            ):
                del child.attrib[_XSI_TYPE]

    def link(self, container: etree._Element, el: etree._Element, by_id: dict) -> None:
        local = etree.QName(el).localname
        refs = [r for r in (self.ref(c) for c in el if isinstance(c.tag, str)) if r is not None]
        if len(refs) != 2:
            container.remove(el)
            return
        first, second = refs
        if local == "isDescribedBy":
            described = by_id.get(first)
            kind = self.classes.get(first, "entity")
            if kind == "activity":
                assoc = etree.SubElement(container, f"{{{PROV}}}wasAssociatedWith")
                etree.SubElement(assoc, f"{{{PROV}}}activity").set(f"{{{PROV}}}ref", first)
                etree.SubElement(assoc, f"{{{PROV}}}plan").set(f"{{{PROV}}}ref", second)
            elif described is not None:
                self.add_qname(described, self.q(_DESCRIPTION_LINK.get(kind) or "entityDescription"), second)
            container.remove(el)
            return
        if local == "isRelatedTo":
            related, relator = by_id.get(first), self.classes.get(second)
            if relator == "ActivityDescription" and related is not None:
                self.add_qname(related, self.q("activityDescription"), second)
                container.remove(el)
                return
            if relator in ("UsageDescription", "GenerationDescription") and by_id.get(second) is not None:
                self.add_qname(by_id[second], self.q("entityDescription"), first)
                container.remove(el)
                return
        if local == "hadReference" and self.classes.get(second) == "Parameter" and by_id.get(second) is not None:
            self.add_qname(by_id[second], self.q("valueEntity"), first)
            container.remove(el)
            return
        # anything else: a wasInfluencedBy typed with the voprov relation
        influence = etree.SubElement(container, f"{{{PROV}}}wasInfluencedBy")
        if local in ("wasConfiguredBy",):
            first, second = refs
            type_name = "WasConfiguredBy"
        else:
            first, second = (second, first) if local in ("isRelatedTo", "hadReference") else (first, second)
            type_name = local
        etree.SubElement(influence, f"{{{PROV}}}influencee").set(f"{{{PROV}}}ref", first)
        etree.SubElement(influence, f"{{{PROV}}}influencer").set(f"{{{PROV}}}ref", second)
        self.add_qname(influence, f"{{{PROV}}}type", f"{self.prefix}:{type_name}")
        for child in el:
            if isinstance(child.tag, str) and etree.QName(child).localname == "artefactType":
                extra = etree.SubElement(influence, self.q("artefactType"))
                extra.text = child.text
        container.remove(el)


def rewrite(root: etree._Element) -> etree._Element:
    """A PROV-XML ``prov:document`` with the content of voprov's legacy ``root``."""
    rewriter = _Rewriter(root)
    rewriter.collect(root)
    nsmap = {**root.nsmap, "prov": PROV, "xsi": XSI, "xsd": "http://www.w3.org/2001/XMLSchema"}
    document = etree.Element(f"{{{PROV}}}document", nsmap=nsmap)
    for child in list(root):
        document.append(child)
    rewriter.rewrite(document)
    return document
