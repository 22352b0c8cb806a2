"""PROV-O (RDF) through rdflib: Turtle (default) and TriG (bundles as named graphs).

Statements come from :func:`provarchive.model.w3c.to_statements`, so IVOA classes are
typed W3C entities here too. Each statement becomes PROV-O as prov 3.2 writes it, so
both libraries read each other's output:

* elements: ``ex:e a prov:Entity`` (``prov:Activity``, ``prov:Agent``); ``prov:type``
  QNames become more ``rdf:type`` classes, ``prov:label`` is ``rdfs:label``,
  ``prov:location`` is ``prov:atLocation``, activity times are
  ``prov:startedAtTime``/``prov:endedAtTime``;
* a relation with nothing but its two ends is the starting-point triple
  (``ex:act prov:used ex:e``); one with an id, a time, a role, more arguments or
  attributes is also (or only, for the relations prov writes that way) a qualified
  node: ``ex:act prov:qualifiedUsage [ a prov:Usage; prov:entity ex:e;
  prov:atTime ...; prov:hadRole "raw" ]`` (an identified relation's node is its id);
* roles are plain literals on ``prov:hadRole`` (prov's choice, and it keeps IVOA's
  free-text roles without minting IRIs); other attributes use their expanded name as
  the predicate; QName values are IRIs; typed values are typed literals.

specializationOf, alternateOf, hadMember and mentionOf have no qualified form in
PROV-O, so an id or attributes on them cannot be written: that is refused rather than
silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rdflib import RDF, RDFS, BNode, Dataset, Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from ..model import Bundle, Document
from ..model.ids import PROV, VOPROV, XSD, Namespaces, QName
from ..model.w3c import W3C_FORMAL, Statement, from_statements, to_statements
from .errors import FormatError
from .xsd_values import from_lexical, to_lexical

__all__ = ["dumps", "loads"]

FORMAT = "PROV-O"


def _p(local: str) -> URIRef:
    return URIRef(PROV + local)


@dataclass(frozen=True)
class _Form:
    """How one relation kind is written in PROV-O."""

    kind: str
    binary: str  # starting-point predicate
    qualified: str  # qualifiedX predicate
    node_class: str  # class of the qualified node
    node: tuple[tuple[str, str], ...]  # (formal key, node predicate) for formals after the subject
    binary_too: bool  # prov writes the starting-point triple even when the relation is qualified


_FORMS = {
    f.kind: f
    for f in (
        _Form("used", "used", "qualifiedUsage", "Usage", (("prov:entity", "entity"), ("prov:time", "atTime")), False),
        _Form(
            "wasGeneratedBy",
            "wasGeneratedBy",
            "qualifiedGeneration",
            "Generation",
            (("prov:activity", "activity"), ("prov:time", "atTime")),
            False,
        ),
        _Form(
            "wasInvalidatedBy",
            "wasInvalidatedBy",
            "qualifiedInvalidation",
            "Invalidation",
            (("prov:activity", "activity"), ("prov:time", "atTime")),
            False,
        ),
        _Form(
            "wasStartedBy",
            "wasStartedBy",
            "qualifiedStart",
            "Start",
            (("prov:trigger", "entity"), ("prov:starter", "hadActivity"), ("prov:time", "atTime")),
            False,
        ),
        _Form(
            "wasEndedBy",
            "wasEndedBy",
            "qualifiedEnd",
            "End",
            (("prov:trigger", "entity"), ("prov:ender", "hadActivity"), ("prov:time", "atTime")),
            False,
        ),
        _Form(
            "wasInformedBy",
            "wasInformedBy",
            "qualifiedCommunication",
            "Communication",
            (("prov:informant", "activity"),),
            True,
        ),
        _Form(
            "wasAssociatedWith",
            "wasAssociatedWith",
            "qualifiedAssociation",
            "Association",
            (("prov:agent", "agent"), ("prov:plan", "hadPlan")),
            False,
        ),
        _Form(
            "wasAttributedTo",
            "wasAttributedTo",
            "qualifiedAttribution",
            "Attribution",
            (("prov:agent", "agent"),),
            True,
        ),
        _Form(
            "actedOnBehalfOf",
            "actedOnBehalfOf",
            "qualifiedDelegation",
            "Delegation",
            (("prov:responsible", "agent"), ("prov:activity", "hadActivity")),
            True,
        ),
        _Form(
            "wasDerivedFrom",
            "wasDerivedFrom",
            "qualifiedDerivation",
            "Derivation",
            (
                ("prov:usedEntity", "entity"),
                ("prov:activity", "hadActivity"),
                ("prov:generation", "hadGeneration"),
                ("prov:usage", "hadUsage"),
            ),
            False,
        ),
        _Form(
            "wasInfluencedBy",
            "wasInfluencedBy",
            "qualifiedInfluence",
            "Influence",
            (("prov:influencer", "influencer"),),
            True,
        ),
    )
}
#: Derivation subtypes: prov:type value → (starting-point predicate, qualified predicate).
_DERIVATION_SUBTYPES = {
    "Revision": ("wasRevisionOf", "qualifiedRevision"),
    "Quotation": ("wasQuotedFrom", "qualifiedQuotation"),
    "PrimarySource": ("hadPrimarySource", "qualifiedPrimarySource"),
}
_UNQUALIFIED = {"specializationOf", "alternateOf", "hadMember", "mentionOf"}
_ELEMENT_CLASSES = {"entity": "Entity", "activity": "Activity", "agent": "Agent"}
#: Attribute names with a dedicated PROV-O predicate.
_ATTR_PREDICATES = {"prov:label": RDFS.label, "prov:location": _p("atLocation"), "prov:role": _p("hadRole")}
_PREDICATE_ATTRS = {str(v): k for k, v in _ATTR_PREDICATES.items()}
#: Characters RFC 3987 forbids in an IRI (Turtle would write a broken document).
_NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_BUILTIN_PREFIXES = {"rdf", "rdfs", "xsd", "prov", "xml", "owl"}

# ------------------------------------------------------------------------- write


class _Writer:
    def __init__(self, graph: Graph, ns: Namespaces) -> None:
        self.graph = graph
        self.ns = ns

    def iri(self, name: str) -> URIRef | BNode:
        if name.startswith("_:"):
            return BNode(name[2:])
        uri = self.ns.expand(name)
        bad = _NOT_IN_IRI.search(uri)
        if bad:
            raise FormatError(
                f"{name!r} expands to {uri!r}, which contains {bad.group()!r}: not allowed in an IRI, so"
                " Turtle/TriG cannot hold it (PROV-XML, PROV-JSON and PROV-N can)",
                format=FORMAT,
            )
        return URIRef(uri)

    def term(self, value: Any) -> Node:
        if isinstance(value, QName):
            return self.iri(value)
        text, datatype, lang = to_lexical(value)
        if lang:
            return RDFLiteral(text, lang=lang)
        if datatype:
            return RDFLiteral(text, datatype=URIRef(self.ns.expand(datatype)))
        return RDFLiteral(text)

    def attributes(self, subject: Node, attrs: list[tuple[str, Any]]) -> None:
        add = self.graph.add
        for key, value in attrs:
            if key == "prov:type" and isinstance(value, QName):
                add((subject, RDF.type, self.iri(value)))
            elif key == "prov:type":
                add((subject, RDF.type, self.term(value)))
            else:
                add((subject, _ATTR_PREDICATES.get(key) or self.iri(key), self.term(value)))

    def statement(self, st: Statement) -> None:
        add = self.graph.add
        kind = st.kind
        if kind in _ELEMENT_CLASSES:
            subject = self.iri(st.id or "")
            add((subject, RDF.type, _p(_ELEMENT_CLASSES[kind])))
            if kind == "activity":
                for value, predicate in zip(st.formal, ("startedAtTime", "endedAtTime"), strict=False):
                    if value is not None:
                        add((subject, _p(predicate), self.term(value)))
            self.attributes(subject, st.attributes)
            return
        formal = dict(zip(W3C_FORMAL[kind], st.formal, strict=False))
        keys = W3C_FORMAL[kind]
        subject = self.iri(formal[keys[0]])
        if kind in _UNQUALIFIED:
            if st.id is not None or st.attributes:
                raise FormatError(
                    f"{kind}({formal[keys[0]]}, {formal[keys[1]]}) has an id or attributes, which PROV-O cannot"
                    " express (no qualified form); use PROV-JSON, PROV-XML or PROV-N",
                    format=FORMAT,
                )
            add((subject, _p(kind), self.iri(formal[keys[1]])))
            if kind == "mentionOf" and formal.get("prov:bundle"):
                add((subject, _p("asInBundle"), self.iri(formal["prov:bundle"])))
            return
        form = _FORMS[kind]
        binary, qualified = form.binary, form.qualified
        if kind == "wasDerivedFrom":
            for key, value in st.attributes:
                local = value[5:] if isinstance(value, QName) and value.startswith("prov:") else None
                if key == "prov:type" and local in _DERIVATION_SUBTYPES:
                    binary, qualified = _DERIVATION_SUBTYPES[local]
                    break
        influencer = formal[keys[1]]
        extra_formal = any(v is not None for v in st.formal[2:])
        needs_node = st.id is not None or bool(st.attributes) or extra_formal or influencer is None
        if influencer is not None and (not needs_node or form.binary_too):
            add((subject, _p(binary), self.iri(influencer)))
        if not needs_node:
            return
        node = self.iri(st.id) if st.id is not None else BNode()
        add((subject, _p(qualified), node))
        add((node, RDF.type, _p(form.node_class)))
        for key, predicate in form.node:
            value = formal.get(key)
            if value is not None:
                add((node, _p(predicate), self.term(value) if isinstance(value, datetime) else self.iri(value)))
        self.attributes(node, st.attributes)


def _dataset() -> Dataset:
    """An empty dataset that knows only the prefixes we bind (not rdflib's thirty defaults)."""
    dataset = Dataset()
    dataset.namespace_manager = NamespaceManager(dataset, bind_namespaces="none")
    return dataset


def _bind(graph: Graph, ns: Namespaces) -> None:
    graph.bind("prov", PROV, override=True)
    graph.bind("xsd", XSD, override=True)
    graph.bind("rdfs", str(RDFS), override=True)
    for prefix, uri in ns.declared().items():
        graph.bind(prefix, uri, override=True, replace=True)
    if ns.default:
        graph.bind("", ns.default, override=True, replace=True)


def dumps(doc: Document, *, format: str | None = None, voprov_uri: str = VOPROV, **_options: Any) -> bytes:
    """``doc`` as Turtle (``format="turtle"``) or TriG (``format="trig"``).

    Without ``format``, Turtle, unless the document has bundles: Turtle has no named
    graphs, so such a document is written as TriG (of which Turtle is a subset).
    """
    fmt = (format or ("trig" if doc.bundles else "turtle")).lower()
    if fmt in ("ttl", "prov-o", "rdf"):
        fmt = "turtle"
    if fmt not in ("turtle", "trig"):
        raise FormatError(f"unknown RDF syntax {format!r}; use 'turtle' or 'trig'", format=FORMAT)
    if fmt == "turtle" and doc.bundles:
        raise FormatError(
            "Turtle has no named graphs for bundles; write this document with format='trig'", format=FORMAT
        )
    ns, statements = to_statements(doc, voprov_uri=voprov_uri)
    dataset = _dataset() if fmt == "trig" else None
    graph: Graph = dataset.default_graph if dataset is not None else Graph(bind_namespaces="none")
    _bind(dataset if dataset is not None else graph, ns)
    writer = _Writer(graph, ns)
    for st in statements:
        writer.statement(st)
    if dataset is not None:
        for bundle_id, bundle in doc.bundles.items():
            merged = Namespaces(
                {**ns.declared(), **bundle.namespaces.declared()}, bundle.namespaces.default or ns.default
            )
            view = Bundle(bundle_id, namespaces=merged)
            view.records = bundle.records
            bns, bstatements = to_statements(view, voprov_uri=voprov_uri)
            for prefix, uri in bns.declared().items():
                if ns.get(prefix) != uri:
                    dataset.bind(prefix, uri, override=False)
            named = dataset.graph(URIRef(ns.expand(bundle_id)))
            bwriter = _Writer(named, bns)
            for st in bstatements:
                bwriter.statement(st)
        return dataset.serialize(format="trig", encoding="utf-8")
    return graph.serialize(format="turtle", encoding="utf-8")


# -------------------------------------------------------------------------- read

_BY_QUALIFIED: dict[str, tuple[_Form, str | None]] = {}
_BY_BINARY: dict[str, tuple[str, str | None]] = {}
for _form in _FORMS.values():
    _BY_QUALIFIED[PROV + _form.qualified] = (_form, None)
    _BY_BINARY[PROV + _form.binary] = (_form.kind, None)
for _sub, (_bin, _qual) in _DERIVATION_SUBTYPES.items():
    _BY_QUALIFIED[PROV + _qual] = (_FORMS["wasDerivedFrom"], _sub)
    _BY_BINARY[PROV + _bin] = ("wasDerivedFrom", _sub)
for _kind in _UNQUALIFIED:
    _BY_BINARY[PROV + _kind] = (_kind, None)
_NODE_CLASSES = {PROV + f.node_class for f in _FORMS.values()} | {PROV + s for s in _DERIVATION_SUBTYPES}
_AGENT_CLASSES = {PROV + c for c in ("Agent", "Person", "Organization", "SoftwareAgent")}


class _Reader:
    """Rebuilds W3C statements from one RDF graph."""

    def __init__(self, ns: Namespaces) -> None:
        self.ns = ns
        self._generated = 0

    def name(self, node: Node) -> str:
        if isinstance(node, BNode):
            return f"_:{node}"
        uri = str(node)
        compact = self.ns.compact(uri)
        if compact != uri or ":" not in uri:
            return compact
        # a URI no declared namespace covers: declare one for its namespace part
        cut = max(uri.rfind("#"), uri.rfind("/")) + 1
        if cut <= 0 or cut == len(uri):
            return uri
        self._generated += 1
        prefix = self.ns.add(f"ns{self._generated}", uri[:cut])
        return f"{prefix}:{uri[cut:]}"

    def value(self, node: Node) -> Any:
        if isinstance(node, RDFLiteral):
            datatype = node.datatype
            dt = None
            if datatype is not None:
                dt = str(datatype)
                dt = "xsd:" + dt[len(XSD) :] if dt.startswith(XSD) else self.name(datatype)
            return from_lexical(str(node), dt, node.language)
        return QName(self.name(node))

    def time(self, node: Node) -> datetime:
        """A time, typed ``xsd:dateTime`` or not (some writers leave times untyped)."""
        value = self.value(node)
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(node).strip())
        except ValueError:
            raise FormatError(f"{str(node)!r} is not an xsd:dateTime", format=FORMAT) from None

    def attribute(self, predicate: Node, obj: Node) -> tuple[str, Any]:
        if predicate == RDF.type:
            return "prov:type", self.value(obj)
        key = _PREDICATE_ATTRS.get(str(predicate))
        if key is None:
            key = self.name(predicate)
        return key, self.value(obj)

    def statements(self, graph: Graph) -> list[Statement]:
        out: list[Statement] = []
        by_subject: dict[Node, list[tuple[Node, Node]]] = {}
        for s, p, o in graph:
            by_subject.setdefault(s, []).append((p, o))
        nodes: dict[Node, tuple[Node, _Form, str | None]] = {}
        for s, pairs in by_subject.items():
            for p, o in pairs:
                hit = _BY_QUALIFIED.get(str(p))
                if hit is not None:
                    nodes[o] = (s, *hit)
        covered: set[tuple[Node, str, str]] = set()  # (subject, kind, influencer) read from qualified nodes
        for node, (subject, form, subtype) in nodes.items():
            st = self.qualified(node, subject, form, subtype, by_subject.get(node, []))
            out.append(st)
            influencer = st.formal[1]
            if influencer is not None:
                covered.add((subject, form.kind, influencer))
        for s, pairs in by_subject.items():
            if s not in nodes:
                self.subject(s, pairs, covered, out)
        return out

    def subject(
        self, s: Node, pairs: list[tuple[Node, Node]], covered: set[tuple[Node, str, str]], out: list[Statement]
    ) -> None:
        """The statements of one subject: its starting-point relations and, if it is one, the element."""
        element_attrs: list[tuple[str, Any]] = []
        classes: set[str] = set()
        times: dict[str, datetime | None] = {}
        for p, o in pairs:
            ps = str(p)
            if ps in _BY_QUALIFIED or ps == PROV + "asInBundle":
                continue  # read with the qualified node / with prov:mentionOf
            rel = _BY_BINARY.get(ps)
            if rel is not None:
                out.extend(self.binary(s, rel, o, pairs, covered))
            elif p == RDF.type and str(o) in (PROV + "Entity", PROV + "Activity", PROV + "Agent"):
                classes.add(str(o)[len(PROV) :])
            elif ps in (PROV + "startedAtTime", PROV + "endedAtTime"):
                times[ps[len(PROV) :]] = self.time(o)
            else:
                if p == RDF.type and str(o) in _AGENT_CLASSES:
                    classes.add("Agent")
                element_attrs.append(self.attribute(p, o))
        if not (classes or times or element_attrs):
            return  # only the subject of relations: not declared as an element here
        ident = self.name(s)
        if "Activity" in classes or times:
            formal = [times.get("startedAtTime"), times.get("endedAtTime")]
            out.append(Statement("activity", ident, formal, element_attrs))
        elif "Agent" in classes and "Entity" not in classes:
            out.append(Statement("agent", ident, [], element_attrs))
        else:
            out.append(Statement("entity", ident, [], element_attrs))

    def binary(
        self, s: Node, rel: tuple[str, str | None], o: Node, pairs: list[tuple[Node, Node]], covered: set
    ) -> list[Statement]:
        kind, subtype = rel
        first, second = self.name(s), self.name(o)
        if (s, kind, second) in covered:
            return []
        attrs = [("prov:type", QName(f"prov:{subtype}"))] if subtype else []
        if kind == "mentionOf":
            bundles = [self.name(b) for p, b in pairs if str(p) == PROV + "asInBundle"]
            return [Statement(kind, None, [first, second, bundles[0] if bundles else None], [])]
        formal: list[Any] = [first, second] + [None] * (len(W3C_FORMAL[kind]) - 2)
        return [Statement(kind, None, formal, attrs)]

    def qualified(
        self, node: Node, subject: Node, form: _Form, subtype: str | None, pairs: list[tuple[Node, Node]]
    ) -> Statement:
        keys = W3C_FORMAL[form.kind]
        formal: dict[str, Any] = {keys[0]: self.name(subject)}
        by_predicate = {PROV + predicate: key for key, predicate in form.node}
        attrs: list[tuple[str, Any]] = []
        for p, o in pairs:
            key = by_predicate.get(str(p))
            if key is not None and formal.get(key) is None:
                formal[key] = self.time(o) if key == "prov:time" else self.name(o)
                continue
            if p == RDF.type and str(o) in _NODE_CLASSES:
                local = str(o)[len(PROV) :]
                if local in _DERIVATION_SUBTYPES:
                    attrs.append(("prov:type", QName(f"prov:{local}")))
                continue
            attrs.append(self.attribute(p, o))
        if subtype and ("prov:type", QName(f"prov:{subtype}")) not in attrs:
            attrs.append(("prov:type", QName(f"prov:{subtype}")))
        ident = None if isinstance(node, BNode) else self.name(node)
        return Statement(form.kind, ident, [formal.get(k) for k in keys], attrs)


def _syntax_error(exc: Exception) -> FormatError:
    """A FormatError with line and column from rdflib's BadSyntax(uri, lines, text, index, why)."""
    args: tuple[object, ...] = getattr(exc, "args", ())
    if len(args) == 5 and isinstance(args[2], str) and isinstance(args[3], int):
        text, index, why = args[2], args[3], args[4]
        line = text.count("\n", 0, index) + 1
        column = index - text.rfind("\n", 0, index)
        return FormatError(f"malformed Turtle/TriG: {why}", format=FORMAT, line=line, column=column)
    return FormatError(f"malformed Turtle/TriG: {type(exc).__name__}: {exc}", format=FORMAT)


def loads(data: bytes | str, *, format: str | None = None, **_options: Any) -> Document:
    """Read Turtle or TriG (TriG is a superset of Turtle, so one parser reads both)."""
    dataset = _dataset()
    try:
        dataset.parse(data=data if isinstance(data, str) else data.decode("utf-8"), format="trig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text: {exc}", format=FORMAT) from None
    except Exception as exc:  # rdflib raises BadSyntax, and plain errors on some truncated input
        raise _syntax_error(exc) from None
    ns = Namespaces()
    for prefix, uri in dataset.namespaces():
        if prefix in _BUILTIN_PREFIXES or str(uri) in (PROV, XSD, str(RDF), str(RDFS)):
            continue
        if prefix == "":
            ns.default = str(uri)
        else:
            ns.add(prefix, str(uri))
    reader = _Reader(ns)
    default = dataset.default_graph
    statements = reader.statements(default)
    named = [g for g in dataset.graphs() if g.identifier != default.identifier and len(g)]
    bundle_statements = [(reader.name(g.identifier), reader.statements(g)) for g in named]
    try:
        doc = from_statements(statements, ns)
        assert isinstance(doc, Document)
        for bundle_id, bst in bundle_statements:
            from_statements(bst, ns, doc.bundle(bundle_id))
    except (TypeError, ValueError) as exc:
        raise FormatError(f"invalid statement: {exc}", format=FORMAT) from None
    return doc
