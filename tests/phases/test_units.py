"""Each phase's unit agrees with itself: its form asks for keys its answer shape has, and
every value the form offers is one ``parse`` accepts."""

import pytest

from phases.engine.registry import PHASES, RULES
from phases.engine.unit import Field, PhaseUnit


def test_the_nine_phases_are_listed_once_in_order():
    assert [p.number for p in PHASES] == list(range(1, 10))
    assert len({p.slug for p in PHASES}) == len({p.rule_prefix for p in PHASES}) == 9


def test_every_rule_code_starts_with_its_phases_prefix():
    prefixes = {p.number: p.rule_prefix for p in PHASES}
    assert all(rule.code.startswith(prefixes[rule.phase] + "-") for rule in RULES)


def _get(document: dict, path: str):
    value = document
    for key in path.split("."):
        value = value[key]
    return value


def _set(document: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        document = document[key]
    document[leaf] = value


def _sample(field: Field):
    """A value of the field's kind the form could send."""
    if field.kind == "checkbox":
        return True
    if field.kind == "multichoice":
        return list(field.values)
    if field.kind == "choice":
        return field.values[-1]
    return ""


@pytest.mark.parametrize("unit", PHASES, ids=lambda u: u.slug)
def test_the_form_asks_for_the_keys_of_the_empty_answer(unit: PhaseUnit):
    empty = unit.empty()
    assert empty["version"] == unit.schema_version
    for field in unit.layout.fields:
        _get(empty, field.key)  # a KeyError names a field the answer shape lacks
    for rows in unit.layout.lists:
        assert empty[rows.key] == []
    unit.parse(empty)


@pytest.mark.parametrize("unit", PHASES, ids=lambda u: u.slug)
def test_every_value_the_form_offers_parses(unit: PhaseUnit):
    document = unit.empty()
    for field in unit.layout.fields:
        _set(document, field.key, _sample(field))
    for rows in unit.layout.lists:
        document[rows.key] = [{field.key: _sample(field) for field in rows.fields}]
    unit.parse(document)
    for field in [*unit.layout.fields, *(f for rows in unit.layout.lists for f in rows.fields)]:
        for value in field.values:
            if field.kind == "choice":
                if field in unit.layout.fields:
                    _set(document, field.key, value)
                else:
                    rows = next(r for r in unit.layout.lists if field in r.fields)
                    document[rows.key][0][field.key] = value
                unit.parse(document)
