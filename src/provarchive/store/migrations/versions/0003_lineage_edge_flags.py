"""Flags on ``lineage_edge``: whether the node an edge leads to has edges of its own.

``parent_has_parents`` (the parent is the child of some edge) rides in the key's b-tree
(PostgreSQL ``INCLUDE``; SQLite's WITHOUT ROWID table holds it anyway) and
``child_has_children`` (the child is the parent of some edge) in the reverse index, so
a walk reads a node's flag with the probe that finds it, and adds a raw file or a final
product to its result without probing it again (store/lineage.py). A third of the
probes of a science product's ancestors were for such nodes.

Both backends rebuild the table from the relations, as 0002 filled it, and compute the
flags from the edges in the same statement; ingest keeps them up to date afterwards.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (relation table, child column, parent column): frozen copy of schema.LINEAGE_SOURCES.
_SOURCES = (
    ("wasgeneratedby", "entity", "activity"),
    ("used", "activity", "entity"),
    ("wasderivedfrom", "generated_entity", "used_entity"),
    ("wasinformedby", "informed", "informant"),
)
_CHILD_COMMENT = (
    "The later node: the entity generated, the activity that used, the derived entity or the informed activity"
)
_PARENT_COMMENT = "The node it depends on: the generating activity, the entity used, the source entity or the informant"
_TABLE_COMMENT = (
    "The lineage graph, derived from used, wasGeneratedBy, wasDerivedFrom and wasInformedBy: one row per "
    "(later node, node it depends on), whatever relations and bundles state it. Maintained by ingest; "
    "walk it child to parent for ancestors, parent to child for descendants"
)


def _relation_edges() -> str:
    """Every (child, parent) pair the relations state, once."""
    return " UNION ".join(
        f"SELECT {child} AS child, {parent} AS parent FROM provenance.{table} "
        f"WHERE {child} IS NOT NULL AND {parent} IS NOT NULL"
        for table, child, parent in _SOURCES
    )


def _drop() -> None:
    for name in ("ix_lineage_edge_parent_child_child_has_children", "ix_lineage_edge_parent_child"):
        op.execute(f"DROP INDEX IF EXISTS provenance.{name}")
    op.drop_table("lineage_edge", schema="provenance")


def upgrade() -> None:
    _drop()
    op.create_table(
        "lineage_edge",
        sa.Column("child", sa.Text(), nullable=False, comment=_CHILD_COMMENT),
        sa.Column("parent", sa.Text(), nullable=False, comment=_PARENT_COMMENT),
        sa.Column(
            "parent_has_parents",
            sa.Integer(),
            nullable=False,
            comment="1 when the parent is itself the child of some edge (has lineage of its own), else 0",
        ),
        sa.Column(
            "child_has_children",
            sa.Integer(),
            nullable=False,
            comment="1 when the child is itself the parent of some edge (something depends on it), else 0",
        ),
        sa.PrimaryKeyConstraint("child", "parent", name="pk_lineage_edge", postgresql_include=["parent_has_parents"]),
        schema="provenance",
        comment=_TABLE_COMMENT,
        sqlite_with_rowid=False,
    )
    # the flags from the edges themselves, joined with the nodes that have parents and
    # those that have children: hash or merge joins, linear in the edges. (With
    # ``parent IN (SELECT child FROM edge)`` PostgreSQL gives up the hashed subplan once
    # the list outgrows work_mem and rereads the list for every edge: hours at 1M edges.)
    op.execute(
        "INSERT INTO provenance.lineage_edge (child, parent, parent_has_parents, child_has_children) "
        f"WITH edge AS ({_relation_edges()}), "
        "with_parents AS (SELECT DISTINCT child AS node FROM edge), "
        "with_children AS (SELECT DISTINCT parent AS node FROM edge) "
        "SELECT e.child, e.parent, "
        "CASE WHEN p.node IS NULL THEN 0 ELSE 1 END, CASE WHEN c.node IS NULL THEN 0 ELSE 1 END "
        "FROM edge AS e LEFT JOIN with_parents AS p ON p.node = e.parent "
        "LEFT JOIN with_children AS c ON c.node = e.child "
        "ORDER BY e.child, e.parent"
    )
    op.create_index(
        "ix_lineage_edge_parent_child_child_has_children",
        "lineage_edge",
        ["parent", "child", "child_has_children"],
        unique=False,
        schema="provenance",
    )


def downgrade() -> None:
    _drop()
    op.create_table(
        "lineage_edge",
        sa.Column("child", sa.Text(), nullable=False, comment=_CHILD_COMMENT),
        sa.Column("parent", sa.Text(), nullable=False, comment=_PARENT_COMMENT),
        sa.PrimaryKeyConstraint("child", "parent", name="pk_lineage_edge"),
        schema="provenance",
        comment=_TABLE_COMMENT,
        sqlite_with_rowid=False,
    )
    op.execute(f"INSERT INTO provenance.lineage_edge (child, parent) {_relation_edges()}")
    op.create_index(
        "ix_lineage_edge_parent_child", "lineage_edge", ["parent", "child"], unique=False, schema="provenance"
    )
