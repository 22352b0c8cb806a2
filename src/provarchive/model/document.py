"""Documents and bundles: ordered containers of records with a builder API.

A :class:`Document` holds namespaces, records in the order they were added and named
bundles. Builder methods (``doc.entity(...)``, ``act.used(...)``) create a record, add
it and return it, so provenance written by hand reads like the story it tells::

    doc = Document(namespaces={"ex": "http://example.org/"})
    raw = doc.entity("ex:raw.fits", name="raw events")
    cal = doc.activity("ex:calibrate-42", name="calibrate")
    cal.used(raw, role="events")
    doc.entity("ex:dl1.fits").generated_by(cal, role="dl1")
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .configuration import ConfigFile, Parameter, WasConfiguredBy
from .descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    DatasetDescription,
    Description,
    EntityDescription,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
    ValueDescription,
)
from .ids import VOPROV, Namespaces, new_id
from .records import (
    Activity,
    Agent,
    Collection,
    DatasetEntity,
    Element,
    Entity,
    Record,
    Relation,
    ValueEntity,
    ref,
)

__all__ = ["Bundle", "Document", "DuplicateIdError"]

R = TypeVar("R", bound=Record)
E = TypeVar("E", bound=Element)


class DuplicateIdError(ValueError):
    """Raised when merging would give one identifier two different records."""


class Bundle:
    """A named set of records with its own namespaces (PROV bundle).

    A :class:`Document` is the top-level bundle. Records are kept in insertion order;
    identified elements are also indexed by id for :meth:`get`.
    """

    __slots__ = ("id", "namespaces", "records", "_index", "parent")

    def __init__(
        self,
        id: str | None = None,
        *,
        namespaces: Mapping[str, str] | Namespaces | None = None,
        default_namespace: str | None = None,
        parent: Bundle | None = None,
    ) -> None:
        self.id = id
        if isinstance(namespaces, Namespaces):
            self.namespaces = namespaces
        else:
            self.namespaces = Namespaces(namespaces, default_namespace)
        self.records: list[Record] = []
        self._index: dict[str, Element] = {}
        self.parent = parent

    # ------------------------------------------------------------------ container

    def add(self, record: R) -> R:
        """Add a record (of any kind) and return it."""
        self.records.append(record)
        if isinstance(record, Element):
            record._bundle = self
            self._index.setdefault(record.id, record)
        return record

    def extend(self, records: Iterable[Record], *, elements: Sequence[Element] | None = None) -> None:
        """Add records in order: the same as :meth:`add` on each, in bulk (readers add 100k).

        A reader that built the records may pass ``elements``: the elements among them,
        in order, each with ``_bundle`` already this bundle. That spares the pass over
        every record to find them (the PROV-JSON decoders know them as they decode;
        ``tests/formats/test_provjson.py`` checks that both ways give the same bundle).
        """
        added = list(records)
        self.records.extend(added)
        if elements is None:
            elements = [record for record in added if isinstance(record, Element)]
            for element in elements:
                element._bundle = self
        index = self._index
        if index:
            for element in elements:
                index.setdefault(element.id, element)
        else:  # the first element with an id wins: assigned last, going backwards
            for element in reversed(elements):
                index[element.id] = element

    def get(self, ident: str) -> Element | None:
        """The first element (entity, activity, agent, description, ...) with this id."""
        return self._index.get(ident)

    def __getitem__(self, ident: str) -> Element:
        try:
            return self._index[ident]
        except KeyError:
            raise KeyError(f"no record with id {ident!r}") from None

    def __contains__(self, ident: object) -> bool:
        return ident in self._index

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def of_type(self, cls: type[R]) -> list[R]:
        """Every record that is an instance of ``cls``."""
        return [r for r in self.records if isinstance(r, cls)]

    @property
    def entities(self) -> list[Entity]:
        return self.of_type(Entity)

    @property
    def activities(self) -> list[Activity]:
        return self.of_type(Activity)

    @property
    def agents(self) -> list[Agent]:
        return self.of_type(Agent)

    @property
    def relations(self) -> list[Relation]:
        return self.of_type(Relation)

    @property
    def descriptions(self) -> list[Description]:
        return self.of_type(Description)

    def add_namespace(self, prefix: str, uri: str) -> str:
        """Declare a namespace; returns the prefix actually bound (see Namespaces.add)."""
        return self.namespaces.add(prefix, uri)

    def use_voprov(self, uri: str = VOPROV, prefix: str = "voprov") -> str:
        """Declare the IVOA namespace (configurable; default the voprov/OPUS URI)."""
        return self.namespaces.add(prefix, uri)

    # -------------------------------------------------------------------- builder

    def _element(self, cls: type[E], ident: str | None, kind: str, **kwargs: Any) -> E:
        return self.add(cls(ident or new_id(kind), **kwargs))

    def entity(self, id: str | None = None, **kwargs: Any) -> Entity:
        """Add an Entity (``name``, ``location``, ``generated_at_time``, ...)."""
        return self._element(Entity, id, "entity", **kwargs)

    def collection(self, id: str | None = None, members: Iterable[Entity | str] = (), **kwargs: Any) -> Collection:
        """Add a Collection and, optionally, its members."""
        coll = self._element(Collection, id, "collection", **kwargs)
        for member in members:
            coll.member(member)
        return coll

    def value_entity(self, id: str | None = None, **kwargs: Any) -> ValueEntity:
        return self._element(ValueEntity, id, "value", **kwargs)

    def dataset_entity(self, id: str | None = None, **kwargs: Any) -> DatasetEntity:
        return self._element(DatasetEntity, id, "dataset", **kwargs)

    def activity(
        self,
        id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        *,
        description: ActivityDescription | str | None = None,
        **kwargs: Any,
    ) -> Activity:
        """Add an Activity, optionally following an ActivityDescription."""
        return self._element(
            Activity, id, "activity", start_time=start_time, end_time=end_time, description=ref(description), **kwargs
        )

    def agent(self, id: str | None = None, **kwargs: Any) -> Agent:
        """Add an Agent (``name``, ``type`` Person/Organization/SoftwareAgent, contact fields)."""
        return self._element(Agent, id, "agent", **kwargs)

    def activity_description(self, id: str | None = None, **kwargs: Any) -> ActivityDescription:
        return self._element(ActivityDescription, id, "activitydescription", **kwargs)

    def entity_description(self, id: str | None = None, **kwargs: Any) -> EntityDescription:
        return self._element(EntityDescription, id, "entitydescription", **kwargs)

    def dataset_description(self, id: str | None = None, **kwargs: Any) -> DatasetDescription:
        return self._element(DatasetDescription, id, "datasetdescription", **kwargs)

    def value_description(self, id: str | None = None, **kwargs: Any) -> ValueDescription:
        return self._element(ValueDescription, id, "valuedescription", **kwargs)

    def usage_description(self, id: str | None = None, **kwargs: Any) -> UsageDescription:
        return self._element(UsageDescription, id, "usagedescription", **kwargs)

    def generation_description(self, id: str | None = None, **kwargs: Any) -> GenerationDescription:
        return self._element(GenerationDescription, id, "generationdescription", **kwargs)

    def parameter_description(self, id: str | None = None, **kwargs: Any) -> ParameterDescription:
        return self._element(ParameterDescription, id, "parameterdescription", **kwargs)

    def config_file_description(self, id: str | None = None, **kwargs: Any) -> ConfigFileDescription:
        return self._element(ConfigFileDescription, id, "configfiledescription", **kwargs)

    def parameter(
        self,
        activity: Activity | str,
        name: str,
        value: Any,
        *,
        id: str | None = None,
        description: ParameterDescription | str | None = None,
        **kwargs: Any,
    ) -> Parameter:
        """Add a Parameter configuring ``activity`` and the WasConfiguredBy linking them."""
        activity_id = ref(activity)
        param = self.add(
            Parameter(
                id or f"{activity_id}_param_{name}",
                name=name,
                value=value,
                description=ref(description),
                **kwargs,
            )
        )
        self.add(WasConfiguredBy(activity_id, param.id, artefact_type="Parameter"))
        return param

    def config_file(
        self,
        activity: Activity | str,
        name: str,
        location: str | None = None,
        *,
        id: str | None = None,
        description: ConfigFileDescription | str | None = None,
        **kwargs: Any,
    ) -> ConfigFile:
        """Add a ConfigFile configuring ``activity`` and the WasConfiguredBy linking them."""
        activity_id = ref(activity)
        cfg = self.add(
            ConfigFile(
                id or f"{activity_id}_config_{name}",
                name=name,
                location=location,
                description=ref(description),
                **kwargs,
            )
        )
        self.add(WasConfiguredBy(activity_id, cfg.id, artefact_type="ConfigFile"))
        return cfg


class Document(Bundle):
    """A provenance document: the top-level bundle plus named bundles."""

    __slots__ = ("bundles",)

    def __init__(
        self,
        *,
        namespaces: Mapping[str, str] | Namespaces | None = None,
        default_namespace: str | None = None,
    ) -> None:
        super().__init__(None, namespaces=namespaces, default_namespace=default_namespace)
        self.bundles: dict[str, Bundle] = {}

    def bundle(self, id: str) -> Bundle:
        """The named bundle ``id``, created if needed (its namespaces inherit ours)."""
        existing = self.bundles.get(id)
        if existing is None:
            existing = Bundle(id, namespaces=Namespaces(default=self.namespaces.default), parent=self)
            self.bundles[id] = existing
        return existing

    def all_records(self) -> Iterator[tuple[Bundle, Record]]:
        """Every record with the bundle it belongs to (the document first)."""
        for record in self.records:
            yield self, record
        for bundle in self.bundles.values():
            for record in bundle.records:
                yield bundle, record

    def count(self) -> int:
        """Number of records, bundles included."""
        return len(self.records) + sum(len(b.records) for b in self.bundles.values())

    def merge(self, other: Document, *, strict: bool = True) -> Document:
        """Add every record of ``other`` to this document and return ``self``.

        Namespaces are reconciled by URI: a prefix of ``other`` bound here to another
        URI is renamed (``ex`` → ``ex_1``) in the merged records. An element whose id
        exists here with the same content is skipped; with different content it is an
        error when ``strict`` (the default), otherwise both are kept for the validator
        to judge.
        """
        from .rename import rename_prefixes  # local: only merge needs it

        renames: dict[str, str] = {}
        for prefix, uri in other.namespaces.declared().items():
            bound = self.namespaces.add(prefix, uri)
            if bound != prefix:
                renames[prefix] = bound
        if other.namespaces.default and not self.namespaces.default:
            self.namespaces.default = other.namespaces.default

        def merge_into(target: Bundle, records: Iterable[Record]) -> None:
            for record in records:
                if renames:
                    record = rename_prefixes(record, renames)
                if isinstance(record, Element):
                    existing = target.get(record.id)
                    if existing is not None:
                        if existing == record:
                            continue
                        if strict:
                            raise DuplicateIdError(f"record {record.id!r} exists with different content; merge refused")
                target.add(record)

        merge_into(self, other.records)
        for bid, bundle in other.bundles.items():
            bid = rename_prefixes_id(bid, renames)
            merge_into(self.bundle(bid), bundle.records)
        return self

    def __repr__(self) -> str:
        return f"<Document {len(self.records)} records, {len(self.bundles)} bundles>"


def rename_prefixes_id(ident: str, renames: Mapping[str, str]) -> str:
    prefix, sep, local = ident.partition(":")
    if sep and prefix in renames:
        return f"{renames[prefix]}:{local}"
    return ident
