"""The UWS 1.1 execution phase machine: the one place where phase rules live.

Every other module asks this one whether a change is allowed (``require_*`` raise
:class:`InvalidPhaseError`, which the web layer turns into HTTP 403 as UWS §3 asks).

Transitions (UWS 1.1 §2.1.3, restricted to what this service does)::

    PENDING ──RUN──▶ QUEUED ──claim──▶ EXECUTING ──▶ COMPLETED | ERROR | ABORTED
       │               │                   │
       └────ABORT──────┴──────ABORT────────┘──▶ ABORTED
    (restart: EXECUTING with a dead process and no exit status ──▶ ERROR)

HELD, SUSPENDED, UNKNOWN and ARCHIVED are legal values a client may send in a PHASE
filter, but this service never puts a job in them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Phase",
    "InvalidPhaseError",
    "ACTIVE",
    "FINAL",
    "WAITABLE",
    "require_transition",
    "require_editable",
    "can_transition",
    "parse_phase",
]


class Phase(StrEnum):
    """The ten UWS execution phases."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    UNKNOWN = "UNKNOWN"
    HELD = "HELD"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"


class InvalidPhaseError(Exception):
    """A request that the job's current phase does not allow (HTTP 403 in UWS)."""


#: Phases in which a job holds (or waits for) an executor slot; counted by per-user limits.
ACTIVE = frozenset({Phase.QUEUED, Phase.EXECUTING})
#: Phases a job never leaves (except by destruction).
FINAL = frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED, Phase.ARCHIVED})
#: Phases in which a WAIT request may block (UWS 1.1 §2.2.1.2).
WAITABLE = frozenset({Phase.PENDING, Phase.QUEUED, Phase.EXECUTING})

_ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.PENDING: frozenset({Phase.QUEUED, Phase.ABORTED}),
    Phase.QUEUED: frozenset({Phase.EXECUTING, Phase.ABORTED, Phase.ERROR}),
    Phase.EXECUTING: frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED}),
}


def parse_phase(value: str) -> Phase:
    """The phase named ``value`` (exact, upper case), or ValueError naming the legal ones."""
    try:
        return Phase(value)
    except ValueError:
        raise ValueError(f"unknown phase {value!r}; expected one of {', '.join(p.value for p in Phase)}") from None


def can_transition(current: Phase, target: Phase) -> bool:
    """True when a job in ``current`` may move to ``target``."""
    return target in _ALLOWED.get(current, frozenset())


def require_transition(current: Phase, target: Phase) -> None:
    """Raise InvalidPhaseError unless ``current`` → ``target`` is allowed."""
    if not can_transition(current, target):
        if target is Phase.QUEUED:
            raise InvalidPhaseError(f"a job can only be run from PENDING; this job is {current.value}")
        if target is Phase.ABORTED:
            raise InvalidPhaseError(f"a {current.value} job cannot be aborted; it has already finished")
        raise InvalidPhaseError(f"a job cannot go from {current.value} to {target.value}")


def require_editable(current: Phase, what: str) -> None:
    """Parameters and the execution duration may only change while the job is PENDING."""
    if current is not Phase.PENDING:
        raise InvalidPhaseError(f"{what} can only be changed while the job is PENDING; this job is {current.value}")
