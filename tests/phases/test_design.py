"""Design.put: a save's own parse is the one the rules read, and only before any read."""

import pytest

from phases import requirements
from phases.engine.design import Design, ProblemSpec


def test_put_keeps_the_parse_it_is_given():
    design = Design({}, ProblemSpec(slug="x"))
    document = {"version": 1, "availability": "99.9%"}
    parsed = requirements.parse(document)
    design.put(1, document, parsed)
    assert design.requirements is parsed
    assert design.answers[1] is document


def test_put_after_the_phase_was_read_is_refused():
    design = Design({1: {"version": 1}}, ProblemSpec(slug="x"))
    assert design.requirements is not None
    document = {"version": 1, "availability": "99.9%"}
    with pytest.raises(RuntimeError):
        design.put(1, document, requirements.parse(document))


def test_put_after_anything_was_worked_out_is_refused():
    design = Design({1: {"version": 1}}, ProblemSpec(slug="x"))
    assert design.everything_said is not None
    document = {"version": 1, "availability": "99.9%"}
    with pytest.raises(RuntimeError):
        design.put(2, document, requirements.parse(document))


def test_put_after_another_phase_was_read_is_allowed():
    """A phase 3 form offers phase 1's requirements: reading them first is fine."""
    design = Design({1: {"version": 1}}, ProblemSpec(slug="x"))
    assert design.requirements is not None
    design.put(3, {"version": 1}, "parsed")
    assert design.data_model == "parsed"
