from datetime import datetime, timedelta, timezone

from provarchive.model import Document, Literal, Namespaces, QName, canonical, differences
from provarchive.model.ids import PROV


def test_namespaces_expand_and_compact():
    ns = Namespaces({"ex": "http://example.org/", "exx": "http://example.org/x/"})
    assert ns.expand("ex:a") == "http://example.org/a"
    assert ns.expand("prov:Entity") == PROV + "Entity"
    assert ns.compact("http://example.org/x/b") == "exx:b"  # longest match wins
    assert ns.compact("http://nowhere/z") == "http://nowhere/z"


def test_rebinding_a_prefix_never_changes_meaning():
    ns = Namespaces({"ex": "http://example.org/"})
    assert ns.add("ex", "http://example.org/") == "ex"
    assert ns.add("ex", "http://other.org/") == "ex_1"
    assert ns["ex"] == "http://example.org/"


def test_default_namespace():
    ns = Namespaces(default="http://d.org/")
    assert ns.expand("local") == "http://d.org/local"
    assert ns.compact("http://d.org/local") == "local"


def test_literal_equality_and_repr():
    assert Literal("1", "xsd:int") == Literal("1", "xsd:int")
    assert Literal("bon", lang="fr") != Literal("bon", lang="en")
    assert "lang='fr'" in repr(Literal("bon", lang="fr"))
    assert QName("ex:a") == "ex:a" and repr(QName("ex:a")) == "QName('ex:a')"


def test_canonical_form_ignores_prefix_choice_and_time_zone():
    a = Document(namespaces={"ex": "http://example.org/"})
    b = Document(namespaces={"other": "http://example.org/"})
    t = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
    a.entity("ex:e", attributes=[("ex:k", QName("ex:v"))])
    a.activity("ex:a", t)
    b.entity("other:e", attributes=[("other:k", QName("other:v"))])
    b.activity("other:a", t.astimezone(timezone(timedelta(hours=2))))
    assert canonical(a) == canonical(b)
    b.entity("other:extra")
    only_a, only_b = differences(a, b)
    assert only_a == [] and len(only_b) == 1


def test_canonical_form_of_literals_with_the_same_text_but_lang_or_datatype():
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.entity("ex:e", attributes=[("ex:k", Literal("x", lang="en")), ("ex:k", Literal("x", datatype="xsd:token"))])
    assert sum(canonical(doc).values()) == 1
