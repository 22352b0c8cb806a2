"""ADQL for ProvTAP: translation to SQLite and PostgreSQL behind a strict guard.

The TAP service calls::

    from provarchive.adql import Catalogue, translate, run_query, AdqlError

    catalogue = Catalogue(tables={"provenance.entity": {"id": "TEXT", ...}, ...})
    translation = translate(adql_text, dialect="sqlite", catalogue=catalogue, maxrec=1000)
    result = run_query(connection, translation, timeout=30.0)   # rows, columns, overflow

Every client mistake or refused construct raises :class:`AdqlError` (with line and
column when known); see docs/adql.md.
"""

from .catalogue import DEFAULT_LINEAGE_EDGES, PUBLISHED_SCHEMAS, Catalogue, LineageEdge
from .errors import AdqlError, QueryTimeout
from .examples import EXAMPLES, Example
from .execute import QueryResult, open_sqlite_readonly, run_postgres, run_query, run_sqlite
from .translate import ResultColumn, Translation, translate
from .udf import LINEAGE_FUNCTIONS, UDF_PREFIX, LineageFunction, udf_features

__all__ = [
    "AdqlError",
    "Catalogue",
    "DEFAULT_LINEAGE_EDGES",
    "EXAMPLES",
    "Example",
    "LINEAGE_FUNCTIONS",
    "LineageEdge",
    "LineageFunction",
    "PUBLISHED_SCHEMAS",
    "QueryResult",
    "QueryTimeout",
    "ResultColumn",
    "Translation",
    "UDF_PREFIX",
    "open_sqlite_readonly",
    "run_postgres",
    "run_query",
    "run_sqlite",
    "translate",
    "udf_features",
]
