"""The lineage graph in one table: ``lineage_edge(child, parent)``, derived at ingest.

A lineage step used to probe four relation tables (used, wasGeneratedBy,
wasDerivedFrom, wasInformedBy); with one narrow table and a covering b-tree each way
it is one index probe (reference/platform.md §6). The table is filled here from the
relations already stored, then kept up to date by every ingest in its transaction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: (relation table, child column, parent column): frozen copy of schema.LINEAGE_SOURCES.
_SOURCES = (
    ("wasgeneratedby", "entity", "activity"),
    ("used", "activity", "entity"),
    ("wasderivedfrom", "generated_entity", "used_entity"),
    ("wasinformedby", "informed", "informant"),
)


def upgrade() -> None:
    op.create_table(
        "lineage_edge",
        sa.Column(
            "child",
            sa.Text(),
            nullable=False,
            comment="The later node: the entity generated, the activity that used, the derived entity or the "
            "informed activity",
        ),
        sa.Column(
            "parent",
            sa.Text(),
            nullable=False,
            comment="The node it depends on: the generating activity, the entity used, the source entity or the "
            "informant",
        ),
        sa.PrimaryKeyConstraint("child", "parent", name="pk_lineage_edge"),
        schema="provenance",
        comment="The lineage graph, derived from used, wasGeneratedBy, wasDerivedFrom and wasInformedBy: one row "
        "per (later node, node it depends on), whatever relations and bundles state it. Maintained by ingest; "
        "walk it child to parent for ancestors, parent to child for descendants",
        sqlite_with_rowid=False,
    )
    # fill from what is stored, then index the other way (faster than indexing as rows arrive)
    union = " UNION ".join(
        f"SELECT {child}, {parent} FROM provenance.{table} WHERE {child} IS NOT NULL AND {parent} IS NOT NULL"
        for table, child, parent in _SOURCES
    )
    op.execute(f"INSERT INTO provenance.lineage_edge (child, parent) {union}")
    op.create_index(
        "ix_lineage_edge_parent_child", "lineage_edge", ["parent", "child"], unique=False, schema="provenance"
    )


def downgrade() -> None:
    op.drop_index("ix_lineage_edge_parent_child", table_name="lineage_edge", schema="provenance")
    op.drop_table("lineage_edge", schema="provenance")
