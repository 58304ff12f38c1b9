"""The storage decision table (phases/knowledge/storage.py): complete, and in the tutor's words."""

import pytest

from phases import data_model
from phases.knowledge import storage


def test_one_entry_per_storage_type_in_the_answer_shape():
    assert tuple(s.code for s in storage.TABLE) == data_model.STORAGE
    assert set(storage.BY_CODE) == set(data_model.STORAGE)


def test_lookup_needs_are_the_answer_shapes_lookups():
    assert storage.LOOKUP_NEEDS == data_model.LOOKUPS
    assert set(storage.NEED_LABELS) == set(storage.NEEDS)


@pytest.mark.parametrize("store", storage.TABLE, ids=lambda s: s.code)
def test_each_store_has_fits_and_bad_fits_with_reasons(store):
    assert store.label and store.examples and store.summary
    assert store.fits, f"{store.code} lists nothing it fits"
    assert store.fits_badly, f"{store.code} lists nothing it fits badly"
    for fit in (*store.fits, *store.fits_badly):
        assert fit.need in storage.NEEDS, f"{store.code}: unknown need {fit.need!r}"
        assert len(fit.reason.split()) >= 5, f"{store.code}/{fit.need}: reason too short"
        assert fit.reason.rstrip().endswith("."), f"{store.code}/{fit.need}: not a sentence"


@pytest.mark.parametrize("store", storage.TABLE, ids=lambda s: s.code)
def test_no_need_is_both_a_fit_and_a_bad_fit(store):
    good = [f.need for f in store.fits]
    bad = [f.need for f in store.fits_badly]
    assert len(good) == len(set(good)) and len(bad) == len(set(bad))
    assert not set(good) & set(bad)


@pytest.mark.parametrize("need", storage.NEEDS)
def test_every_need_has_a_store_that_fits(need):
    assert storage.stores_fitting(need), f"no store fits {need}"


def test_the_facts_the_rules_rely_on():
    assert [s.code for s in storage.stores_fitting("text_search")] == ["search"]
    assert [s.code for s in storage.stores_fitting("transactions")] == ["relational"]
    assert [s.code for s in storage.stores_fitting("large_objects")] == ["object"]
    assert storage.fits("graph", "traversal") and storage.fits("relational", "traversal")
    assert storage.bad_fit("search", "system_of_record")
    for lookup in ("ad_hoc", "aggregate", "text_search"):
        assert storage.bad_fit("wide_column", lookup)
    assert storage.fits("key_value", "by_key") and storage.fits("wide_column", "by_key")
    assert not storage.fits("nonsense", "by_key") and storage.bad_fit("nonsense", "x") is None


def test_helpers_quote_the_table():
    assert storage.why_not("key_value", "transactions") == (
        storage.bad_fit("key_value", "transactions").reason
    )
    assert "is not among" in storage.why_not("document", "by_range")
    assert "Elasticsearch" in storage.suggestion("text_search")
    rows = storage.as_rows()
    assert [r["code"] for r in rows] == list(data_model.STORAGE)
    assert all(r["fits"] and r["fits_badly"] for r in rows)
