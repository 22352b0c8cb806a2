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

# Event kinds; an event is keyed by ``(root term << 3) | kind`` (plain ints keep 100k-statement graphs fast).
START, END, GEN, INV, USE = 0, 1, 2, 3, 4
_KIND_WORDS = {START: "start of", END: "end of", GEN: "generation of", INV: "invalidation of", USE: "usage"}

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
    """Event nodes, the edges between them and the times known for each.

    Built in two passes over the statements: first every event that exists is
    declared (``event``), then the constraints add edges (``edge``), which are kept only
    between events that exist: a constraint about "the generation of e" says nothing
    when e has no generation.
    """

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.find = terms.find
        self.node_of: dict[int, int] = {}  # event key -> node number
        self.keys: list[int] = []
        self.exists: set[int] = set()
        self.edges: list[tuple[int, int, bool, int, Norm]] = []  # (from, to, strict, constraint, statement)
        self._seen: set[int] = set()  # (from << 32) | to, for non-strict edges
        self.times: dict[int, list[tuple[datetime, Norm]]] = {}
        self.uses: dict[int, Norm] = {}

    def node(self, key: int) -> int:
        node = self.node_of.get(key)
        if node is None:
            node = self.node_of[key] = len(self.keys)
            self.keys.append(key)
        return node

    def event(self, kind: int, term: int, time_term: int | None = None, norm: Norm | None = None) -> int:
        """Declare that an event exists (and when, if its time is known)."""
        key = (self.find(term) << 3) | kind
        self.exists.add(key)
        if time_term is not None and norm is not None:
            value = self.terms.value(time_term)
            if isinstance(value, datetime):
                self.times.setdefault(self.node(key), []).append((_utc(value), norm))
        return key

    def edge(
        self,
        kind_a: int,
        a: int,
        kind_b: int,
        b: int,
        constraint: int,
        norm: Norm,
        strict: bool = False,
        always: bool = False,
    ) -> None:
        """Add ``a ≼ b`` (or ``a ≺ b``) if both events exist (``always``: create them)."""
        find = self.find
        key_a, key_b = (find(a) << 3) | kind_a, (find(b) << 3) | kind_b
        exists = self.exists
        if not always and (key_a not in exists or key_b not in exists):
            return
        node_of = self.node_of
        node_a = node_of.get(key_a)
        if node_a is None:
            node_a = self.node(key_a)
        node_b = node_of.get(key_b)
        if node_b is None:
            node_b = self.node(key_b)
        if not strict:
            pair = (node_a << 32) | node_b
            if pair in self._seen:
                return
            self._seen.add(pair)
        self.edges.append((node_a, node_b, strict, constraint, norm))

    def describe(self, node: int) -> str:
        key = self.keys[node]
        kind, term = key & 7, key >> 3
        if kind == USE:
            norm = self.uses.get(term)
            return f"usage {norm.label if norm is not None else self.terms.show(term)}"
        return f"{_KIND_WORDS[kind]} {self.terms.show(term)}"


def _declare_events(graph: _EventGraph, norms: list[Norm]) -> None:
    """First pass: the events that exist, with their times (inferences 7-10 and 13 included)."""
    event = graph.event
    for norm in norms:
        kind, args = norm.kind, norm.args
        if kind == "entity":
            event(GEN, norm.id)  # inference 7: every entity is generated and invalidated
            event(INV, norm.id)
        elif kind == "activity":
            event(START, norm.id, args[0], norm)  # inference 8: every activity starts and ends
            event(END, norm.id, args[1], norm)
        elif kind == "used":
            event(USE, norm.id, args[2], norm)
            graph.uses.setdefault(graph.find(norm.id), norm)
        elif kind == "wasGeneratedBy":
            event(GEN, args[0], args[2], norm)
        elif kind == "wasInvalidatedBy":
            event(INV, args[0], args[2], norm)
        elif kind == "wasStartedBy" or kind == "wasEndedBy":
            event(START if kind == "wasStartedBy" else END, args[0], args[3], norm)
            event(GEN, args[1])  # inferences 9/10: the trigger was generated (by the starter)
        elif kind == "wasAttributedTo":
            event(GEN, args[0])  # inference 13: an attributed entity was generated


def _add_edges(graph: _EventGraph, norms: list[Norm]) -> None:
    """Second pass: the ordering constraints 30-49 as edges between existing events."""
    edge = graph.edge
    nothing = graph.find(graph.terms.nothing())
    for norm in norms:
        kind, args = norm.kind, norm.args
        if kind == "entity":
            edge(GEN, norm.id, INV, norm.id, 36, norm)
        elif kind == "activity":
            edge(START, norm.id, END, norm.id, 30, norm)
        elif kind == "used":
            act, ent, use = args[0], args[1], norm.id
            edge(START, act, USE, use, 33, norm)
            edge(USE, use, END, act, 33, norm)
            edge(GEN, ent, USE, use, 37, norm)
            edge(USE, use, INV, ent, 38, norm)
        elif kind == "wasGeneratedBy":
            ent, act = args[0], args[1]
            edge(START, act, GEN, ent, 34, norm)
            edge(GEN, ent, END, act, 34, norm)
        elif kind == "wasInvalidatedBy":
            edge(GEN, args[0], INV, args[0], 36, norm)
        elif kind == "wasStartedBy" or kind == "wasEndedBy":
            act, trigger, starter = args[0], args[1], args[2]
            own, constraint = (START, 43) if kind == "wasStartedBy" else (END, 44)
            edge(GEN, trigger, own, act, constraint, norm)
            edge(own, act, INV, trigger, constraint, norm)
            edge(START, starter, GEN, trigger, 34, norm)
            edge(GEN, trigger, END, starter, 34, norm)
        elif kind == "wasInformedBy":
            edge(START, args[1], END, args[0], 35, norm)
        elif kind == "wasDerivedFrom":
            edge(GEN, args[1], GEN, args[0], 42, norm, strict=True)
            if graph.find(args[2]) != nothing:  # with its activity: the usage precedes the generation
                edge(USE, args[4], GEN, args[0], 41, norm)
        elif kind == "specializationOf":
            # created even for entities without a generation: they carry transitivity (inference 19)
            specific, general = args[0], args[1]
            edge(GEN, general, GEN, specific, 45, norm, always=True)
            edge(INV, specific, INV, general, 46, norm, always=True)
        elif kind == "wasAssociatedWith":
            _association(graph, args[0], args[1], norm)
        elif kind == "wasAttributedTo":
            ent, agent = args[0], args[1]
            edge(GEN, agent, GEN, ent, 48, norm)
            edge(START, agent, GEN, ent, 48, norm)
        elif kind == "actedOnBehalfOf":
            delegate, responsible, act = args[0], args[1], args[2]
            edge(GEN, responsible, INV, delegate, 49, norm)
            edge(START, responsible, END, delegate, 49, norm)
            _association(graph, act, delegate, norm)  # inference 14
            _association(graph, act, responsible, norm)


def _association(graph: _EventGraph, act: int, agent: int, norm: Norm) -> None:
    edge = graph.edge
    edge(START, act, INV, agent, 47, norm)
    edge(GEN, agent, END, act, 47, norm)
    edge(START, act, END, agent, 47, norm)
    edge(START, agent, END, act, 47, norm)


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
    _declare_events(graph, norms)
    _add_edges(graph, norms)
    edges = graph.edges
    n = len(graph.keys)
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for a, b, _strict, _c, _l in edges:
        adjacency[a].append(b)
    comp, components = strongly_connected(n, adjacency)
    issues: list[Issue] = []
    reported: set[int] = set()
    edge_at: dict[tuple[int, int], int] = {}  # (from, to) -> first edge; built only to explain a cycle
    for a, b, strict, constraint, label in edges:
        if strict and comp[a] == comp[b] and comp[a] not in reported:
            reported.add(comp[a])
            if not edge_at:
                for i, (x, y, _s, _c, _l) in enumerate(edges):
                    edge_at.setdefault((x, y), i)
            issues.append(_cycle_issue(graph, edges, edge_at, adjacency, comp, a, b, constraint, label))
    if check_times and graph.times:
        issues.extend(_time_issues(graph, edges, comp, components))
    return issues


def _cycle_issue(
    graph: _EventGraph,
    edges: list[tuple[int, int, bool, int, Norm]],
    edge_at: dict[tuple[int, int], int],
    adjacency: list[list[int]],
    comp: list[int],
    a: int,
    b: int,
    constraint: int,
    origin: Norm,
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
    records = [origin.source]
    for x, y in zip(path, path[1:], strict=False):
        _a, _b, _s, c, lab = edges[edge_at[(x, y)]]
        steps.append(f"{graph.describe(y)} (C{c}, {lab.source})")
        records.append(lab.source)
    chain = " ≼ ".join([graph.describe(b)] + steps) if steps else graph.describe(b)
    message = (
        f"the events cannot be ordered: {graph.describe(a)} must strictly precede {graph.describe(b)} "
        f"(C{constraint} {CONSTRAINT_NAMES[constraint]}, {origin.source}), yet {chain}"
    )
    return Issue(f"W3C-C{constraint} {CONSTRAINT_NAMES[constraint]}", "error", message, tuple(dict.fromkeys(records)))


def _time_issues(
    graph: _EventGraph,
    edges: list[tuple[int, int, bool, int, Norm]],
    comp: list[int],
    components: list[list[int]],
) -> list[Issue]:
    """Warn where a dated event comes before a dated event that must precede it.

    Lower bounds propagate through undated events along the order: the components are
    visited in topological order (Tarjan yields them in reverse).
    """
    incoming: dict[int, list[tuple[int, int]]] = {}
    for a, b, _strict, constraint, _origin in edges:
        if comp[a] != comp[b]:
            incoming.setdefault(comp[b], []).append((a, constraint))
    # bound[c] = (latest time known to precede or be at component c, node that carries it)
    bound: dict[int, tuple[datetime, int]] = {}
    issues: list[Issue] = []
    times = graph.times
    for c in range(len(components) - 1, -1, -1):
        best: tuple[datetime, int] | None = None
        via: dict[int, int] = {}
        for a, constraint in incoming.get(c, ()):
            previous = bound.get(comp[a])
            if previous is not None and (best is None or previous[0] > best[0]):
                best = previous
                via[previous[1]] = constraint
        for node in components[c]:
            own = times.get(node)
            if not own:
                continue
            latest = max(t for t, _l in own)
            if best is not None and best[0] > latest:
                constraint = via.get(best[1], 0)
                earlier = graph.describe(best[1])
                later = graph.describe(node)
                name = CONSTRAINT_NAMES.get(constraint, "event ordering")
                carriers = [norm for _t, norm in own] + [norm for _t, norm in times.get(best[1], [])]
                records = tuple(dict.fromkeys(norm.source for norm in carriers))
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
