"""The one place where IVOA ProvenanceDM terms map onto plain W3C PROV statements.

Every serialiser (PROV-JSON, PROV-XML, PROV-N, PROV-O) writes and reads *statements*:
a W3C statement kind (``entity``, ``used``, ...), an optional id, the formal arguments
in PROV-N order and a list of (qualified name, value) attributes. This module turns a
document into statements and statements back into a document, applying the rules of
reference/provdm.md §2:

* ``name`` → ``prov:label``; ``location`` → ``prov:location``; ``comment`` →
  ``voprov:comment``; Used/WasGeneratedBy/WasAssociatedWith ``role`` → ``prov:role``,
  WasAttributedTo ``role`` → ``voprov:role`` (PROV-DM forbids prov:role there).
* IVOA classes without a W3C counterpart are ``entity`` statements typed
  ``prov:type voprov:<Class>`` (ActivityDescription is also a ``prov:Plan``);
  ``Collection`` is ``prov:Collection``; Agent.type is ``prov:Person`` etc.
* An activity's ActivityDescription is written as ``wasAssociatedWith(act, -, desc)``
  (the description is the plan); WasConfiguredBy is ``wasInfluencedBy`` typed
  ``voprov:WasConfiguredBy``; other references are QName-valued ``voprov:`` attributes.
* Entity.generatedAtTime/invalidatedAtTime have no slot on a W3C entity and are kept as
  ``voprov:generatedAtTime``/``voprov:invalidatedAtTime``.

Anything not recognised is kept as an extra attribute, so a W3C document read and
written back is unchanged.

The mapping lives in four modules, along its real dependencies (each imports only
the ones above it), and this module gathers their public names, so that callers
import from ``provarchive.model.w3c`` alone:

* :mod:`~provarchive.model.w3c_tables`: the rules above as data (statement kinds and
  their formal arguments, :class:`Statement`, IVOA class names, the slot table of
  every record class) and the bounded cache of generated code both sides compile;
* :mod:`~provarchive.model.w3c_write`: records → statements (:func:`to_statements`)
  or keyed fields for PROV-JSON (:func:`to_keyed`, :func:`to_keyed_groups`);
* :mod:`~provarchive.model.w3c_read`: statements → records (:func:`from_statements`);
* :mod:`~provarchive.model.w3c_keyed`: the same reading spelled as data, for readers
  that build records without statements (:func:`keyed_kinds`, used by PROV-JSON).
"""

from __future__ import annotations

# The "X as X" names were reachable as w3c.X before the split and are still used so
# (VOPROV, and the bounds of the two code caches, by tests/formats/test_provjson.py);
# the caches are re-exported objects, never rebound, so they stay the same dicts.
from .ids import VOPROV as VOPROV
from .w3c_keyed import _KEYED_KINDS as _KEYED_KINDS
from .w3c_keyed import KeyedClass, KeyedKind, keyed_kinds
from .w3c_read import RawStatement, from_statements
from .w3c_read import is_description as is_description
from .w3c_tables import _CODE as _CODE
from .w3c_tables import CACHE_LIMIT as CACHE_LIMIT
from .w3c_tables import TIME_KEYS as TIME_KEYS
from .w3c_tables import W3C_FORMAL, W3C_KINDS, Statement
from .w3c_write import export_namespaces, to_keyed, to_keyed_groups, to_statements

__all__ = [
    "Statement",
    "W3C_FORMAL",
    "W3C_KINDS",
    "to_statements",
    "to_keyed",
    "to_keyed_groups",
    "from_statements",
    "RawStatement",
    "export_namespaces",
    "KeyedClass",
    "KeyedKind",
    "keyed_kinds",
]
