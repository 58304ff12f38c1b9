"""Design.put: a save's own parse is the one the rules read, and only before any read.
Documents: a design's answers read from their sources only when a rule reads them."""

import json

import pytest

from phases import requirements
from phases.engine.answers import Documents
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from tests.phases.cases import ROOT, problem_specs


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


def counted_sources(documents: dict[int, dict]) -> tuple[Documents, list[int]]:
    read: list[int] = []

    def source(phase: int, document: dict):
        def read_it():
            read.append(phase)
            return document

        return read_it

    return Documents({n: source(n, d) for n, d in documents.items()}), read


def test_documents_are_read_once_and_only_when_used():
    documents, read = counted_sources({1: {"version": 1}, 3: {"version": 1, "x": 1}})
    assert sorted(documents) == [1, 3] and len(documents) == 2 and 3 in documents
    assert read == []  # the phases are known without reading a document
    assert documents[3] == {"version": 1, "x": 1}
    assert documents[3] is documents[3] and read == [3]
    assert documents.get(2) is None and 2 not in documents
    documents[2] = {"version": 1}  # put in place: never read from a source
    assert documents[2] == {"version": 1} and read == [3]
    del documents[1]
    assert sorted(documents) == [2, 3] and read == [3]


def test_a_check_reads_only_the_documents_its_rules_use():
    """A phase 1 check of a whole design reads phase 1's document, not the eight others;
    a phase whose rules look across the design reads what they look at."""
    sample = json.loads((ROOT / "fixtures" / "answers" / "url-shortener.json").read_text())
    answers = {int(n): d for n, d in sample["phases"].items()}
    spec = problem_specs()["url-shortener"]
    documents, read = counted_sources(answers)
    assert check_phase(1, Design(documents, spec)) == check_phase(1, Design(answers, spec))
    assert read == [1]
    documents, read = counted_sources(answers)
    assert check_phase(8, Design(documents, spec)) == check_phase(8, Design(answers, spec))
    assert 8 in read and len(read) > 1
