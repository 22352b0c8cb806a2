"""W3C PROV-CONSTRAINTS validity of one bundle.

The checks run on the W3C statements a bundle serialises to
(:func:`provarchive.model.w3c.to_statements`), so IVOA records are judged as what
they are in W3C PROV: an ActivityDescription is an entity, a WasConfiguredBy a
wasInfluencedBy, and so on. The steps follow the recommendation:

1. expansion and unification (definitions 1-4, constraints 22-29): ``w3c_unify.py``;
2. event ordering (constraints 30-49): ``w3c_order.py``;
3. typing (50), impossibility (51-54) and disjointness (55-56): here.

Bundles are checked one by one, as PROV-CONSTRAINTS defines a document to be valid
when its top-level statements and each of its bundles are.
"""

from __future__ import annotations

from typing import Any

from ..model.document import Bundle
from ..model.ids import PROV, XSD, Literal, Namespaces, QName
from ..model.w3c import to_statements
from .report import Issue
from .w3c_order import check_ordering, strongly_connected
from .w3c_unify import RELATION_KINDS, Norm, Normaliser, Terms

__all__ = ["check_bundle"]

ENTITY, ACTIVITY, AGENT, COLLECTION, EMPTY = "entity", "activity", "agent", "prov:Collection", "prov:EmptyCollection"

# Constraint 50 (typing): which positions of each statement are of which type.
_TYPING: dict[str, tuple[tuple[int, str], ...]] = {
    "used": ((0, ACTIVITY), (1, ENTITY)),
    "wasGeneratedBy": ((0, ENTITY), (1, ACTIVITY)),
    "wasInvalidatedBy": ((0, ENTITY), (1, ACTIVITY)),
    "wasStartedBy": ((0, ACTIVITY), (1, ENTITY), (2, ACTIVITY)),
    "wasEndedBy": ((0, ACTIVITY), (1, ENTITY), (2, ACTIVITY)),
    "wasInformedBy": ((0, ACTIVITY), (1, ACTIVITY)),
    "wasAttributedTo": ((0, ENTITY), (1, AGENT)),
    "wasAssociatedWith": ((0, ACTIVITY), (1, AGENT), (2, ENTITY)),
    "actedOnBehalfOf": ((0, AGENT), (1, AGENT), (2, ACTIVITY)),
    "wasDerivedFrom": ((0, ENTITY), (1, ENTITY), (2, ACTIVITY)),
    "alternateOf": ((0, ENTITY), (1, ENTITY)),
    "specializationOf": ((0, ENTITY), (1, ENTITY)),
    "mentionOf": ((0, ENTITY), (1, ENTITY)),
    "hadMember": ((0, ENTITY), (0, COLLECTION), (1, ENTITY)),
}
_ROLE_WORDS = {0: "first", 1: "second", 2: "third"}


def check_bundle(bundle: Bundle, *, check_times: bool = True) -> list[Issue]:
    """Every PROV-CONSTRAINTS violation in ``bundle`` (its own statements only)."""
    namespaces, statements = to_statements(bundle)
    normaliser = Normaliser(namespaces)
    normaliser.expand(statements)
    normaliser.unify()
    issues = list(normaliser.issues)
    terms, norms = normaliser.terms, normaliser.norms
    issues.extend(_impossibility(terms, norms))
    issues.extend(_typing(terms, norms, namespaces))
    issues.extend(check_ordering(terms, norms, check_times=check_times))
    return issues


def _impossibility(terms: Terms, norms: list[Norm]) -> list[Issue]:
    """Constraints 52 (reflexive specialization), 53 and 54 (identifier overlaps)."""
    issues: list[Issue] = _specialization_cycles(terms, norms)
    find = terms.find
    relation_kinds = set(RELATION_KINDS)
    kinds_by_id: dict[int, dict[str, Norm]] = {}
    elements: dict[int, dict[str, Norm]] = {}
    for norm in norms:
        kind = norm.kind
        if kind in relation_kinds:
            root = find(norm.id)
            if terms.payload[root] is not None:
                kinds_by_id.setdefault(root, {}).setdefault(kind, norm)
        elif kind in ("entity", "activity", "agent"):
            elements.setdefault(find(norm.id), {}).setdefault(kind, norm)
    for root, kinds in kinds_by_id.items():
        element = elements.get(root)
        if len(kinds) < 2 and not element:
            continue
        ident = terms.show(root)
        if len(kinds) > 1:
            names = ", ".join(sorted(kinds))
            issues.append(
                Issue(
                    "W3C-C53 impossible-property-overlap",
                    "error",
                    f"the id {ident} is used by relations of different kinds ({names}); relation ids of "
                    "different kinds must differ",
                    tuple(dict.fromkeys(norm.source for norm in kinds.values())),
                )
            )
        if element:
            issues.append(
                Issue(
                    "W3C-C54 impossible-object-property-overlap",
                    "error",
                    f"the id {ident} names both {' and '.join(sorted(element))} and a "
                    f"{' and a '.join(sorted(kinds))} relation; elements and relations must have different ids",
                    tuple(dict.fromkeys([ident, *(norm.source for norm in kinds.values())])),
                )
            )
    return issues


def _specialization_cycles(terms: Terms, norms: list[Norm]) -> list[Issue]:
    """Constraint 52 with inference 19: specializationOf is transitive, so a cycle makes one reflexive."""
    find = terms.find
    nodes: dict[int, int] = {}
    edges: list[tuple[int, int, Norm]] = []
    for norm in norms:
        if norm.kind == "specializationOf":
            a = nodes.setdefault(find(norm.args[0]), len(nodes))
            b = nodes.setdefault(find(norm.args[1]), len(nodes))
            edges.append((a, b, norm))
    if not edges:
        return []
    adjacency: list[list[int]] = [[] for _ in nodes]
    for a, b, _norm in edges:
        adjacency[a].append(b)
    comp, _components = strongly_connected(len(nodes), adjacency)
    # the edges inside each strongly connected component: those are the cycles
    cyclic: dict[int, list[tuple[int, int, Norm]]] = {}
    for a, b, norm in edges:
        if comp[a] == comp[b]:
            cyclic.setdefault(comp[a], []).append((a, b, norm))
    roots = {node: root for root, node in nodes.items()}
    issues: list[Issue] = []
    for inside in cyclic.values():
        labels = list(dict.fromkeys(norm.source for _a, _b, norm in inside))
        first_a, first_b, _norm = inside[0]
        if len(inside) == 1 and first_a == first_b:
            message = f"{terms.show(roots[first_a])} cannot be a specialization of itself"
        else:
            names = sorted({terms.show(roots[a]) for a, _b, _n in inside})
            message = (
                f"{', '.join(names)} are specializations of each other (through {', '.join(labels)}); "
                "specialization is transitive, so each would be a specialization of itself"
            )
        issues.append(Issue("W3C-C52 impossible-specialization-reflexive", "error", message, tuple(labels)))
    return issues


def _qname_value(value: Any) -> str | None:
    """The qualified name an attribute value holds: a QName, or a literal typed xsd:QName."""
    if isinstance(value, QName):
        return value
    if isinstance(value, Literal) and value.datatype in ("xsd:QName", XSD + "QName"):
        return value.value
    return None


def _is_prov(name: Any, local: str, namespaces: Namespaces) -> bool:
    """Whether a qualified name (attribute key or QName value) is ``prov:<local>``."""
    if not isinstance(name, str):
        return False
    prefix, sep, rest = name.partition(":")
    if not sep or rest != local:
        return False
    return prefix == "prov" or namespaces.get(prefix) == PROV


def _typing(terms: Terms, norms: list[Norm], namespaces: Namespaces) -> list[Issue]:
    """Constraint 50 (typing) and the disjointness it feeds: 55 (entity/activity) and 56 (empty collection)."""
    find = terms.find
    # root term -> type -> (statement that gave the type, how); messages are written only for issues
    types: dict[int, dict[str, tuple[Norm, str]]] = {}

    def typed(term: int, kind: str, norm: Norm, how: str) -> None:
        types.setdefault(find(term), {}).setdefault(kind, (norm, how))

    nothing = terms.nothing()
    specializations: list[Norm] = []
    members: list[Norm] = []
    for norm in norms:
        kind = norm.kind
        if kind in ("entity", "activity", "agent"):
            typed(norm.id, kind, norm, "declared")
            if kind == "entity":
                for key, literal in norm.attributes:
                    value = _qname_value(literal)
                    if value is not None and _is_prov(key, "type", namespaces):
                        if _is_prov(value, "EmptyCollection", namespaces):
                            typed(norm.id, EMPTY, norm, "prov:EmptyCollection")
                            typed(norm.id, COLLECTION, norm, "prov:EmptyCollection")
                        elif _is_prov(value, "Collection", namespaces):
                            typed(norm.id, COLLECTION, norm, "prov:Collection")
            continue
        positions = _TYPING.get(kind)
        if positions is None:
            continue
        for index, type_name in positions:
            term = norm.args[index]
            if find(term) == find(nothing):
                continue
            typed(term, type_name, norm, _ROLE_WORDS[index])
        if kind == "specializationOf":
            specializations.append(norm)
        elif kind == "hadMember":
            members.append(norm)
    # inference 21: a specialization has the attributes (so the types) of the general entity
    changed = bool(specializations)
    while changed:
        changed = False
        for norm in specializations:
            specific, general = norm.args[0], norm.args[1]
            general_types = types.get(find(general), {})
            if EMPTY in general_types and EMPTY not in types.get(find(specific), {}):
                typed(specific, EMPTY, norm, "specialization")
                changed = True
    issues: list[Issue] = []
    for root, kinds in types.items():
        if ENTITY in kinds and ACTIVITY in kinds:
            ident = terms.show(root)
            issues.append(
                Issue(
                    "W3C-C55 entity-activity-disjoint",
                    "error",
                    f"{ident} is used as an entity ({_why(*kinds[ENTITY])}) and as an activity "
                    f"({_why(*kinds[ACTIVITY])}); nothing can be both",
                    tuple(dict.fromkeys([ident, kinds[ENTITY][0].source, kinds[ACTIVITY][0].source])),
                )
            )
    for norm in members:
        collection = types.get(find(norm.args[0]), {})
        if EMPTY in collection:
            ident = terms.show(norm.args[0])
            issues.append(
                Issue(
                    "W3C-C56 membership-empty-collection",
                    "error",
                    f"{norm.label}: {ident} is an empty collection ({_why(*collection[EMPTY])}) and cannot have the "
                    f"member {terms.show(norm.args[1])}",
                    (ident, norm.source),
                )
            )
    return issues


def _why(norm: Norm, how: str) -> str:
    """Why an identifier has a type, in words: 'entity ex:e', 'second argument of ex:use1'."""
    if how == "declared":
        return f"{norm.kind} {norm.label}"
    if how.startswith("prov:"):
        return f"entity {norm.label} typed {how}"
    if how == "specialization":
        return f"a specialization of an empty collection in {norm.source}"
    return f"{how} argument of {norm.source}"
