"""PROV-JSON writing: records → PROV-JSON bytes (the reader is :mod:`.provjson_reader`).

Two paths write the same bytes:

* :func:`dumps_tree`, the reference: the records are filed as plain dicts by kind and
  id (:func:`~provarchive.model.w3c.to_keyed_groups`) and orjson encodes the tree.
  It writes indented output and every document the text path gives up on, and it
  raises every error, so errors are the same whatever the path.
* :func:`dumps` writes the JSON text straight from the records, with code generated
  from the shared IVOA ↔ W3C plans (:class:`~provarchive.model.w3c_write.RecordPlans`;
  see :class:`_ContainerWriter`): keys are written pre-quoted and a plain string value
  as it is. At 100k records, building and freeing the dict tree took two thirds of
  the writing time, and orjson was slow on it (its strings are the records' own,
  spread over memory).

A ``str`` written as it is gives orjson's bytes unless it holds ``"``, ``\\`` or a
control character (orjson writes non-ASCII as UTF-8, without ``\\u`` escapes, and so
do we). ``"`` is looked for in each value (it also ends the value, so no count over
the text could tell); the other two never appear in the text we write ourselves, so
they are looked for once in the whole output. Values that are not plain strings
(datetimes, typed values, a string holding ``"``) are encoded by orjson one by one,
and the backslashes of its escapes are counted, so that the search over the output
can tell them from a raw one. A record whose fields the text path cannot write
exactly (an extra attribute whose name the plan also writes, an id that is not a
plain string) is written from the reference path's dict for that record, in its
place; a document with an id repeated in one kind (a JSON array) is the reference's.
``tests/formats/test_provjson_write.py`` checks that both paths write the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson

from ..model.document import Bundle, Document
from ..model.ids import VOPROV, Literal, QName
from ..model.records import Activity, Record
from ..model.w3c import TIME_KEYS, to_keyed_groups
from ..model.w3c_tables import CACHE_LIMIT
from ..model.w3c_write import RecordPlans, export_namespaces
from ..util import paused_gc
from .accel import ACCEL, slot_offset
from .typed_values import double_text, int_datatype

__all__ = ["dumps", "dumps_tree"]

#: The bytes JSON escapes that never appear in the text the writers write themselves.
_ESCAPED_BYTES = bytes(range(32)) + b"\\"

#: The compiled record loop and output search (``_provjson_accel/write.c``), or None:
#: the generated Python writes the records and ``bytes`` methods search the output.
_ACCEL = ACCEL


# ------------------------------------------------------------ the reference: a dict tree


def dumps_tree(doc: Document, *, indent: bool = False, voprov_uri: str = VOPROV) -> bytes:
    """``doc`` as PROV-JSON through a tree of plain dicts encoded by orjson (the reference)."""
    with paused_gc():
        container = _encode_container(doc, None, voprov_uri)
        if doc.bundles:
            container["bundle"] = {bid: _encode_container(b, doc, voprov_uri) for bid, b in doc.bundles.items()}
        option = orjson.OPT_INDENT_2 if indent else 0
        data = orjson.dumps(container, option=option)
        # freed while the collector is paused, so that it does not walk the dicts on waking
        del container
    return data


def _prefixes(namespaces: Any, parent: Document | None) -> dict[str, str]:
    """The ``prefix`` map of a container: the declared prefixes, and ``default`` unless
    a bundle inherits the same default namespace from its document."""
    prefixes: dict[str, str] = dict(namespaces.declared())
    default = namespaces.default
    if default is not None and (parent is None or parent.namespaces.default != default):
        prefixes["default"] = default
    return prefixes


def _encode_container(bundle: Bundle, parent: Document | None, voprov_uri: str = VOPROV) -> dict[str, Any]:
    namespaces, groups = to_keyed_groups(bundle, _encode_value, voprov_uri=voprov_uri)
    container: dict[str, Any] = {}
    prefixes = _prefixes(namespaces, parent)
    if prefixes:
        container["prefix"] = prefixes
    container.update(groups)
    return container


def _encode_value(value: Any) -> Any:
    """The PROV-JSON form of an attribute value that is not a plain str."""
    kind = type(value)
    if kind is QName:
        return {"$": str(value), "type": "xsd:QName"}
    if kind is bool:
        return value
    if kind is int:
        return {"$": str(value), "type": int_datatype(value)}
    if kind is float:
        return {"$": double_text(value), "type": "xsd:double"}
    if kind is datetime:
        return {"$": value, "type": "xsd:dateTime"}
    if kind is Literal:
        if value.lang:
            return {"$": value.value, "lang": value.lang}
        if value.datatype is None or value.datatype == "xsd:string":
            return value.value
        return {"$": value.value, "type": value.datatype}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return {"$": value.isoformat(), "type": "xsd:dateTime"}
    raise TypeError(f"cannot write a {kind.__name__} attribute value ({value!r}) in PROV-JSON")


# ------------------------------------------------------------ the text, straight from records


def dumps(doc: Document, *, indent: bool = False, voprov_uri: str = VOPROV, **_options: Any) -> bytes:
    """The PROV-JSON bytes of ``doc`` (UTF-8), indented by two spaces if ``indent``.

    Written as text straight from the records (the same bytes as :func:`dumps_tree`,
    which writes indented output, every document the text writer gives up on, and
    raises every error).
    """
    if indent:
        return dumps_tree(doc, indent=True, voprov_uri=voprov_uri)
    with paused_gc():
        try:
            data = _TextWriter(voprov_uri).document(doc)
        except Exception:  # noqa: BLE001 - errors are the reference path's to raise, with its messages
            data = None
    if data is None:
        return dumps_tree(doc, voprov_uri=voprov_uri)
    return data


class _GiveUp(Exception):
    """The document must be written by :func:`dumps_tree` (see :class:`_ContainerWriter`)."""


class _TextWriter:
    """Writes one document as PROV-JSON bytes; counts the backslashes orjson's escapes wrote."""

    def __init__(self, voprov_uri: str) -> None:
        self.voprov_uri = voprov_uri
        #: Backslashes in the values encoded by :meth:`json` (all of them escapes).
        self.escapes = 0

    def json(self, value: Any) -> str:
        """``value`` as orjson writes it (for values a writer does not write itself)."""
        text = orjson.dumps(value).decode()
        if "\\" in text:
            self.escapes += text.count("\\")
        return text

    def document(self, doc: Document) -> bytes | None:
        """The bytes of ``doc``, or None if :func:`dumps_tree` must write it."""
        pieces = self.members(doc, None)
        if doc.bundles:
            bundles: list[bytes | bytearray | memoryview] = []
            for bundle_id, bundle in doc.bundles.items():
                bundles.append(f",{self.json(bundle_id)}:{{".encode())
                bundles += _first(self.members(bundle, doc))
                bundles.append(b"}")
            pieces += [b',"bundle":{', *_first(bundles), b"}"]
        data = b"".join([b"{", *_first(pieces), b"}"])
        pieces.clear()
        if _unexpected_escapes(data, self.escapes):
            return None  # a raw backslash or control character in a value written as it is
        return data

    def members(self, bundle: Bundle, parent: Document | None) -> list[bytes | bytearray | memoryview]:
        """The members of one container (``prefix`` and one map per kind), as pieces of
        UTF-8 text each starting with the comma that separates it from the one before."""
        writer = _ContainerWriter(self, bundle.namespaces, self.voprov_uri)
        try:
            groups = writer.write(bundle.records)
            used_vp = writer.used_vp
        finally:
            writer.release()
        prefixes = _prefixes(export_namespaces(bundle.namespaces, used_vp, self.voprov_uri), parent)
        pieces: list[bytes | bytearray | memoryview] = [f',"prefix":{self.json(prefixes)}'.encode()] if prefixes else []
        for kind, text in groups:
            pieces += [f',"{kind}":{{'.encode(), *_first([text]), b"}"]
        return pieces


def _first(pieces: list[bytes | bytearray | memoryview]) -> list[bytes | bytearray | memoryview]:
    """``pieces`` (each starting with a separating comma) without the first one's comma."""
    if pieces:
        pieces[0] = memoryview(pieces[0])[1:]
    return pieces


#: The bytes JSON escapes, each on its own (see :func:`_unexpected_escapes`).
_ESCAPED_EACH = tuple(bytes([byte]) for byte in _ESCAPED_BYTES)


def _unexpected_escapes(data: bytes, escapes: int) -> bool:
    """Whether ``data`` holds a control character, or more backslashes than the
    ``escapes`` orjson wrote (a raw one in a value written as it is).

    The compiled search reads the text once, 8 bytes at a time (2 ms per 12 MB). In
    Python: without escapes, one byte search per character (memchr) instead of a
    translation (a copy of the text); with escapes, control characters and backslashes
    are counted together, which tells the same (orjson writes no raw control character:
    each of its escapes has its backslash)."""
    if _ACCEL is not None:
        return bool(_ACCEL.unexpected_escapes(data, escapes))
    if escapes == 0:
        return any(byte in data for byte in _ESCAPED_EACH)
    return len(data) - len(data.translate(None, _ESCAPED_BYTES)) != escapes


#: Compiled writer functions with the constants they need (see
#: :meth:`_ContainerWriter._generate`), by the classes and kinds they write and the
#: voprov prefix (which input chooses: bounded as the model's caches).
_GENERATED: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}


class _ContainerWriter:
    """Writes the records of one container as UTF-8 text, one bytearray per kind.

    One function is generated per container, from the plans of the record classes
    it holds (the plans :func:`~provarchive.model.w3c.to_keyed_groups` is generated
    from): a loop over the records with, per class, the code writing one record: its
    fields in the plan's order, each ``"key":value`` if its value is there, put
    together by one f-string, and the record ``,"id":{fields}`` added, encoded, to the
    bytearray of its kind (a local variable, grown in place: no object per record to
    keep, join and free, and the output is joined from these without another copy of
    the text). A statement without an id is keyed ``_:idN``, N
    counting those statements over all kinds. Kinds come in the order the reference
    makes them: at the first record of each class, or at an activity's first plan
    association.

    What the reference does differently is left to it: a record whose fields the plan
    cannot write exactly is written from its own dict (:meth:`careful`); two records
    sharing an id in one kind (a JSON array under the id), or a named id ``_:...`` in
    a kind with anonymous statements (the reference skips the keys already taken when
    numbering) give the document up (:class:`_GiveUp`).
    """

    def __init__(self, text: _TextWriter, namespaces: Any, voprov_uri: str) -> None:
        self.text = text
        self.plans = RecordPlans(namespaces, voprov_uri)
        #: The named ids filed in each kind, in order (checked for repeats at the end:
        #: one set made then costs less than a lookup and an insertion per record).
        self.named: dict[str, list[str]] = {}
        self._scope: dict[str, Any] = {}

    def write(self, records: list[Record]) -> list[tuple[str, bytearray]]:
        """The UTF-8 text of each kind (its statements, each after a comma), in the reference's order."""
        if not records:
            return []
        # classes in the order they come, and how often
        counts = Counter(map(type, records)) if _ACCEL is None else _ACCEL.count_types(records)
        kinds = list(dict.fromkeys(self.plans.plan(cls)[0] for cls in counts))
        if Activity in counts and _PLANS not in kinds:
            kinds.append(_PLANS)
        # the most frequent class tested first
        classes = sorted(counts, key=counts.__getitem__, reverse=True)
        texts, before_plans = None, None
        if _ACCEL is not None:
            texts, before_plans = self._write_compiled(records, classes, kinds)
        if texts is None:
            texts, before_plans = self._generate(classes, kinds)(records)
        by_kind = dict(zip(kinds, texts, strict=True))
        if before_plans is not None:  # the first plan association made its kind
            first = [kind for kind, filed in zip(kinds, before_plans, strict=True) if filed]
            kinds = [*first, _PLANS, *(kind for kind in kinds if kind != _PLANS and kind not in first)]
        groups = [(kind, by_kind[kind]) for kind in kinds if by_kind[kind]]
        for kind, text in groups:
            named = self.named.get(kind, [])
            if len(set(named)) != len(named):
                raise _GiveUp(kind)  # an id filed twice
            if b'"_:id' in text:  # named ids "_:id..." and more keys "_:id...": anonymous statements too
                odd = sum(1 for ident in named if ident.startswith("_:id"))
                if odd and text.count(b'"_:id') > odd:
                    raise _GiveUp(kind)
        return groups

    @property
    def used_vp(self) -> bool:
        """Whether a voprov name was written (the prefix is then declared)."""
        return self.plans.used_vp or bool(self._scope.get("VP"))

    def release(self) -> None:
        """Drop the generated function (it and its namespace refer to each other)."""
        self._scope.clear()
        self.plans.release()

    def statement(self, kind: str, ident: Any, fields: dict[str, Any], n: int) -> tuple[int, str]:
        """The text of a statement from the reference's fields, ``n`` statements
        without an id so far (returned counting this one)."""
        body = self.text.json(fields)
        if ident is None:
            n += 1
            return n, f',"_:id{n}":{body}'
        if type(ident) is not str:
            ident = str(ident)
        self.named.setdefault(kind, []).append(ident)
        return n, f",{self.text.json(ident)}:{body}"

    def careful(self, record: Record, n: int) -> tuple[int, str]:
        """The text of ``record``'s own statement from the reference's dict (the
        statements after it, an activity's plan association, come from :meth:`associate`)."""
        kind, ident, fields = self.plans.keyed(record, _encode_value)[0]
        return self.statement(kind, ident, fields, n)

    def associate(self, activity: Activity, n: int) -> tuple[int, str]:
        """The text of the statements an activity makes after its own: its plan
        association (a wasAssociatedWith, as w3c_write files it)."""
        text = ""
        for kind, ident, fields in self.plans.keyed(activity, _encode_value)[1:]:
            n, piece = self.statement(kind, ident, fields, n)
            text += piece
        return n, text

    def extras(self, attributes: list[tuple[Any, Any]], taken: frozenset[str]) -> str | None:
        """The text of a record's extra attributes, or None if the record must be written
        by :meth:`careful`: a name the plan may write too, a name repeated (a JSON array),
        a name that is not a plain string or holds ``"``."""
        names = [name for name, _value in attributes]
        for name in names:
            if type(name) is not str or '"' in name or name in taken:
                return None
        if len(names) > 1 and len(set(names)) != len(names):
            return None
        json = self.text.json
        return "".join(
            [
                f',"{name}":"{value}"'
                if type(value) is str and '"' not in value
                else f',"{name}":' + json(value if type(value) is str else _encode_value(value))
                for name, value in attributes
            ]
        )

    def values(self, values: Iterable[Any], qualified: bool) -> str:
        """The JSON of a list slot: one value as it is, several as an array, none ''."""
        json = self.text.json
        texts = [
            json(_encode_value(QName(x)) if qualified else x if type(x) is str else _encode_value(x)) for x in values
        ]
        if len(texts) == 1:
            return texts[0]
        return f"[{','.join(texts)}]" if texts else ""

    def _write_compiled(self, records: list[Record], classes: list[type[Record]], kinds: list[str]) -> tuple[Any, Any]:
        """What the generated function returns, written by the compiled record loop
        (``_provjson_accel/write.c``) from one spec per class (:func:`_fields`); a record of
        a class without a spec, or one the loop cannot write exactly, is written by
        :meth:`careful` in its place. ``(None, None)`` if the loop cannot take these
        classes (an activity without a spec: its plan association is the loop's)."""
        assert _ACCEL is not None
        vp = self.plans.vp
        kind_of = {cls: kinds.index(self.plans.plan(cls)[0]) for cls in classes}
        specs: dict[type[Record], tuple[Any, ...]] = {}
        for cls in classes:
            spec = _fields(cls, self.plans, vp)
            if spec is not None:
                fields, taken = spec
                kind = self.plans.plan(cls)[0]
                description = slot_offset(Activity, "description") if cls is Activity else -1
                specs[cls] = (kind_of[cls], self.named.setdefault(kind, []), fields, taken, description)
            elif cls is Activity:
                return None, None
        careful = self.careful

        def slow(record: Record, n: int) -> tuple[int, int, str]:
            n, text = careful(record, n)
            return n, kind_of[type(record)], text

        plans_kind = kinds.index(_PLANS) if _PLANS in kinds else 0
        n, vp_written, texts, before_plans = _ACCEL.write_records(
            records, specs, len(kinds), plans_kind, slow, self.extras, self.associate, _ID_OFFSET, _ATTRS_OFFSET, 0
        )
        if vp_written:
            self._scope["VP"] = True
        return texts, before_plans

    def _generate(self, classes: list[type[Record]], kinds: list[str]) -> Callable[..., Any]:
        """The function writing records of ``classes`` into one bytearray per kind of ``kinds``:
        ``write(records) -> (texts, before_plans)``, ``before_plans`` saying which kinds
        had statements when the first plan association made its kind (or None).

        Its code depends only on the classes, the kinds and the voprov prefix, and is
        kept: making it takes about as long as writing a thousand records."""
        key = (tuple(classes), tuple(kinds), self.plans.vp)
        generated = _GENERATED.get(key)
        if generated is None:
            if len(_GENERATED) >= CACHE_LIMIT:
                _GENERATED.clear()
            constants: dict[str, Any] = {"VP": False}
            source = self._source(classes, kinds, constants)
            generated = _GENERATED[key] = (compile(source, "<PROV-JSON writer>", "exec"), constants)
        code, constants = generated
        scope = self._scope
        scope.update(constants)
        scope.update(
            QName=QName,
            datetime=datetime,
            dumps=orjson.dumps,
            json=self.text.json,
            enc=_encode_value,
            extras=self.extras,
            values=self.values,
            careful=self.careful,
            associate=self.associate,
        )
        for c, cls in enumerate(classes):
            scope[f"C{c}"] = cls
            scope[f"named{c}"] = self.named.setdefault(self.plans.plan(cls)[0], []).append
        exec(code, scope)  # noqa: S102
        return scope["write"]  # type: ignore[no-any-return]

    def _source(self, classes: list[type[Record]], kinds: list[str], constants: dict[str, Any]) -> str:
        """The source of the function :meth:`_generate` makes; ``constants`` receives the
        values its code refers to."""
        k = ", ".join(f"k{i}" for i in range(len(kinds)))
        lines = [
            "def write(records):",
            "    global VP",
            "    n = 0",
            "    before_plans = None",
            *[f"    k{i} = bytearray()" for i in range(len(kinds))],
            "    for r in records:",
            "        cls = type(r)",
        ]
        for c, cls in enumerate(classes):
            kind = self.plans.plan(cls)[0]
            lines.append(f"        {'el' if c else ''}if cls is C{c}:")
            code = self._record_code(c, cls, f"k{kinds.index(kind)}", constants)
            if cls is Activity:  # the plan association follows the activity
                plans = f"k{kinds.index(_PLANS)}"
                code += [
                    "if r.description is not None:",
                    f"    if before_plans is None and not {plans}:",
                    f"        before_plans = ({''.join(f'len(k{i}) > 0, ' for i in range(len(kinds)))})",
                    "    n, text = associate(r, n)",
                    f"    {plans} += text.encode()",
                ]
            lines += ["            " + line for line in code]
        lines.append(f"    return ({k},), before_plans")
        return "\n".join(lines) + "\n"

    def _record_code(self, c: int, cls: type[Record], out: str, constants: dict[str, Any]) -> list[str]:
        """The code adding one record ``r`` of ``cls`` (class number ``c``) to the string
        ``out``; ``constants`` receives the values it refers to."""
        careful = ["n, text = careful(r, n)", f"{out} += text.encode()"]
        fields = _keys(cls, self.plans)
        taken = _written_keys(fields)
        if taken is None:
            return careful
        constants[f"TAKEN{c}"] = taken
        # Per field, a local f<j> holds its text ('' when it is not written). The first
        # field's text has no comma; when it is not written (f0 empty), the text of the
        # first written one starts with a comma, cut off there.
        lines: list[str] = []
        pieces: list[str] = []
        lead = False
        for j, (key, expr, how, guard, is_vp) in enumerate(fields):
            head = f'"{key}":' if j == 0 else f',"{key}":'
            mark = ["    VP = True"] if is_vp else []
            absent = [f"    f{j} = ''"]
            if how == "c":
                try:  # a constant: its text made once
                    constant = eval(expr, {"QName": QName})  # noqa: S307 - the plan's own expression
                except NameError:  # it depends on the record
                    pass
                else:
                    text = head + orjson.dumps(_encode_value(constant)).decode()
                    if "\\" in text:
                        return careful
                    pieces.append(text.replace("{", "{{").replace("}", "}}"))
                    constants["VP"] = constants["VP"] or is_vp
                    continue
            pieces.append(f"{{f{j}}}")
            lead = lead or j == 0
            if how == "l" or how == "ql":
                # (a voprov name counts as written even for an empty list, as in to_keyed_groups)
                body = [f"v = values({expr}, {how == 'ql'})", *[m.strip() for m in mark], "if v:"]
                body += [f"    f{j} = {head!r} + v", "else:", *absent]
            else:
                test, before, fast, after, slow = _FIELD_CODE[how]
                fast_branch = [f"    f{j} = {_fstring(head + before, fast, after)}", *mark]
                slow_branch = ["else:", f"    f{j} = {head!r} + {slow}", *mark]
                body = [f"v = {expr}"]
                if guard != f"{expr} is not None":
                    body += [f"if {test}:", *fast_branch, *slow_branch]
                elif j < 2 and how in ("ref", "time"):
                    # the first two formal arguments (required by the model): None tested last
                    body += [f"if {test}:", *fast_branch, "elif v is None:", *absent, *slow_branch]
                    guard = None
                else:  # an optional value: None tested first
                    body += ["if v is None:", *absent, f"elif {test}:", *fast_branch, *slow_branch]
                    guard = None
            if guard is None:
                lines += body
            else:
                lines += [f"if {guard}:", *["    " + line for line in body], "else:", *absent]
        fields_text = "".join(pieces) + "{tail}"

        def filing(fields_text: str) -> list[str]:
            return [
                "if ident is None:",
                "    n += 1",
                f"    {out} += f',\"_:id{{n}}\":{{{{{fields_text}}}}}'.encode()",
                "else:",
                f"    named{c}(ident)",
                f"    {out} += f',\"{{ident}}\":{{{{{fields_text}}}}}'.encode()",
            ]

        if not fields:  # the extra attributes alone
            lines += ["fields = tail[1:]", *filing("{fields}")]
        elif lead:
            lines += ["if f0:", *["    " + line for line in filing(fields_text)]]
            lines += ["else:", f"    fields = f'{fields_text}'[1:]", *["    " + line for line in filing("{fields}")]]
        else:
            lines += filing(fields_text)
        return [
            "ident = r.id",
            "attrs = r._attributes",
            "if not attrs:",
            "    tail = ''",
            "else:",  # one plain extra attribute written here, the rest by extras()
            "    tail = None",
            "    if len(attrs) == 1:",
            "        x, v = attrs[0]",
            f"        if type(x) is str and type(v) is str and x not in TAKEN{c} and '\"' not in x and '\"' not in v:",
            '            tail = f\',"{x}":"{v}"\'',
            "    if tail is None:",
            f"        tail = extras(attrs, TAKEN{c})",
            "if tail is None or (ident is not None and (type(ident) is not str or '\"' in ident)):",
            *["    " + line for line in careful],
            "else:",
            *["    " + line for line in lines],
        ]


#: The kind of the association an activity makes with its plan.
_PLANS = "wasAssociatedWith"

#: Per value kind (formal "ref" and "time", then the plan's kinds): the test for a
#: value ``v`` the generated code writes itself, the text before it, the expression of
#: its text, the text after it, and the expression of its JSON otherwise.
_FIELD_CODE: dict[str, tuple[str, str, str, str, str]] = {
    "ref": ("type(v) is str and '\"' not in v", '"', "v", '"', "json(v)"),
    "time": ("type(v) is datetime", "", "dumps(v).decode()", "", "json(v)"),
    "s": ("type(v) is str and '\"' not in v", '"', "v", '"', "json(v if type(v) is str else enc(v))"),
    "t": ("type(v) is datetime", '{"$":', "dumps(v).decode()", ',"type":"xsd:dateTime"}', "json(enc(v))"),
    "q": ("type(v) is str and '\"' not in v", '{"$":"', "v", '","type":"xsd:QName"}', "json(enc(QName(v)))"),
    "c": ("type(v) is QName and '\"' not in v", '{"$":"', "v", '","type":"xsd:QName"}', "json(enc(v))"),
}


def _fstring(before: str, expression: str, after: str) -> str:
    """Python source of an f-string: ``before``, the value of ``expression``, ``after``."""

    def escape(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")

    return "f" + repr(escape(before) + "{" + expression + "}" + escape(after))


# ------------------------------------------------------------ the compiled record loop


#: Slot offsets of every record's id and extra attributes (the loop reads slots directly).
_ID_OFFSET = slot_offset(Record, "id") if _ACCEL is not None else -1
_ATTRS_OFFSET = slot_offset(Record, "_attributes") if _ACCEL is not None else -1

#: The loop's value kinds and guards (the numbers of ``_provjson_accel/write.c``).
_HOW = {"ref": 0, "s": 0, "time": 1, "t": 2, "q": 3, "c": 4, "l": 5, "ql": 5}
_GUARD_ALWAYS, _GUARD_NOT_NONE, _GUARD_TRUTHY = 0, 1, 2

#: Field specs and written keys by class and voprov prefix (None: the class is written
#: by the careful path).
_FIELDS: dict[tuple[type[Record], str], tuple[tuple[tuple[Any, ...], ...], frozenset[str]] | None] = {}


def _keys(cls: type[Record], plans: RecordPlans) -> list[tuple[str, str, str, str | None, bool]]:
    """The fields the text path writes for ``cls``: its formal fields, then its plan's
    items, each ``(key, expression, value kind, guard, is_vp)``."""
    formal = [
        (key, f"r.{name}", "time" if key in TIME_KEYS else "ref", f"r.{name} is not None", False)
        for name, key in cls.FORMAL
    ]
    return formal + plans.plan(cls)[1]


def _written_keys(fields: list[tuple[str, str, str, str | None, bool]]) -> frozenset[str] | None:
    """The keys of ``fields`` (see :func:`_keys`), or None where the text path cannot
    write them: a key written twice (a JSON array) or one JSON escapes (the reference
    writes these)."""
    keys = [field[0] for field in fields]
    if len(set(keys)) != len(keys) or any(orjson.dumps(key).decode() != f'"{key}"' for key in keys):
        return None
    return frozenset(keys)


def _fields(
    cls: type[Record], plans: RecordPlans, vp: str
) -> tuple[tuple[tuple[Any, ...], ...], frozenset[str]] | None:
    """The compiled loop's fields of ``cls``, ``(slot offset, head, how, guard, constant,
    is_vp)`` per key, and the keys they write; or None where the generated code would
    write the class by :meth:`_ContainerWriter.careful` or by an expression other than
    one slot (an agent's ``prov:type``): the loop then hands each of its records to
    ``careful``."""
    key = (cls, vp)
    if key in _FIELDS:
        return _FIELDS[key]
    if len(_FIELDS) >= CACHE_LIMIT:
        _FIELDS.clear()
    assert _ACCEL is not None
    fields: list[tuple[Any, ...]] | None = []
    items = _keys(cls, plans)
    taken = _written_keys(items)
    if (
        taken is None
        or getattr(cls, "id", None) is not vars(Record)["id"]
        or getattr(cls, "_attributes", None) is not vars(Record)["_attributes"]
    ):
        fields = None
    for name, expr, how, guard, is_vp in items:
        if fields is None:
            break
        head = f'"{name}":'.encode()
        if how == "c":
            try:  # a constant: its text made once (as the generated code does)
                constant = eval(expr, {"QName": QName})  # noqa: S307 - the plan's own expression
            except NameError:
                fields = None
                break
            text = orjson.dumps(_encode_value(constant))
            fields = None if b"\\" in text else [*fields, (0, head, _HOW["c"], _GUARD_ALWAYS, text, is_vp)]
            continue
        slot = expr[2:] if expr.startswith("r.") and expr[2:].isidentifier() else None
        guards = {None: _GUARD_ALWAYS, f"{expr} is not None": _GUARD_NOT_NONE, expr: _GUARD_TRUTHY}
        if slot is None or guard not in guards or how not in _HOW:
            fields = None
            break
        try:
            offset = slot_offset(cls, slot)
        except TypeError:  # not a plain slot (a property, say)
            fields = None
            break
        fields.append((offset, head, _HOW[how], guards[guard], None, is_vp))
    result = (tuple(fields), taken) if fields is not None and taken is not None else None
    _FIELDS[key] = result
    return result
