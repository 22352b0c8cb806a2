"""OPUS job definitions: import of ``<name>_vot.xml`` files and export in the same layout.

OPUS keeps an ActivityDescription as a VOTable ``RESOURCE utype="voprov:ActivityDescription"``
whose PARAMs carry the activity attributes and a bash ``script``, with groups
``InputParams``, ``Used`` and ``Generated``. On import the script becomes the
definition's ``script`` and the command is ``bash {script}``: the executor writes the
script to a file and passes every parameter, input path and output name as an
environment variable, never pasting a value into the script text (OPUS did, through a
sourced ``parameters.sh``, which allowed shell injection).
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from .definitions import DefinitionError, JobDefinition, parse_definition

__all__ = ["from_votable", "to_votable"]

VOTABLE_NS = "http://www.ivoa.net/xml/VOTable/v1.3"
_OPUS_TYPES = {"file": ("char", "application/octet-stream")}


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2] if isinstance(tag, str) else ""


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if _local(c.tag) == name]


def _description(node: etree._Element) -> str | None:
    found = _children(node, "DESCRIPTION")
    return (found[0].text or "").strip() or None if found else None


def _params(node: etree._Element) -> dict[str, etree._Element]:
    return {p.get("name", ""): p for p in _children(node, "PARAM")}


def _value(params: dict[str, etree._Element], name: str) -> str | None:
    param = params.get(name)
    value = None if param is None else param.get("value")
    return value if value not in (None, "") else None


def _group(resource: etree._Element, name: str) -> etree._Element | None:
    return next((g for g in _children(resource, "GROUP") if g.get("name") == name), None)


def from_votable(text: str | bytes, source: str = "<votable>") -> JobDefinition:
    """Read an OPUS VOTable job definition (safe parser: no entities, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(text.encode() if isinstance(text, str) else text, parser)
    except etree.XMLSyntaxError as exc:
        raise DefinitionError(source, [f"not well-formed XML: {exc}"]) from None
    resource = next(
        (r for r in root.iter() if _local(r.tag) == "RESOURCE" and "ActivityDescription" in (r.get("utype") or "")),
        None,
    )
    if resource is None:
        raise DefinitionError(source, ['no RESOURCE with utype="voprov:ActivityDescription"'])
    top = _params(resource)
    raw: dict[str, Any] = {
        "name": resource.get("name") or resource.get("ID"),
        "version": _value(top, "version") or "1",
        "description": _description(resource),
        "doc_url": _value(top, "doculink"),
        "type": _value(top, "type"),
        "subtype": _value(top, "subtype"),
        "contact": {"name": _value(top, "contact_name"), "email": _value(top, "contact_email")},
        "script": (_value(top, "script") or "").replace("\r\n", "\n") or None,
        "command": _command(_value(top, "command")),
        "parameters": [],
        "inputs": [],
        "outputs": [],
    }
    duration = _value(top, "executionDuration")
    longest = _value(top, "executionDurationMax")  # our extension; OPUS has only the default
    if duration and duration.isdigit():
        maximum = int(longest) if longest and longest.isdigit() else max(int(duration), 86400)
        raw["execution_duration"] = {"default": int(duration), "max": maximum}
    slots = _value(top, "slots")
    if slots and slots.isdigit():
        raw["slots"] = int(slots)
    group = _group(resource, "InputParams")
    for param in _children(group, "PARAM") if group is not None else []:
        raw["parameters"].append(_parameter(param))
    group = _group(resource, "Used")
    for used in _children(group, "GROUP") if group is not None else []:
        raw["inputs"].append(_input(used))
    group = _group(resource, "Generated")
    for generated in _children(group, "GROUP") if group is not None else []:
        values = _params(generated)
        raw["outputs"].append(
            {
                "role": generated.get("name"),
                "pattern": _value(values, "default") or generated.get("name"),
                "multiplicity": _value(values, "multiplicity") or "1",
                "content_type": _value(values, "content_type"),
                "description": _description(generated),
            }
        )
    return parse_definition(raw, source)


def _command(text: str | None) -> Any:
    """OPUS runs the script with bash; our own exports carry the argv template as JSON."""
    if text is None:
        return ["bash", "{script}"]
    try:
        return json.loads(text)
    except ValueError:
        return text  # parse_definition reports that it is not a list


def _parameter(param: etree._Element) -> dict[str, Any]:
    datatype = param.get("datatype") or "char"
    xtype = param.get("xtype")
    datatype, xtype = _OPUS_TYPES.get(datatype, (datatype, xtype))
    item: dict[str, Any] = {
        "name": param.get("name"),
        "datatype": datatype,
        "arraysize": param.get("arraysize"),
        "xtype": xtype,
        "default": param.get("value") if param.get("value") not in (None, "") else None,
        "required": param.get("type") != "no_query",
        "unit": param.get("unit"),
        "ucd": param.get("ucd"),
        "utype": param.get("utype"),
        "description": _description(param),
    }
    values = _children(param, "VALUES")
    if values:
        for bound in ("MIN", "MAX"):
            found = _children(values[0], bound)
            if found and found[0].get("value") not in (None, ""):
                item[bound.lower()] = float(found[0].get("value"))  # type: ignore[arg-type]
        options = [o.get("value") for o in _children(values[0], "OPTION") if o.get("value") is not None]
        if options:
            item["options"] = options
    return {k: v for k, v in item.items() if v is not None}


def _input(used: etree._Element) -> dict[str, Any]:
    values = _params(used)
    url = _value(values, "url") or "file://$ID"
    item: dict[str, Any] = {
        "role": used.get("name"),
        "multiplicity": _value(values, "multiplicity") or "1",
        "content_type": _value(values, "content_type"),
        "description": _description(used),
    }
    if url.startswith("file://"):
        item["sources"] = ["upload", "url", "archive"]
    else:
        item["sources"] = ["url"]
        item["url_template"] = url
    sources = _value(values, "sources")  # our extension: how the input may be provided
    if sources:
        item["sources"] = [s.strip() for s in sources.split(",") if s.strip()]
    max_bytes = _value(values, "max_bytes")
    if max_bytes and max_bytes.isdigit():
        item["max_bytes"] = int(max_bytes)
    if _value(values, "config") == "true":
        item["config"] = True
    return {k: v for k, v in item.items() if v is not None}


def to_votable(definition: JobDefinition) -> bytes:
    """The definition as an OPUS-style VOTable 1.3 ``voprov:ActivityDescription`` resource."""
    nsmap = {None: VOTABLE_NS}
    root = etree.Element(f"{{{VOTABLE_NS}}}VOTABLE", nsmap=nsmap, version="1.3")
    resource = etree.SubElement(
        root, "RESOURCE", ID=definition.name, name=definition.name, type="meta", utype="voprov:ActivityDescription"
    )

    def describe(node: etree._Element, text: str | None) -> None:
        if text:
            etree.SubElement(node, "DESCRIPTION").text = text

    def param(node: etree._Element, name: str, value: Any, utype: str | None = None, datatype: str = "char") -> None:
        attrs = {"name": name, "value": "" if value is None else str(value), "datatype": datatype}
        if datatype == "char":
            attrs["arraysize"] = "*"
        if utype:
            attrs["utype"] = utype
        etree.SubElement(node, "PARAM", attrs)

    describe(resource, definition.description)
    for key, attr in (("doculink", "doc_url"), ("type", "type"), ("subtype", "subtype"), ("version", "version")):
        param(resource, key, getattr(definition, attr), f"voprov:ActivityDescription.{key}")
    param(resource, "contact_name", definition.contact_name, "voprov:Agent.name")
    param(resource, "contact_email", definition.contact_email, "voprov:Agent.email")
    param(resource, "executionDuration", definition.execution_duration, "uws:Job.executionDuration", "int")
    param(resource, "executionDurationMax", definition.execution_duration_max, "uws:Job.executionDuration", "int")
    param(resource, "slots", definition.slots, None, "int")
    param(resource, "command", json.dumps(list(definition.command)))  # our extension: the argv template
    if definition.script:
        param(resource, "script", definition.script)
    group = etree.SubElement(resource, "GROUP", name="InputParams")
    for p in definition.parameters:
        attrs = {"ID": p.name, "name": p.name, "datatype": p.datatype, "value": p.default or ""}
        for key in ("arraysize", "xtype", "unit", "ucd", "utype"):
            if getattr(p, key):
                attrs[key] = getattr(p, key)
        if not p.required:
            attrs["type"] = "no_query"
        node = etree.SubElement(group, "PARAM", attrs)
        describe(node, p.description)
        if p.min is not None or p.max is not None or p.options:
            values = etree.SubElement(node, "VALUES")
            if p.min is not None:
                etree.SubElement(values, "MIN", value=f"{p.min:g}")
            if p.max is not None:
                etree.SubElement(values, "MAX", value=f"{p.max:g}")
            for option in p.options:
                etree.SubElement(values, "OPTION", value=option)
    group = etree.SubElement(resource, "GROUP", name="Used")
    for i in definition.inputs:
        node = etree.SubElement(group, "GROUP", name=i.role, utype="voprov:UsedDescription")
        describe(node, i.description)
        param(node, "role", i.role, "voprov:UsedDescription.role")
        param(node, "multiplicity", i.multiplicity, "voprov:UsedDescription.multiplicity")
        param(node, "content_type", i.content_type, "voprov:EntityDescription.content_type")
        param(node, "url", i.url_template or "file://$ID", "voprov:EntityDescription.url")
        param(node, "sources", ",".join(i.sources))
        if i.max_bytes:
            param(node, "max_bytes", i.max_bytes, None, "long")
        if i.config:
            param(node, "config", "true", None, "boolean")
    group = etree.SubElement(resource, "GROUP", name="Generated")
    for o in definition.outputs:
        node = etree.SubElement(group, "GROUP", name=o.role, utype="voprov:WasGeneratedBy")
        describe(node, o.description)
        param(node, "role", o.role, "voprov:WasGeneratedByDescription.role")
        param(node, "multiplicity", o.multiplicity, "voprov:WasGeneratedByDescription.multiplicity")
        param(node, "default", o.pattern, "voprov:Entity.id")
        param(node, "content_type", o.content_type, "voprov:EntityDescription.content_type")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
