"""PROV-CONSTRAINTS event ordering (constraints 30-49).

Every activity has a start and an end event, every entity a generation and an
invalidation event, every usage is an event. The constraints say which events
precede which (``≼``), and one of them, a derivation, says the generation of the
source *strictly* precedes (``≺``) the generation of the derived entity. A document
is invalid when these orderings cannot all hold: when the event graph has a cycle
through a strict edge.

Events that the constraints make simultaneous are one node here: all generations of
one entity (39), all invalidations (40), all starts (31) and all ends (32) of one
activity. A cycle of non-strict edges only says events are simultaneous and is fine.

Times, when present, are checked against the order as well (a usage dated before the
start of its activity). PROV-CONSTRAINTS does not make a document invalid for its
time values, so those findings are warnings; the IVOA rules (``ivoa.py``) turn the
ones ProvDM cares about (usage and generation within the activity) into errors.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone

from .report import Issue
from .w3c_unify import Norm, Terms

__all__ = ["check_ordering", "strongly_connected"]

START, END, GEN, INV, USE = "start", "end", "gen", "inv", "use"

CONSTRAINT_NAMES = {
    30: "start-precedes-end",
    33: "usage-within-activity",
    34: "generation-within-activity",
    35: "wasInformedBy-ordering",
    36: "generation-precedes-invalidation",
    37: "generation-precedes-usage",
    38: "usage-precedes-invalidation",
    41: "derivation-usage-generation-ordering",
    42: "derivation-generation-generation-ordering",
    43: "wasStartedBy-ordering",
    44: "wasEndedBy-ordering",
    45: "specialization-generation-ordering",
    46: "specialization-invalidation-ordering",
    47: "wasAssociatedWith-ordering",
    48: "wasAttributedTo-ordering",
    49: "actedOnBehalfOf-ordering",
}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class _EventGraph:
    """Event nodes, the edges between them and the times known for each."""

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.node_of: dict[tuple[str, int], int] = {}
        self.keys: list[tuple[str, int]] = []
        self.exists: set[tuple[str, int]] = set()
        self.times: dict[int, list[tuple[datetime, str]]] = {}
        #: candidate edges (from key, to key, strict, constraint, statement label, always)
        self.candidates: list[tuple[tuple[str, int], tuple[str, int], bool, int, str, bool]] = []
        self.use_labels: dict[int, str] = {}

    def node(self, key: tuple[str, int]) -> int:
        node = self.node_of.get(key)
        if node is None:
            node = self.node_of[key] = len(self.keys)
            self.keys.append(key)
        return node

    def event(self, kind: str, term: int, time_term: int | None = None, label: str = "") -> tuple[str, int]:
        """Declare that an event exists (and when, if its time is known)."""
        key = (kind, self.terms.find(term))
        self.exists.add(key)
        if time_term is not None:
            value = self.terms.value(time_term)
            if isinstance(value, datetime):
                self.times.setdefault(self.node(key), []).append((_utc(value), label))
        return key

    def edge(self, kind_a: str, a: int, kind_b: str, b: int, constraint: int, label: str, strict: bool = False) -> None:
        find = self.terms.find
        self.candidates.append(((kind_a, find(a)), (kind_b, find(b)), strict, constraint, label, False))

    def describe(self, node: int) -> str:
        kind, term = self.keys[node]
        name = self.terms.show(term)
        if kind == USE:
            return f"usage {self.use_labels.get(term, name)}"
        return {
            START: f"start of {name}",
            END: f"end of {name}",
            GEN: f"generation of {name}",
            INV: f"invalidation of {name}",
        }[kind]


def _collect(graph: _EventGraph, norms: list[Norm]) -> None:
    """Declare events and candidate edges for every statement (constraints 30-49)."""
    edge, event = graph.edge, graph.event
    for norm in norms:
        kind, args, label = norm.kind, norm.args, norm.source
        if kind == "entity":
            event(GEN, norm.id)  # inference 7: every entity is generated and invalidated
            event(INV, norm.id)
            edge(GEN, norm.id, INV, norm.id, 36, label)
        elif kind == "activity":
            event(START, norm.id, args[0], label)  # inference 8
            event(END, norm.id, args[1], label)
            edge(START, norm.id, END, norm.id, 30, label)
        elif kind == "used":
            act, ent = args[0], args[1]
            use = event(USE, norm.id, args[2], label)
            graph.use_labels.setdefault(use[1], norm.label)
            edge(START, act, USE, norm.id, 33, label)
            edge(USE, norm.id, END, act, 33, label)
            edge(GEN, ent, USE, norm.id, 37, label)
            edge(USE, norm.id, INV, ent, 38, label)
        elif kind == "wasGeneratedBy":
            ent, act = args[0], args[1]
            event(GEN, ent, args[2], label)
            edge(START, act, GEN, ent, 34, label)
            edge(GEN, ent, END, act, 34, label)
        elif kind == "wasInvalidatedBy":
            event(INV, args[0], args[2], label)
        elif kind in ("wasStartedBy", "wasEndedBy"):
            act, trigger, starter = args[0], args[1], args[2]
            own = START if kind == "wasStartedBy" else END
            constraint = 43 if kind == "wasStartedBy" else 44
            event(own, act, args[3], label)
            event(GEN, trigger)  # inferences 9/10: the trigger was generated by the starter
            edge(GEN, trigger, own, act, constraint, label)
            edge(own, act, INV, trigger, constraint, label)
            edge(START, starter, GEN, trigger, 34, label)
            edge(GEN, trigger, END, starter, 34, label)
        elif kind == "wasInformedBy":
            edge(START, args[1], END, args[0], 35, label)
        elif kind == "wasDerivedFrom":
            edge(GEN, args[1], GEN, args[0], 42, label, strict=True)
        elif kind == "specializationOf":
            specific, general = args[0], args[1]
            # "always": these edges also link entities without a generation, giving transitivity (inference 19)
            specific, general = graph.terms.find(specific), graph.terms.find(general)
            graph.candidates.append(((GEN, general), (GEN, specific), False, 45, label, True))
            graph.candidates.append(((INV, specific), (INV, general), False, 46, label, True))
        elif kind == "wasAssociatedWith":
            _association(graph, args[0], args[1], label)
        elif kind == "wasAttributedTo":
            ent, agent = args[0], args[1]
            event(GEN, ent)  # inference 13
            edge(GEN, agent, GEN, ent, 48, label)
            edge(START, agent, GEN, ent, 48, label)
        elif kind == "actedOnBehalfOf":
            delegate, responsible, act = args[0], args[1], args[2]
            edge(GEN, responsible, INV, delegate, 49, label)
            edge(START, responsible, END, delegate, 49, label)
            _association(graph, act, delegate, label)  # inference 14
            _association(graph, act, responsible, label)


def _association(graph: _EventGraph, act: int, agent: int, label: str) -> None:
    edge = graph.edge
    edge(START, act, INV, agent, 47, label)
    edge(GEN, agent, END, act, 47, label)
    edge(START, act, END, agent, 47, label)
    edge(START, agent, END, act, 47, label)


def strongly_connected(n: int, adjacency: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Tarjan's algorithm without recursion: component of each node, components in reverse topological order."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    comp = [-1] * n
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            node, i = work[-1]
            neighbours = adjacency[node]
            if i < len(neighbours):
                work[-1] = (node, i + 1)
                nxt = neighbours[i]
                if index[nxt] == -1:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = True
                    work.append((nxt, 0))
                elif on_stack[nxt] and index[nxt] < low[node]:
                    low[node] = index[nxt]
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    comp[member] = len(components)
                    members.append(member)
                    if member == node:
                        break
                components.append(members)
    return comp, components


def check_ordering(terms: Terms, norms: list[Norm], *, check_times: bool = True) -> list[Issue]:
    """Issues for strict cycles in the event order (errors) and for times against it (warnings)."""
    graph = _EventGraph(terms)
    _collect(graph, norms)
    edges: list[tuple[int, int, bool, int, str]] = []
    exists = graph.exists
    seen_edges: set[tuple[int, int, bool]] = set()
    for key_a, key_b, strict, constraint, label, always in graph.candidates:
        if not always and (key_a not in exists or key_b not in exists):
            continue
        a, b = graph.node(key_a), graph.node(key_b)
        signature = (a, b, strict)
        if signature in seen_edges and not strict:
            continue
        seen_edges.add(signature)
        edges.append((a, b, strict, constraint, label))
    n = len(graph.keys)
    adjacency: list[list[int]] = [[] for _ in range(n)]
    edge_at: dict[tuple[int, int], int] = {}
    for i, (a, b, _strict, _c, _l) in enumerate(edges):
        adjacency[a].append(b)
        edge_at.setdefault((a, b), i)
    comp, components = strongly_connected(n, adjacency)
    issues: list[Issue] = []
    reported: set[int] = set()
    for a, b, strict, constraint, label in edges:
        if strict and comp[a] == comp[b] and comp[a] not in reported:
            reported.add(comp[a])
            issues.append(_cycle_issue(graph, edges, edge_at, adjacency, comp, a, b, constraint, label))
    if check_times and graph.times:
        issues.extend(_time_issues(graph, edges, comp, components))
    return issues


def _cycle_issue(
    graph: _EventGraph,
    edges: list[tuple[int, int, bool, int, str]],
    edge_at: dict[tuple[int, int], int],
    adjacency: list[list[int]],
    comp: list[int],
    a: int,
    b: int,
    constraint: int,
    label: str,
) -> Issue:
    """Explain a strict cycle: the strict edge a ≺ b and a path from b back to a."""
    parent: dict[int, int] = {b: b}
    queue = deque([b])
    while queue and a not in parent:
        node = queue.popleft()
        for nxt in adjacency[node]:
            if nxt not in parent and comp[nxt] == comp[a]:
                parent[nxt] = node
                queue.append(nxt)
    path = [a]
    while path[-1] != b:
        path.append(parent[path[-1]])
    path.reverse()  # b ... a
    steps = []
    records = [label]
    for x, y in zip(path, path[1:], strict=False):
        _a, _b, _s, c, lab = edges[edge_at[(x, y)]]
        steps.append(f"{graph.describe(y)} (C{c}, {lab})")
        records.append(lab)
    chain = " ≼ ".join([graph.describe(b)] + steps) if steps else graph.describe(b)
    message = (
        f"the events cannot be ordered: {graph.describe(a)} must strictly precede {graph.describe(b)} "
        f"(C{constraint} {CONSTRAINT_NAMES[constraint]}, {label}), yet {chain}"
    )
    return Issue(f"W3C-C{constraint} {CONSTRAINT_NAMES[constraint]}", "error", message, tuple(dict.fromkeys(records)))


def _time_issues(
    graph: _EventGraph,
    edges: list[tuple[int, int, bool, int, str]],
    comp: list[int],
    components: list[list[int]],
) -> list[Issue]:
    """Warn where a dated event comes before a dated event that must precede it.

    Lower bounds propagate through undated events along the order: the components are
    visited in topological order (Tarjan yields them in reverse).
    """
    incoming: dict[int, list[tuple[int, int, str]]] = {}
    for a, b, _strict, constraint, label in edges:
        if comp[a] != comp[b]:
            incoming.setdefault(comp[b], []).append((a, constraint, label))
    # bound[c] = (latest time known to precede or be at component c, node that carries it)
    bound: dict[int, tuple[datetime, int]] = {}
    issues: list[Issue] = []
    times = graph.times
    for c in range(len(components) - 1, -1, -1):
        best: tuple[datetime, int] | None = None
        via: dict[int, tuple[int, str]] = {}
        for a, constraint, label in incoming.get(c, ()):
            previous = bound.get(comp[a])
            if previous is not None and (best is None or previous[0] > best[0]):
                best = previous
                via[previous[1]] = (constraint, label)
        for node in components[c]:
            own = times.get(node)
            if not own:
                continue
            latest = max(t for t, _l in own)
            if best is not None and best[0] > latest:
                constraint, label = via.get(best[1], (0, ""))
                earlier = graph.describe(best[1])
                later = graph.describe(node)
                name = CONSTRAINT_NAMES.get(constraint, "event ordering")
                records = tuple(dict.fromkeys([lab for _t, lab in own] + [lab for _t, lab in times.get(best[1], [])]))
                issues.append(
                    Issue(
                        f"W3C-C{constraint} {name}" if constraint else "W3C event times",
                        "warning",
                        f"{later} is dated {latest.isoformat()} but {earlier}, which must precede it, "
                        f"is dated {best[0].isoformat()}",
                        records,
                    )
                )
        for node in components[c]:
            for t, _label in times.get(node, ()):
                if best is None or t > best[0]:
                    best = (t, node)
        if best is not None:
            bound[c] = best
    return issues
