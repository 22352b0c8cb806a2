"""Initial archive schema: every ProvDM table, relation indexes in both directions.

Generated with alembic autogenerate from provarchive.store.schema at revision 0001 and
frozen here: later schema changes get their own revision, never an edit of this one.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actedonbehalfof",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("delegate", sa.Text(), nullable=False, comment="Identifier of the delegate agent"),
        sa.Column("responsible", sa.Text(), nullable=False, comment="Identifier of the responsible agent"),
        sa.Column("activity", sa.Text(), nullable=True, comment="Identifier of the activity"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_actedonbehalfof"),
        schema="provenance",
        comment="Delegation: an agent acted for another (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_actedonbehalfof_delegate_responsible",
        "actedonbehalfof",
        ["delegate", "responsible"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_actedonbehalfof_responsible_delegate",
        "actedonbehalfof",
        ["responsible", "delegate"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the activity (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Human-readable name"),
        sa.Column(
            "start_time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the activity started (UTC)",
        ),
        sa.Column(
            "end_time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the activity ended (UTC)",
        ),
        sa.Column("comment", sa.Text(), nullable=True, comment="Free-text comment"),
        sa.Column("description", sa.Text(), nullable=True, comment="Identifier of the ActivityDescription followed"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_activity"),
        schema="provenance",
        comment="Activities: processing steps, jobs, observations",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_activity_description", "activity", ["description"], unique=False, schema="provenance")
    op.create_table(
        "activitydescription",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the activity description (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Name of the kind of activity"),
        sa.Column("version", sa.Text(), nullable=True, comment="Version"),
        sa.Column("description", sa.Text(), nullable=True, comment="What it does"),
        sa.Column("docurl", sa.Text(), nullable=True, comment="Documentation URL"),
        sa.Column("type", sa.Text(), nullable=True, comment="Type (Observation, Calibration, Reconstruction, ...)"),
        sa.Column("subtype", sa.Text(), nullable=True, comment="Subtype"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_activitydescription"),
        schema="provenance",
        comment="Activity descriptions: the definitions of kinds of activity (pipeline steps, job definitions)",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_activitydescription_name_version",
        "activitydescription",
        ["name", "version"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "agent",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the agent (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Name of the agent"),
        sa.Column("type", sa.Text(), nullable=True, comment="Person, Organization or SoftwareAgent"),
        sa.Column("comment", sa.Text(), nullable=True, comment="Free-text comment"),
        sa.Column("email", sa.Text(), nullable=True, comment="Contact e-mail"),
        sa.Column("affiliation", sa.Text(), nullable=True, comment="Affiliation"),
        sa.Column("phone", sa.Text(), nullable=True, comment="Telephone"),
        sa.Column("address", sa.Text(), nullable=True, comment="Postal address"),
        sa.Column("url", sa.Text(), nullable=True, comment="Web page"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_agent"),
        schema="provenance",
        comment="Agents: people, organisations and software bearing responsibility",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_agent_name", "agent", ["name"], unique=False, schema="provenance")
    op.create_table(
        "alternateof",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("alternate1", sa.Text(), nullable=False, comment="Identifier of the first entity"),
        sa.Column("alternate2", sa.Text(), nullable=False, comment="Identifier of the second entity"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_alternateof"),
        schema="provenance",
        comment="Alternate: two entities present aspects of the same thing (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_alternateof_alternate1_alternate2",
        "alternateof",
        ["alternate1", "alternate2"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_alternateof_alternate2_alternate1",
        "alternateof",
        ["alternate2", "alternate1"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "bundle",
        sa.Column("id", sa.Text(), nullable=False, comment="Bundle identifier"),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the bundle was first ingested (UTC)",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bundle"),
        schema="provenance",
        comment="Named bundles ingested into the archive",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "configfile",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the configuration file (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Name"),
        sa.Column("location", sa.Text(), nullable=True, comment="Where the file is"),
        sa.Column("comment", sa.Text(), nullable=True, comment="Free-text comment"),
        sa.Column("description", sa.Text(), nullable=True, comment="Identifier of the ConfigFileDescription"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_configfile"),
        schema="provenance",
        comment="Configuration files that configured activities",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_configfile_location", "configfile", ["location"], unique=False, schema="provenance")
    op.create_index("ix_configfile_name", "configfile", ["name"], unique=False, schema="provenance")
    op.create_table(
        "configfiledescription",
        sa.Column(
            "id", sa.Text(), nullable=False, comment="Identifier of the configuration file description (qualified name)"
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column(
            "activity_description",
            sa.Text(),
            nullable=True,
            comment="Identifier of the ActivityDescription it belongs to",
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Name"),
        sa.Column("content_type", sa.Text(), nullable=True, comment="MIME type"),
        sa.Column("description", sa.Text(), nullable=True, comment="What the file configures"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_configfiledescription"),
        schema="provenance",
        comment="Configuration file descriptions of activity descriptions",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_configfiledescription_activity_description",
        "configfiledescription",
        ["activity_description"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "entity",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the entity (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column(
            "kind",
            sa.Text(),
            nullable=True,
            comment="Class of the entity: Entity, Collection, DatasetEntity or ValueEntity",
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Human-readable name"),
        sa.Column("location", sa.Text(), nullable=True, comment="Where the entity is (path or URL)"),
        sa.Column(
            "generated_at_time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the entity was generated (UTC)",
        ),
        sa.Column(
            "invalidated_at_time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the entity was invalidated (UTC)",
        ),
        sa.Column("comment", sa.Text(), nullable=True, comment="Free-text comment"),
        sa.Column("description", sa.Text(), nullable=True, comment="Identifier of the EntityDescription"),
        sa.Column("value", sa.Text(), nullable=True, comment="Value of a ValueEntity (string form)"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_entity"),
        schema="provenance",
        comment="Entities: things (files, values, collections) that activities use and generate",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_entity_description_id", "entity", ["description", "id"], unique=False, schema="provenance")
    op.create_table(
        "entitydescription",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the entity description (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column(
            "kind", sa.Text(), nullable=True, comment="EntityDescription, DatasetDescription or ValueDescription"
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Name of the kind of entity"),
        sa.Column("description", sa.Text(), nullable=True, comment="What it is"),
        sa.Column("docurl", sa.Text(), nullable=True, comment="Documentation URL"),
        sa.Column("type", sa.Text(), nullable=True, comment="Type, e.g. a data level (DL0 ... DL5)"),
        sa.Column("content_type", sa.Text(), nullable=True, comment="MIME type of datasets"),
        sa.Column("value_type", sa.Text(), nullable=True, comment="VOTable datatype of values"),
        sa.Column("unit", sa.Text(), nullable=True, comment="Unit of values"),
        sa.Column("ucd", sa.Text(), nullable=True, comment="UCD of values"),
        sa.Column("utype", sa.Text(), nullable=True, comment="Utype of values"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_entitydescription"),
        schema="provenance",
        comment="Entity descriptions (with the DatasetDescription and ValueDescription attributes)",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_entitydescription_type", "entitydescription", ["type"], unique=False, schema="provenance")
    op.create_table(
        "generationdescription",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the GenerationDescription (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column(
            "activity_description",
            sa.Text(),
            nullable=True,
            comment="Identifier of the ActivityDescription it belongs to",
        ),
        sa.Column("role", sa.Text(), nullable=True, comment="Role of the output"),
        sa.Column("description", sa.Text(), nullable=True, comment="Free-text description"),
        sa.Column("type", sa.Text(), nullable=True, comment="Type (Main, Calibration, Context, ...)"),
        sa.Column("multiplicity", sa.Text(), nullable=True, comment="How many (n, min..max, *)"),
        sa.Column(
            "entity_descriptions", sa.Text(), nullable=True, comment="EntityDescription ids expected (JSON list)"
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_generationdescription"),
        schema="provenance",
        comment="GenerationDescriptions: the output roles an ActivityDescription declares",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_generationdescription_activity_description",
        "generationdescription",
        ["activity_description"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "hadmember",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("collection", sa.Text(), nullable=False, comment="Identifier of the collection"),
        sa.Column("entity", sa.Text(), nullable=False, comment="Identifier of the member entity"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_hadmember"),
        schema="provenance",
        comment="Membership: an entity is a member of a collection",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_hadmember_collection_entity", "hadmember", ["collection", "entity"], unique=False, schema="provenance"
    )
    op.create_index(
        "ix_hadmember_entity_collection", "hadmember", ["entity", "collection"], unique=False, schema="provenance"
    )
    op.create_table(
        "ingest",
        sa.Column("ingest_id", sa.Text(), nullable=False, comment="Identifier of the ingest"),
        sa.Column("source", sa.Text(), nullable=True, comment="Where the document came from (file name, job, ...)"),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When (UTC)",
        ),
        sa.Column("records", sa.Integer(), nullable=True, comment="Records in the document"),
        sa.Column("added", sa.Integer(), nullable=True, comment="Records added"),
        sa.PrimaryKeyConstraint("ingest_id", name="pk_ingest"),
        schema="provenance",
        comment="Log of ingested documents",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "mark",
        sa.Column("record_id", sa.Text(), nullable=False, comment="Marked record"),
        sa.Column("mark", sa.Text(), nullable=False, comment="The mark, e.g. reprocess"),
        sa.Column("note", sa.Text(), nullable=True, comment="Why"),
        sa.Column("marked_by", sa.Text(), nullable=True, comment="Who"),
        sa.Column(
            "marked_at",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When (UTC)",
        ),
        sa.PrimaryKeyConstraint("record_id", "mark", name="pk_mark"),
        schema="provenance",
        comment="Marks put on records (e.g. 'reprocess'); records themselves are never changed",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_mark_mark", "mark", ["mark"], unique=False, schema="provenance")
    op.create_table(
        "mentionof",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("specific_entity", sa.Text(), nullable=False, comment="Identifier of the specific entity"),
        sa.Column("general_entity", sa.Text(), nullable=False, comment="Identifier of the general entity"),
        sa.Column("bundle", sa.Text(), nullable=True, comment="Identifier of the bundle"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_mentionof"),
        schema="provenance",
        comment="Mention: an entity in a bundle is described elsewhere (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_mentionof_general_entity_specific_entity",
        "mentionof",
        ["general_entity", "specific_entity"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_mentionof_specific_entity_general_entity",
        "mentionof",
        ["specific_entity", "general_entity"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "namespace",
        sa.Column("prefix", sa.Text(), nullable=False, comment="Prefix used in stored identifiers"),
        sa.Column("uri", sa.Text(), nullable=False, comment="Namespace URI"),
        sa.PrimaryKeyConstraint("prefix", name="pk_namespace"),
        schema="provenance",
        comment="Namespace prefixes of the identifiers stored in the archive (one URI per prefix)",
        sqlite_with_rowid=False,
    )
    op.create_index("ux_namespace_uri", "namespace", ["uri"], unique=True, schema="provenance")
    op.create_table(
        "parameter",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the parameter (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Parameter name"),
        sa.Column("value", sa.Text(), nullable=True, comment="Parameter value (string form)"),
        sa.Column("description", sa.Text(), nullable=True, comment="Identifier of the ParameterDescription"),
        sa.Column(
            "value_entity", sa.Text(), nullable=True, comment="Identifier of the ValueEntity the value was taken from"
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_parameter"),
        schema="provenance",
        comment="Parameters: named values that configured activities",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_parameter_name_value", "parameter", ["name", "value"], unique=False, schema="provenance")
    op.create_table(
        "parameterdescription",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the parameter description (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column(
            "activity_description",
            sa.Text(),
            nullable=True,
            comment="Identifier of the ActivityDescription it belongs to",
        ),
        sa.Column("name", sa.Text(), nullable=True, comment="Parameter name"),
        sa.Column("value_type", sa.Text(), nullable=True, comment="VOTable datatype"),
        sa.Column("description", sa.Text(), nullable=True, comment="What the parameter does"),
        sa.Column("unit", sa.Text(), nullable=True, comment="Unit"),
        sa.Column("ucd", sa.Text(), nullable=True, comment="UCD"),
        sa.Column("utype", sa.Text(), nullable=True, comment="Utype"),
        sa.Column("min_value", sa.Text(), nullable=True, comment="Minimum value"),
        sa.Column("max_value", sa.Text(), nullable=True, comment="Maximum value"),
        sa.Column("default_value", sa.Text(), nullable=True, comment="Default value"),
        sa.Column("options", sa.Text(), nullable=True, comment="Allowed values (JSON list)"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_parameterdescription"),
        schema="provenance",
        comment="Parameter descriptions of activity descriptions: type, unit, limits, options",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_parameterdescription_activity_description",
        "parameterdescription",
        ["activity_description"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "specializationof",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("specific_entity", sa.Text(), nullable=False, comment="Identifier of the specific entity"),
        sa.Column("general_entity", sa.Text(), nullable=False, comment="Identifier of the general entity"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_specializationof"),
        schema="provenance",
        comment="Specialisation: an entity is a more specific aspect of another",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_specializationof_general_entity_specific_entity",
        "specializationof",
        ["general_entity", "specific_entity"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_specializationof_specific_entity_general_entity",
        "specializationof",
        ["specific_entity", "general_entity"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "usagedescription",
        sa.Column("id", sa.Text(), nullable=False, comment="Identifier of the UsageDescription (qualified name)"),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column(
            "activity_description",
            sa.Text(),
            nullable=True,
            comment="Identifier of the ActivityDescription it belongs to",
        ),
        sa.Column("role", sa.Text(), nullable=True, comment="Role of the input"),
        sa.Column("description", sa.Text(), nullable=True, comment="Free-text description"),
        sa.Column("type", sa.Text(), nullable=True, comment="Type (Main, Calibration, Context, ...)"),
        sa.Column("multiplicity", sa.Text(), nullable=True, comment="How many (n, min..max, *)"),
        sa.Column(
            "entity_descriptions", sa.Text(), nullable=True, comment="EntityDescription ids expected (JSON list)"
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("id", "bundle_id", name="pk_usagedescription"),
        schema="provenance",
        comment="UsageDescriptions: the input roles an ActivityDescription declares",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_usagedescription_activity_description",
        "usagedescription",
        ["activity_description"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "used",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("activity", sa.Text(), nullable=False, comment="Identifier of the activity"),
        sa.Column("entity", sa.Text(), nullable=True, comment="Identifier of the entity used"),
        sa.Column(
            "time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the entity was used (UTC)",
        ),
        sa.Column("role", sa.Text(), nullable=True, comment="Role of the entity"),
        sa.Column("usage_description", sa.Text(), nullable=True, comment="Identifier of the UsageDescription"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_used"),
        schema="provenance",
        comment="Usage: an activity used an entity",
        sqlite_with_rowid=True,
    )
    op.create_index("ix_used_activity_entity", "used", ["activity", "entity"], unique=False, schema="provenance")
    op.create_index("ix_used_entity_activity", "used", ["entity", "activity"], unique=False, schema="provenance")
    op.create_table(
        "wasassociatedwith",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("activity", sa.Text(), nullable=False, comment="Identifier of the activity"),
        sa.Column("agent", sa.Text(), nullable=True, comment="Identifier of the agent"),
        sa.Column("plan", sa.Text(), nullable=True, comment="Identifier of the plan"),
        sa.Column("role", sa.Text(), nullable=True, comment="Role of the agent"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasassociatedwith"),
        schema="provenance",
        comment="Association: an agent had a part in an activity",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasassociatedwith_activity_agent",
        "wasassociatedwith",
        ["activity", "agent"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_wasassociatedwith_agent_activity",
        "wasassociatedwith",
        ["agent", "activity"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "wasattributedto",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("entity", sa.Text(), nullable=False, comment="Identifier of the entity"),
        sa.Column("agent", sa.Text(), nullable=False, comment="Identifier of the agent"),
        sa.Column("role", sa.Text(), nullable=True, comment="Role of the agent"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasattributedto"),
        schema="provenance",
        comment="Attribution: an entity is ascribed to an agent",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasattributedto_agent_entity", "wasattributedto", ["agent", "entity"], unique=False, schema="provenance"
    )
    op.create_index(
        "ix_wasattributedto_entity_agent", "wasattributedto", ["entity", "agent"], unique=False, schema="provenance"
    )
    op.create_table(
        "wasconfiguredby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("activity", sa.Text(), nullable=False, comment="Identifier of the configured activity"),
        sa.Column("artefact", sa.Text(), nullable=False, comment="Identifier of the Parameter or ConfigFile"),
        sa.Column("artefact_type", sa.Text(), nullable=True, comment="Parameter or ConfigFile"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasconfiguredby"),
        schema="provenance",
        comment="Configuration: a parameter or configuration file configured an activity",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasconfiguredby_activity_artefact",
        "wasconfiguredby",
        ["activity", "artefact"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_wasconfiguredby_artefact_activity",
        "wasconfiguredby",
        ["artefact", "activity"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "wasderivedfrom",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("generated_entity", sa.Text(), nullable=False, comment="Identifier of the derived entity"),
        sa.Column("used_entity", sa.Text(), nullable=False, comment="Identifier of the source entity"),
        sa.Column("activity", sa.Text(), nullable=True, comment="Identifier of the activity"),
        sa.Column("generation", sa.Text(), nullable=True, comment="Identifier of the generation"),
        sa.Column("usage", sa.Text(), nullable=True, comment="Identifier of the usage"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasderivedfrom"),
        schema="provenance",
        comment="Derivation: an entity was derived from another",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasderivedfrom_generated_entity_used_entity",
        "wasderivedfrom",
        ["generated_entity", "used_entity"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_wasderivedfrom_used_entity_generated_entity",
        "wasderivedfrom",
        ["used_entity", "generated_entity"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "wasendedby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("activity", sa.Text(), nullable=False, comment="Identifier of the ended activity"),
        sa.Column("trigger", sa.Text(), nullable=True, comment="Identifier of the trigger entity"),
        sa.Column("ender", sa.Text(), nullable=True, comment="Identifier of the ending activity"),
        sa.Column(
            "time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When (UTC)",
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasendedby"),
        schema="provenance",
        comment="End: an activity was ended by a trigger entity (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasendedby_activity_trigger", "wasendedby", ["activity", "trigger"], unique=False, schema="provenance"
    )
    op.create_index(
        "ix_wasendedby_trigger_activity", "wasendedby", ["trigger", "activity"], unique=False, schema="provenance"
    )
    op.create_table(
        "wasgeneratedby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("entity", sa.Text(), nullable=False, comment="Identifier of the entity generated"),
        sa.Column("activity", sa.Text(), nullable=True, comment="Identifier of the activity"),
        sa.Column(
            "time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When the entity was generated (UTC)",
        ),
        sa.Column("role", sa.Text(), nullable=True, comment="Role of the entity"),
        sa.Column(
            "generation_description", sa.Text(), nullable=True, comment="Identifier of the GenerationDescription"
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasgeneratedby"),
        schema="provenance",
        comment="Generation: an entity was generated by an activity",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasgeneratedby_activity_entity", "wasgeneratedby", ["activity", "entity"], unique=False, schema="provenance"
    )
    op.create_index(
        "ix_wasgeneratedby_entity_activity", "wasgeneratedby", ["entity", "activity"], unique=False, schema="provenance"
    )
    op.create_table(
        "wasinfluencedby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("influencee", sa.Text(), nullable=False, comment="Identifier of the influenced record"),
        sa.Column("influencer", sa.Text(), nullable=False, comment="Identifier of the influencing record"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasinfluencedby"),
        schema="provenance",
        comment="Influence: generic influence between records (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasinfluencedby_influencee_influencer",
        "wasinfluencedby",
        ["influencee", "influencer"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_wasinfluencedby_influencer_influencee",
        "wasinfluencedby",
        ["influencer", "influencee"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "wasinformedby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("informed", sa.Text(), nullable=False, comment="Identifier of the informed activity"),
        sa.Column("informant", sa.Text(), nullable=False, comment="Identifier of the informant activity"),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasinformedby"),
        schema="provenance",
        comment="Communication: an activity used an entity another activity generated",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasinformedby_informant_informed",
        "wasinformedby",
        ["informant", "informed"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_wasinformedby_informed_informant",
        "wasinformedby",
        ["informed", "informant"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "wasinvalidatedby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("entity", sa.Text(), nullable=False, comment="Identifier of the invalidated entity"),
        sa.Column("activity", sa.Text(), nullable=True, comment="Identifier of the activity"),
        sa.Column(
            "time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When (UTC)",
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasinvalidatedby"),
        schema="provenance",
        comment="Invalidation: an entity was invalidated by an activity (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasinvalidatedby_activity_entity",
        "wasinvalidatedby",
        ["activity", "entity"],
        unique=False,
        schema="provenance",
    )
    op.create_index(
        "ix_wasinvalidatedby_entity_activity",
        "wasinvalidatedby",
        ["entity", "activity"],
        unique=False,
        schema="provenance",
    )
    op.create_table(
        "wasstartedby",
        sa.Column(
            "rkey",
            sa.Text(),
            nullable=False,
            comment="Content digest of the relation (the same relation is stored once)",
        ),
        sa.Column(
            "bundle_id", sa.Text(), nullable=False, comment="Bundle holding the record; empty for the document itself"
        ),
        sa.Column("id", sa.Text(), nullable=True, comment="Optional identifier of the relation"),
        sa.Column("activity", sa.Text(), nullable=False, comment="Identifier of the started activity"),
        sa.Column("trigger", sa.Text(), nullable=True, comment="Identifier of the trigger entity"),
        sa.Column("starter", sa.Text(), nullable=True, comment="Identifier of the starting activity"),
        sa.Column(
            "time",
            sa.DateTime(timezone=True).with_variant(sa.String(length=32), "sqlite"),
            nullable=True,
            comment="When (UTC)",
        ),
        sa.Column(
            "attributes", sa.Text(), nullable=True, comment="Other attributes: JSON list of [name, type tag, value]"
        ),
        sa.PrimaryKeyConstraint("rkey", name="pk_wasstartedby"),
        schema="provenance",
        comment="Start: an activity was started by a trigger entity (W3C PROV)",
        sqlite_with_rowid=True,
    )
    op.create_index(
        "ix_wasstartedby_activity_trigger", "wasstartedby", ["activity", "trigger"], unique=False, schema="provenance"
    )
    op.create_index(
        "ix_wasstartedby_trigger_activity", "wasstartedby", ["trigger", "activity"], unique=False, schema="provenance"
    )


def downgrade() -> None:
    raise NotImplementedError("the archive schema cannot be downgraded below its first revision")
