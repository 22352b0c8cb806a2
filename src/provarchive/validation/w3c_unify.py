"""PROV-CONSTRAINTS normal form: expansion (definitions 1-4) and unification (constraints 22-29).

PROV-CONSTRAINTS checks validity on a *normal form* of the statements: optional
identifiers, times and arguments written ``-`` become existential variables (fresh
unknowns), then key and uniqueness constraints force some terms to be equal. Two
terms can be made equal (unified) unless both are different constants: two
statements with id ``ex:use1`` naming different entities, an activity that starts at
two different times, two generations of one entity by one activity with two ids.
Such a failure makes the document invalid.

Terms live in a union-find structure (:class:`Terms`): constants (identifiers, times
and the placeholder that stays a placeholder) are interned, existential variables are
fresh. Each statement becomes a :class:`Norm` whose arguments are term numbers, so
unifying two statements is unifying their arguments position by position, and the
rest of the validator (typing, ordering) reads the unified terms through ``find``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from ..model.ids import Namespaces
from ..model.w3c import TIME_KEYS, W3C_FORMAL, Statement
from .report import Issue

__all__ = ["Terms", "Norm", "Normaliser", "RELATION_KINDS", "ELEMENT_KINDS", "label_of"]

ELEMENT_KINDS = frozenset({"entity", "activity", "agent"})
#: The relations constraints 53/54 speak of (identifiers of these are pairwise disjoint).
RELATION_KINDS = (
    "used",
    "wasGeneratedBy",
    "wasInvalidatedBy",
    "wasStartedBy",
    "wasEndedBy",
    "wasInformedBy",
    "wasAttributedTo",
    "wasAssociatedWith",
    "actedOnBehalfOf",
)

# How each formal argument is expanded (definition 4 and the PROV-DM signatures):
#   "m" mandatory identifier (a missing one is a PROV-DM error, then a fresh variable)
#   "o" optional identifier, expanded to a fresh variable when absent
#   "n" optional identifier that is *not* expanded: "-" means "none" (a plan)
#   "d" derivation activity/generation/usage: expanded only when the activity is given
#   "t" time, expanded to a fresh variable when absent
_SIGNATURES: dict[str, str] = {
    "entity": "",
    "agent": "",
    "activity": "tt",
    "used": "mot",
    "wasGeneratedBy": "mot",
    "wasInvalidatedBy": "mot",
    "wasStartedBy": "moot",
    "wasEndedBy": "moot",
    "wasInformedBy": "mm",
    "wasAssociatedWith": "mon",
    "wasAttributedTo": "mm",
    # The W3C test suite expands a missing responsible (unification-delegation-s3/s4 pass).
    "actedOnBehalfOf": "moo",
    "wasDerivedFrom": "mmddd",
    "wasInfluencedBy": "mm",
    "specializationOf": "mm",
    "alternateOf": "mm",
    "mentionOf": "mmm",
    "hadMember": "mm",
}

#: Readable names of the formal arguments, for messages.
ARG_NAMES: dict[str, tuple[str, ...]] = {
    kind: tuple(key.split(":", 1)[1] for key in keys) for kind, keys in W3C_FORMAL.items()
}

RULE_NAMES = {
    "C22": "W3C-C22 key-object",
    "C23": "W3C-C23 key-properties",
    "C24": "W3C-C24 unique-generation",
    "C25": "W3C-C25 unique-invalidation",
    "C26": "W3C-C26 unique-wasStartedBy",
    "C27": "W3C-C27 unique-wasEndedBy",
    "C28": "W3C-C28 unique-startTime",
    "C29": "W3C-C29 unique-endTime",
    "LINKS": "W3C-LINKS mention-unique",
}


def _utc(value: datetime) -> datetime:
    """Times compare as instants; a time without zone is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class Terms:
    """Union-find over terms: interned constants and fresh existential variables.

    ``payload[t]`` is the constant a root stands for (an identifier string, a
    datetime, or ``"-"`` for a placeholder that is not expanded) or ``None`` for a
    variable. Roots carrying a constant win unions, so ``value(find(t))`` is the
    constant a term was unified with, if any.
    """

    __slots__ = ("parent", "payload", "_interned", "_expand")

    def __init__(self, namespaces: Namespaces | None = None) -> None:
        self.parent: list[int] = []
        self.payload: list[Any] = []
        self._interned: dict[Any, int] = {}
        #: Identifiers are the same when their full URIs are (``ex:a`` and ``ex2:a`` for one namespace).
        self._expand = namespaces.expand if namespaces is not None else None

    def _new(self, payload: Any) -> int:
        term = len(self.parent)
        self.parent.append(term)
        self.payload.append(payload)
        return term

    def ident(self, name: str) -> int:
        term = self._interned.get(name)
        if term is None:
            key = self._expand(name) if self._expand is not None else name
            term = self._interned.get(("uri", key))
            if term is None:
                term = self._interned[("uri", key)] = self._new(name)
            self._interned[name] = term
        return term

    def time(self, value: datetime) -> int:
        key = ("t", _utc(value))
        term = self._interned.get(key)
        if term is None:
            term = self._interned[key] = self._new(value)
        return term

    def nothing(self) -> int:
        """The placeholder ``-`` where it is not expanded (no plan, no activity)."""
        term = self._interned.get(("-",))
        if term is None:
            term = self._interned[("-",)] = self._new("-")
        return term

    def var(self) -> int:
        return self._new(None)

    def find(self, term: int) -> int:
        parent = self.parent
        while parent[term] != term:
            parent[term] = parent[parent[term]]
            term = parent[term]
        return term

    def value(self, term: int) -> Any:
        """The constant ``term`` was unified with, or None."""
        return self.payload[self.find(term)]

    def union(self, a: int, b: int) -> int:
        """Unify two terms: 1 if classes merged, 0 if already equal, -1 on a constant clash."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return 0
        pa, pb = self.payload[ra], self.payload[rb]
        if pa is not None and pb is not None:
            return -1
        if pa is None:
            self.parent[ra] = rb
        else:
            self.parent[rb] = ra
        return 1

    def show(self, term: int) -> str:
        value = self.value(term)
        if value is None:
            return f"(unknown #{self.find(term)})"
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)


class Norm:
    """A statement in normal form: kind, id term, argument terms and attributes.

    ``label`` (how messages name it) is computed only when a message needs it: a
    100k-statement document has no use for 100k labels when it is valid.
    """

    __slots__ = ("kind", "id", "args", "attributes", "statement", "origin", "_label")

    def __init__(
        self,
        kind: str,
        id: int,
        args: list[int],
        attributes: list[tuple[str, Any]],
        statement: Statement | None = None,
        *,
        label: str | None = None,
        origin: Norm | None = None,
    ) -> None:
        self.kind = kind
        self.id = id
        self.args = args
        self.attributes = attributes
        self.statement = statement
        #: The statement of the document this one was inferred from (None for the document's own).
        self.origin = origin
        self._label = label

    @property
    def label(self) -> str:
        if self._label is None:
            self._label = label_of(self.statement) if self.statement is not None else self.kind
        return self._label

    @property
    def source(self) -> str:
        """The document record to blame: the statement itself or the one it was inferred from."""
        return self.origin.label if self.origin is not None else self.label


def label_of(st: Statement) -> str:
    """How a statement is named in messages: its id, or ``kind(arg, arg, ...)``."""
    if st.id:
        return str(st.id)
    shown = []
    for key, value in zip(W3C_FORMAL.get(st.kind, ()), st.formal, strict=False):
        if key in TIME_KEYS:
            continue
        shown.append("-" if value is None else str(value))
    return f"{st.kind}({', '.join(shown)})"


class Normaliser:
    """Expands statements into normal form and unifies them (constraints 22-29).

    Usage: ``n = Normaliser(namespaces); n.expand(statements); n.unify()``; then ``n.norms``,
    ``n.terms`` and ``n.issues``.
    """

    def __init__(self, namespaces: Namespaces | None = None) -> None:
        self.terms = Terms(namespaces)
        self.norms: list[Norm] = []
        self.issues: list[Issue] = []
        self._reported: set[Any] = set()

    # ------------------------------------------------------------------ expansion

    def expand(self, statements: Iterable[Statement]) -> None:
        """Turn statements into normal-form :class:`Norm` s (definitions 1-4, inference 11).

        Each formal argument becomes a term as its position's rule in ``_SIGNATURES``
        says; a derivation that names its activity also yields the usage and the
        generation it implies, so that their ids take part in unification.
        """
        terms = self.terms
        ident, var, time = terms.ident, terms.var, terms.time
        norms = self.norms
        for st in statements:
            kind = st.kind
            signature = _SIGNATURES.get(kind)
            if signature is None:
                continue  # not a PROV statement kind we know: nothing to check
            formal = st.formal
            args: list[int] = []
            derivation_activity = None
            for index, how in enumerate(signature):
                value = formal[index] if index < len(formal) else None
                if how == "t":
                    args.append(time(value) if isinstance(value, datetime) else var())
                    continue
                if value is not None:
                    args.append(ident(str(value)))
                    if how == "d" and index == 2:
                        derivation_activity = value
                    continue
                if how == "m":
                    arg = ARG_NAMES[kind][index]
                    self.issues.append(
                        Issue(
                            "W3C-DM missing argument",
                            "error",
                            f"{label_of(st)}: the {arg} of a {kind} statement is mandatory but is missing ('-')",
                            (label_of(st),),
                        )
                    )
                    args.append(var())
                elif how == "o":
                    args.append(var())
                elif how == "n":
                    args.append(terms.nothing())
                else:  # "d": expanded only when the derivation names its activity
                    if index == 2:
                        args.append(terms.nothing())
                    else:
                        args.append(var() if formal[2:3] and formal[2] is not None else terms.nothing())
            if kind == "wasDerivedFrom" and derivation_activity is None:
                given = [ARG_NAMES[kind][i] for i in (3, 4) if i < len(formal) and formal[i] is not None]
                if given:
                    self.issues.append(
                        Issue(
                            "W3C-C51 impossible-unspecified-derivation-generation-use",
                            "error",
                            f"{label_of(st)}: a derivation that names its {' and '.join(given)} must also name "
                            "its activity",
                            (label_of(st),),
                        )
                    )
            ident_term = ident(str(st.id)) if st.id else var()
            norm = Norm(kind, ident_term, args, st.attributes, st)
            norms.append(norm)
            if kind == "wasDerivedFrom" and derivation_activity is not None:
                # inference 11: the derivation's activity used e1 (usage u) and generated e2 (generation g)
                e2, e1, act, gen, use = args
                activity = terms.show(act)
                usage = f"used({activity}, {st.formal[1]})"
                norms.append(Norm("used", use, [act, e1, var()], [], label=usage, origin=norm))
                generation = f"wasGeneratedBy({st.formal[0]}, {activity})"
                norms.append(Norm("wasGeneratedBy", gen, [e2, act, var()], [], label=generation, origin=norm))

    # ---------------------------------------------------------------- unification

    def unify(self) -> None:
        """Apply constraints 22-29 until nothing changes (a fixpoint).

        A round that changes something merges at least two classes of terms, and there
        are finitely many, so this ends; in practice after two or three rounds.
        """
        by_kind: dict[str, list[Norm]] = {}
        for norm in self.norms:
            by_kind.setdefault(norm.kind, []).append(norm)
        relations = [n for n in self.norms if n.kind not in ELEMENT_KINDS]
        while self._round(by_kind, relations):
            pass

    def _round(self, by_kind: dict[str, list[Norm]], relations: list[Norm]) -> bool:
        find = self.terms.find
        changed = False
        # C22: an activity declared twice has one start and one end time
        activities: dict[int, Norm] = {}
        for norm in by_kind.get("activity", ()):
            first = activities.setdefault(find(norm.id), norm)
            if first is not norm:
                changed |= self._unify_args(first, norm, "C22")
        # C23: relations of one kind with one id are one relation
        keyed: dict[tuple[str, int], Norm] = {}
        influences: dict[int, list[Norm]] = {}
        for norm in relations:
            root = find(norm.id)
            first = keyed.setdefault((norm.kind, root), norm)
            if first is not norm:
                changed |= self._unify_args(first, norm, "C23")
            if norm.kind == "wasInfluencedBy":
                influences.setdefault(root, [])
        if influences:
            # inference 15: every relation with id X is also wasInfluencedBy(X; subject, object)
            for norm in relations:
                group = influences.get(find(norm.id))
                if group is not None:
                    group.append(norm)
            for group in influences.values():
                anchor = next(n for n in group if n.kind == "wasInfluencedBy")
                for other in group:
                    if other is not anchor and other.kind != "wasInfluencedBy":
                        changed |= self._unify_args(anchor, other, "C23", positions=(0, 1))
        # C24/C25: one generation (invalidation) per entity and activity; C26/C27: one start (end)
        # per activity and starter (ender)
        for kind, rule, positions in (
            ("wasGeneratedBy", "C24", (0, 1)),
            ("wasInvalidatedBy", "C25", (0, 1)),
            ("wasStartedBy", "C26", (0, 2)),
            ("wasEndedBy", "C27", (0, 2)),
        ):
            seen: dict[tuple[int, int], Norm] = {}
            p, q = positions
            for norm in by_kind.get(kind, ()):
                first = seen.setdefault((find(norm.args[p]), find(norm.args[q])), norm)
                if first is not norm:
                    changed |= self._unify_ids(first, norm, rule)
        # PROV-LINKS mention-unique: an entity mentions one general entity, in one bundle
        mentions: dict[int, Norm] = {}
        for norm in by_kind.get("mentionOf", ()):
            first = mentions.setdefault(find(norm.args[0]), norm)
            if first is not norm:
                changed |= self._unify_args(first, norm, "LINKS", positions=(1, 2))
        # C28/C29: a start (end) of an activity happens at the activity's start (end) time
        if activities:
            for kind, rule, slot in (("wasStartedBy", "C28", 0), ("wasEndedBy", "C29", 1)):
                for norm in by_kind.get(kind, ()):
                    activity = activities.get(find(norm.args[0]))
                    if activity is not None:
                        changed |= self._unify_time(activity, slot, norm, rule)
        return changed

    # -------------------------------------------------------------------- helpers

    def _unify_args(self, first: Norm, other: Norm, rule: str, positions: Iterable[int] | None = None) -> bool:
        changed = False
        union = self.terms.union
        indices = range(min(len(first.args), len(other.args))) if positions is None else positions
        for index in indices:
            outcome = union(first.args[index], other.args[index])
            if outcome == 1:
                changed = True
            elif outcome == -1:
                self._clash(rule, first, other, index)
        return changed

    def _unify_ids(self, first: Norm, other: Norm, rule: str) -> bool:
        outcome = self.terms.union(first.id, other.id)
        if outcome == -1:
            key = (rule, first.label, other.label, "id")
            if key not in self._reported:
                self._reported.add(key)
                show = self.terms.show
                if rule in ("C24", "C25"):
                    what = "generation" if rule == "C24" else "invalidation"
                    message = (
                        f"{show(first.args[0])} has two {what}s by activity {show(first.args[1])} with different ids "
                        f"({first.label} and {other.label}); PROV allows one {what} per entity and activity"
                    )
                else:
                    what = "start" if rule == "C26" else "end"
                    message = (
                        f"activity {show(first.args[0])} has two {what}s by {show(first.args[2])} with different ids "
                        f"({first.label} and {other.label}); PROV allows one {what} per activity and "
                        f"{'starter' if what == 'start' else 'ender'}"
                    )
                self.issues.append(Issue(RULE_NAMES[rule], "error", message, (first.source, other.source)))
        return outcome == 1

    def _unify_time(self, activity: Norm, slot: int, event: Norm, rule: str) -> bool:
        outcome = self.terms.union(activity.args[slot], event.args[3])
        if outcome == -1:
            key = (rule, activity.label, event.label)
            if key not in self._reported:
                self._reported.add(key)
                show = self.terms.show
                what = "starts" if slot == 0 else "ends"
                message = (
                    f"activity {activity.label} {what} at {show(activity.args[slot])} but {event.label} "
                    f"says it {what} at {show(event.args[3])}"
                )
                self.issues.append(Issue(RULE_NAMES[rule], "error", message, (activity.label, event.source)))
        return outcome == 1

    def _clash(self, rule: str, first: Norm, other: Norm, index: int) -> None:
        key = (rule, first.label, other.label, index)
        if key in self._reported:
            return
        self._reported.add(key)
        show = self.terms.show
        arg = ARG_NAMES.get(first.kind, ())[index] if index < len(ARG_NAMES.get(first.kind, ())) else str(index)
        if rule == "LINKS":
            message = (
                f"{show(first.args[0])} is a mention of two different things: {first.label} names "
                f"{show(first.args[index])} and {other.label} names {show(other.args[index])}"
            )
        elif rule == "C22":
            message = (
                f"activity {first.label} is declared more than once with different {arg}s: "
                f"{show(first.args[index])} and {show(other.args[index])}"
            )
        elif first.kind != other.kind:
            message = (
                f"{other.kind} {other.label} shares its id with {first.kind} {first.label} but they disagree "
                f"on the {'influencee' if index == 0 else 'influencer'}: {show(other.args[index])} vs "
                f"{show(first.args[index])}"
            )
        else:
            ident = self.terms.show(first.id)
            message = (
                f"two {first.kind} statements with id {ident} disagree on the {arg}: "
                f"{show(first.args[index])} vs {show(other.args[index])}"
            )
        records = tuple(dict.fromkeys((first.source, other.source)))
        self.issues.append(Issue(RULE_NAMES[rule], "error", message, records))
