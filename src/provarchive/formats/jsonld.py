"""PROV-JSONLD (W3C member submission, as prov 3.2 reads and writes it).

Documents go through :func:`provarchive.model.w3c.to_statements` /
:func:`~provarchive.model.w3c.from_statements`. The shape::

    {"@context": [{"ex": "http://example.org/"}, "https://openprovenance.org/prov-jsonld/context.jsonld"],
     "@graph": [
       {"@type": "Entity", "@id": "ex:raw", "label": [{"@value": "raw"}],
        "type": ["voprov:DatasetEntity"], "ex:size": [{"@value": "12", "@type": "xsd:int"}]},
       {"@type": "Usage", "activity": "ex:calib", "entity": "ex:raw", "time": "2024-03-01T23:00:01Z",
        "role": [{"@value": "raw"}]},
       {"@type": "Bundle", "@id": "ex:b1", "@context": [], "@graph": [...]}]}

Formal arguments are single strings; other attributes are arrays of value objects,
except that QName values of ``type``, ``role`` and ``location`` (typed ``@id`` in the
submission's context) are bare strings. A default namespace is ``@vocab``.

The submission has no term for ``mentionOf``; prov refuses to write one. Rather than
lose it, we write ``{"@type": "Mention", ...}`` (pass ``strict=True`` to refuse
instead, for output that prov must read). The reader also accepts ProvToolbox's older
dialect with ``prov:``-prefixed types and keys.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..model import Bundle, Document
from ..model.ids import PROV, VOPROV, XSD, Namespaces, QName
from ..model.w3c import TIME_KEYS, W3C_FORMAL, Statement, from_statements, to_statements
from ..util import paused_gc
from .errors import FormatError
from .xsd_values import format_datetime, from_lexical, parse_datetime, to_lexical

__all__ = ["dumps", "loads", "CONTEXT_URL"]

FORMAT = "PROV-JSONLD"
#: The context the submission's examples (and prov) reference.
CONTEXT_URL = "https://openprovenance.org/prov-jsonld/context.jsonld"

_TYPE_OF_KIND = {
    "entity": "Entity",
    "activity": "Activity",
    "agent": "Agent",
    "used": "Usage",
    "wasGeneratedBy": "Generation",
    "wasInvalidatedBy": "Invalidation",
    "wasStartedBy": "Start",
    "wasEndedBy": "End",
    "wasInformedBy": "Communication",
    "wasAssociatedWith": "Association",
    "wasAttributedTo": "Attribution",
    "actedOnBehalfOf": "Delegation",
    "wasDerivedFrom": "Derivation",
    "wasInfluencedBy": "Influence",
    "specializationOf": "Specialization",
    "alternateOf": "Alternate",
    "mentionOf": "Mention",
    "hadMember": "Membership",
}
_KIND_OF_TYPE = {v: k for k, v in _TYPE_OF_KIND.items()}
_FORMAL_TERMS = {kind: tuple(key[5:] for key in keys) for kind, keys in W3C_FORMAL.items()}
#: PROV attributes with an unprefixed term in the context.
_SPECIAL = {
    "prov:type": "type",
    "prov:label": "label",
    "prov:role": "role",
    "prov:location": "location",
    "prov:value": "value",
}
_SPECIAL_KEYS = {v: k for k, v in _SPECIAL.items()}
_ID_TYPED = frozenset({"type", "role", "location"})

# ----------------------------------------------------------------------- write


def _value(value: Any, term: str) -> Any:
    if isinstance(value, QName) and term in _ID_TYPED:
        return str(value)
    text, datatype, lang = to_lexical(value)
    if lang:
        return {"@value": text, "@language": lang}
    if datatype:
        return {"@value": text, "@type": datatype}
    return {"@value": text}


def _term(key: str, kind: str, ns: Namespaces) -> str:
    special = _SPECIAL.get(key)
    if special is not None and (special != "value" or kind == "entity"):
        return special
    if ":" not in key:
        # a name in the default namespace: a bare key would clash with the context's terms
        return ns.expand(key)
    return str(key)  # QName keys (a str subclass) are not JSON object keys for orjson


def _graph(statements: list[Statement], ns: Namespaces, strict: bool) -> list[dict[str, Any]]:
    graph = []
    for st in statements:
        kind = st.kind
        if kind == "mentionOf" and strict:
            raise FormatError(
                "PROV-JSONLD has no term for mentionOf; write without strict=True or use another format", format=FORMAT
            )
        obj: dict[str, Any] = {"@type": _TYPE_OF_KIND[kind]}
        if st.id is not None:
            obj["@id"] = st.id
        for term, key, value in zip(_FORMAL_TERMS[kind], W3C_FORMAL[kind], st.formal, strict=False):
            if value is not None:
                obj[term] = format_datetime(value) if key in TIME_KEYS else value
        for key, value in st.attributes:
            term = _term(key, kind, ns)
            obj.setdefault(term, []).append(_value(value, term))
        graph.append(obj)
    return graph


def _context(ns: Namespaces, inherited: Namespaces | None = None) -> dict[str, str]:
    context = {
        prefix: uri for prefix, uri in ns.declared().items() if inherited is None or inherited.get(prefix) != uri
    }
    if ns.default and (inherited is None or inherited.default != ns.default):
        context["@vocab"] = ns.default
    return context


def dumps(
    doc: Document, *, voprov_uri: str = VOPROV, strict: bool = False, indent: bool = False, **_options: Any
) -> bytes:
    """``doc`` as PROV-JSONLD (UTF-8). ``strict=True`` refuses what prov cannot read (mentionOf)."""
    with paused_gc():
        ns, statements = to_statements(doc, voprov_uri=voprov_uri)
        context = _context(ns)
        graph = _graph(statements, ns, strict)
        for bundle_id, bundle in doc.bundles.items():
            merged = Namespaces(
                {**ns.declared(), **bundle.namespaces.declared()}, bundle.namespaces.default or ns.default
            )
            view = Bundle(bundle_id, namespaces=merged)
            view.records = bundle.records
            bns, bstatements = to_statements(view, voprov_uri=voprov_uri)
            inner = _context(bns, ns)
            graph.append(
                {
                    "@type": "Bundle",
                    "@id": bundle_id,
                    "@context": [inner] if inner else [],
                    "@graph": _graph(bstatements, bns, strict),
                }
            )
        out = {"@context": [context, CONTEXT_URL] if context else [CONTEXT_URL], "@graph": graph}
        return orjson.dumps(out, option=orjson.OPT_INDENT_2 if indent else 0)


# ------------------------------------------------------------------------ read


def _read_context(context: Any, ns: Namespaces) -> None:
    items = context if isinstance(context, list) else [context]
    for item in items:
        if not isinstance(item, dict):
            continue  # a context URL: the submission's, known here
        for prefix, uri in item.items():
            if prefix in ("@vocab", "@base"):
                if prefix == "@vocab" or ns.default is None:
                    ns.default = str(uri)
            elif isinstance(uri, str) and not prefix.startswith("@"):
                if prefix in ("prov", "xsd") and uri.rstrip("#") in (PROV.rstrip("#"), XSD.rstrip("#")):
                    continue
                ns.add(prefix, uri)


class _Reader:
    def __init__(self, ns: Namespaces) -> None:
        self.ns = ns

    def name(self, text: Any, where: str) -> str:
        if not isinstance(text, str) or not text:
            raise FormatError(f"{where}: expected a qualified name, found {text!r}", format=FORMAT)
        if "://" in text:
            return self.ns.compact(text)
        return text

    def value(self, raw: Any, term: str, where: str) -> Any:
        if isinstance(raw, str):
            return QName(self.name(raw, where)) if term in _ID_TYPED else raw
        if isinstance(raw, bool | int | float):
            return raw
        if isinstance(raw, dict):
            if "@id" in raw:
                return QName(self.name(raw["@id"], where))
            if "@value" not in raw:
                raise FormatError(f"{where}: a value object needs @value, found {raw!r}", format=FORMAT)
            text = raw["@value"]
            if not isinstance(text, str):
                return text
            datatype = raw.get("@type")
            if isinstance(datatype, str):
                if datatype.startswith(XSD):
                    datatype = "xsd:" + datatype[len(XSD) :]
                elif "://" in datatype:
                    datatype = self.ns.compact(datatype)
            value = from_lexical(text, datatype, raw.get("@language"))
            if isinstance(value, QName):
                return QName(self.name(str(value), where))
            return value
        raise FormatError(f"{where}: unexpected attribute value {raw!r}", format=FORMAT)

    def statements(self, graph: Any, where: str, bundles: list[dict[str, Any]] | None) -> list[Statement]:
        if not isinstance(graph, list):
            raise FormatError(f"{where}: @graph must be an array", format=FORMAT)
        out: list[Statement] = []
        for n, item in enumerate(graph):
            here = f"{where}[{n}]"
            if not isinstance(item, dict):
                raise FormatError(f"{here}: a statement must be an object", format=FORMAT)
            rtype = item.get("@type")
            if isinstance(rtype, list) and rtype:
                rtype = rtype[0]
            if not isinstance(rtype, str):
                raise FormatError(f"{here}: a statement needs a string @type", format=FORMAT)
            local = rtype[5:] if rtype.startswith("prov:") else rtype[len(PROV) :] if rtype.startswith(PROV) else rtype
            if local == "Bundle":
                if bundles is None:
                    raise FormatError(f"{here}: bundles cannot be nested", format=FORMAT)
                bundles.append(item)
                continue
            kind = _KIND_OF_TYPE.get(local)
            if kind is None:
                raise FormatError(f"{here}: unknown statement type {rtype!r}", format=FORMAT)
            out.extend(self.statement(kind, item, here))
        return out

    def statement(self, kind: str, item: dict[str, Any], where: str) -> list[Statement]:
        terms = _FORMAL_TERMS[kind]
        formal: list[Any] = [None] * len(terms)
        index = {t: i for i, t in enumerate(terms)}
        attrs: list[tuple[str, Any]] = []
        members: list[str] = []
        ident = self.name(item["@id"], where) if "@id" in item else None
        for raw_key, raw in item.items():
            if raw_key in ("@type", "@id"):
                continue
            term = raw_key[5:] if raw_key.startswith("prov:") else raw_key
            i = index.get(term)
            if i is not None:
                if kind == "hadMember" and term == "entity" and isinstance(raw, list):
                    members.extend(self.name(m, where) for m in raw)
                elif f"prov:{term}" in TIME_KEYS:
                    try:
                        formal[i] = parse_datetime(str(raw))
                    except ValueError:
                        raise FormatError(f"{where}: {term} {raw!r} is not an xsd:dateTime", format=FORMAT) from None
                else:
                    formal[i] = self.name(raw["@id"] if isinstance(raw, dict) and "@id" in raw else raw, where)
                continue
            key = _SPECIAL_KEYS.get(term)  # type, label, role, location, value (bare or prov:-prefixed)
            if key is None:
                key, term = (self.name(raw_key, where) if "://" in raw_key else raw_key), raw_key
            for value in raw if isinstance(raw, list) else [raw]:
                attrs.append((key, self.value(value, term, where)))
        if kind == "hadMember" and members:
            return [Statement(kind, ident, [formal[0], m], list(attrs)) for m in members]
        if kind in ("entity", "activity", "agent") and ident is None:
            raise FormatError(f"{where}: an {_TYPE_OF_KIND[kind]} needs an @id", format=FORMAT)
        return [Statement(kind, ident, formal, attrs)]


def loads(data: bytes | str, **_options: Any) -> Document:
    """Read PROV-JSONLD; errors say where (JSON line/column or the statement's path)."""
    try:
        top = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON: {exc.msg}", format=FORMAT, line=exc.lineno, column=exc.colno) from None
    if isinstance(top, list):
        top = {"@graph": top}
    if not isinstance(top, dict) or "@graph" not in top:
        raise FormatError("a PROV-JSONLD document is an object with @context and @graph", format=FORMAT)
    ns = Namespaces()
    _read_context(top.get("@context", []), ns)
    reader = _Reader(ns)
    bundles: list[dict[str, Any]] = []
    with paused_gc():
        statements = reader.statements(top["@graph"], "@graph", bundles)
        try:
            doc = from_statements(statements, ns)
            assert isinstance(doc, Document)
            for item in bundles:
                where = f"bundle {item.get('@id')!r}"
                bundle_id = reader.name(item.get("@id"), where)
                bundle = doc.bundle(bundle_id)
                _read_context(item.get("@context", []), bundle.namespaces)
                merged = Namespaces(
                    {**ns.declared(), **bundle.namespaces.declared()}, bundle.namespaces.default or ns.default
                )
                breader = _Reader(merged)
                from_statements(breader.statements(item.get("@graph", []), f"{where} @graph", None), merged, bundle)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"invalid statement: {exc}", format=FORMAT) from None
    return doc
