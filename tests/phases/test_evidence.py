"""Severity follows evidence (PRODUCT.md §3, "Trust: what a finding may claim").

Every rule declares what its verdict rests on; a reading of prose (textual) is never an
error, and neither is a verdict that rests on a figure the learner did not state.
"""

import copy
import json
from pathlib import Path

import pytest

from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.engine.findings import Evidence, Severity, capped
from phases.engine.registry import RULES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "fixtures" / "answers" / "url-shortener.json").read_text())


def answers() -> dict[int, dict]:
    return {int(k): copy.deepcopy(v) for k, v in EXAMPLE["phases"].items()}


def kept_a_month(docs: dict[int, dict]) -> dict[int, dict]:
    """The links kept for 30 days: they fit the primary's disks, so throughput decides."""
    docs[2]["assumptions"]["retention"] = "30 days"
    return docs


def findings(phase: int, docs: dict[int, dict], **problem) -> list:
    spec = ProblemSpec(slug="url-shortener", title="URL shortener", **problem)
    return check_phase(phase, Design(docs, spec))


def test_every_rule_declares_its_evidence_and_textual_rules_are_never_errors():
    for rule in RULES:
        assert isinstance(rule.evidence, Evidence), rule.code
        if rule.evidence is Evidence.TEXTUAL:
            assert rule.severity is not Severity.ERROR, rule.code


@pytest.mark.parametrize("evidence", list(Evidence))
def test_capped_lets_only_proof_make_an_error(evidence):
    assert capped(Severity.ERROR, evidence) is (
        Severity.WARNING if evidence is Evidence.TEXTUAL else Severity.ERROR
    )
    assert capped(Severity.ERROR, evidence, assumes="a figure") is Severity.WARNING
    assert capped(Severity.INFO, evidence, assumes="a figure") is Severity.INFO


def test_an_instructor_cannot_make_a_textual_rule_an_error():
    docs = answers()
    docs[1]["functional"][0]["text"] = "URL shortening"  # REQ-003: no actor, no verb
    found = findings(1, docs, expectations={"rules": {"REQ-003": "error"}})
    req003 = [f for f in found if f.code == "REQ-003"]
    assert req003 and all(f.severity is Severity.WARNING for f in req003)


def test_a_verdict_on_the_tutors_capacity_figure_says_so_and_is_a_warning():
    docs = kept_a_month(answers())
    docs[7]["bottleneck"] = "Redis cache"  # 8.6x headroom while the app servers have 0.31x
    found = [f for f in findings(7, docs) if f.code == "BOT-001"]
    assert found, "BOT-001 should question the named bottleneck"
    assert found[0].severity is Severity.WARNING
    assert "This rests on figures you did not state" in found[0].message
    assert "the tutor's reference figure" in found[0].message


def test_a_verdict_within_the_reference_figures_spread_is_a_note():
    docs = kept_a_month(answers())
    # The app servers' capacity stated (so they are no guess that BOT-001 sets aside):
    # the load balancers' 0.79x against their 0.31x is within 2 of the 1.5 margin.
    next(c for c in docs[5]["components"] if c["name"] == "App servers")["capacity"] = "2,000/s"
    docs[7]["bottleneck"] = "Load balancer"
    found = [f for f in findings(7, docs) if f.code == "BOT-001"]
    assert [f.severity for f in found] == [Severity.INFO]


def test_a_cache_size_from_the_tutors_guesses_is_a_note_that_names_them():
    docs = answers()
    docs[2]["assumptions"]["cache_fraction"] = ""
    docs[2]["results"]["cache_memory"] = "2 TB"  # 50x the 20% hot set, no slip to name
    found = [f for f in findings(2, docs) if f.field == "results.cache_memory"]
    assert found and found[0].severity is Severity.INFO
    assert "hot set of 20% of a day's reads" in found[0].message
    assert "each read returning one object of 200 B" in found[0].message


def test_a_cache_size_off_by_a_named_slip_is_still_a_warning():
    docs = answers()
    docs[2]["results"]["cache_memory"] = "40 TB"  # a prefix off: 1,000x
    found = [f for f in findings(2, docs) if f.field == "results.cache_memory"]
    assert found and found[0].severity is Severity.WARNING
    assert "Likely slip" in found[0].message


def test_a_slip_in_the_learners_own_arithmetic_stays_an_error():
    docs = answers()
    docs[2]["results"]["writes_per_s"] = "115,700/s"  # 100x off, no assumption involved
    found = [f for f in findings(2, docs) if f.field == "results.writes_per_s"]
    assert found and found[0].severity is Severity.ERROR
    assert "This rests on" not in found[0].message


@pytest.mark.parametrize(
    "staleness",
    ["the author sees their own link at once", "only after it is stored", "no later message"],
)
def test_a_staleness_bound_in_words_is_a_bound(staleness):
    docs = answers()
    docs[1]["consistency"][0]["staleness"] = staleness
    assert not [f for f in findings(1, docs) if f.code == "REQ-006"]


def test_a_vague_staleness_is_a_textual_question():
    docs = answers()
    docs[1]["consistency"][0]["staleness"] = "eventually"
    found = [f for f in findings(1, docs) if f.code == "REQ-006"]
    assert len(found) == 1 and found[0].severity is Severity.WARNING
    assert found[0].message.startswith("How stale may")


# -- Designs of other kinds: what the web-app defaults wrongly assumed --------------------


def _log_first_write(docs: dict[int, dict], technology: str) -> dict[int, dict]:
    """The write is acknowledged once it is appended to the click queue; the database
    is written behind it."""
    docs[5]["write_path"] = [
        {"component": "Load balancer", "action": "forward", "branch": "", "async": False},
        {"component": "App servers", "action": "validate", "branch": "", "async": False},
        {"component": "Click queue", "action": "append the link", "branch": "", "async": False},
        {"component": "App servers", "action": "answer 201", "branch": "", "async": False},
        {"component": "Click workers", "action": "take it", "branch": "", "async": True},
        {"component": "Links DB primary", "action": "insert it", "branch": "", "async": True},
    ]
    choice = dict(docs[6]["choices"][1], technology=technology, component="Click queue")
    docs[6]["choices"].append(choice)
    return docs


def test_a_write_acknowledged_by_a_replicated_log_is_durable():
    found = findings(5, _log_first_write(answers(), "Kafka"))
    assert "ARC-012" not in {f.code for f in found}


def test_a_write_acknowledged_by_a_queue_that_may_lose_it_is_not():
    found = findings(5, _log_first_write(answers(), "RabbitMQ"))
    assert [f.severity for f in found if f.code == "ARC-012"] == [Severity.ERROR]


def test_what_the_system_does_by_itself_needs_no_endpoint():
    docs = answers()
    docs[1]["functional"] += [
        {"text": "The system deletes links a year after their last visit", "path": "write"},
        {"text": "A link owner can rename the short code of a link", "path": "write"},
    ]
    missing = [f.message for f in findings(4, docs) if f.code == "API-005"]
    assert missing == [
        'No endpoint serves the requirement "A link owner can rename the short code of a link".'
    ]


def test_a_get_reading_what_a_system_write_produced_is_not_questioned():
    docs = answers()
    docs[1]["functional"].append(
        {"text": "The system counts each link's visits per day", "path": "write"}
    )
    get = dict(
        docs[4]["endpoints"][0],
        method="GET",
        path="/v1/urls/{code}/daily",
        requirement="The system counts each link's visits per day",
        status="200",
    )
    docs[4]["endpoints"].append(get)
    assert "API-009" not in {f.code for f in findings(4, docs)}
    get["requirement"] = "A link owner can rename the short code of a link"
    docs[1]["functional"].append(
        {"text": "A link owner can rename the short code of a link", "path": "write"}
    )
    api009 = [f for f in findings(4, docs) if f.code == "API-009"]
    assert [f.severity for f in api009] == [Severity.WARNING]
    assert "Does this call change stored data" in api009[0].message


# -- One finding per root cause -------------------------------------------------------------


def _results_from(docs: dict[int, dict], writes_factor: float) -> dict[str, str]:
    """Phase 2's results as a learner would write them, worked out correctly from a
    writes figure ``writes_factor`` times too large."""
    from phases import estimation
    from phases.reading.quantities import format_value

    parsed = estimation.parse(docs[2])
    values = estimation.base_values(parsed.assumptions)
    values["writes"] *= writes_factor
    return {
        key: format_value(figure.value, estimation.key_kind(key))
        for key, figure in estimation.recompute(values, explain=False).items()
    }


def test_one_slip_carried_through_every_result_is_one_error():
    docs = answers()
    docs[2]["results"].update(_results_from(docs, 24))  # 3,600 s taken for a day
    found = [f for f in findings(2, docs) if f.code == "EST-001"]
    serious = [f for f in found if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert [f.field for f in serious] == ["results.writes_per_s"]
    assert "hours mixed up with days" in serious[0].message
    assert "8 results worked out from it are off by the same factor" in serious[0].message
    echoes = [f for f in found if f.severity is Severity.INFO]
    assert len(echoes) == 8
    assert all("counted once" in f.message for f in echoes)


def test_a_second_slip_on_top_of_an_echo_is_its_own_finding():
    docs = answers()
    docs[2]["results"].update(_results_from(docs, 24))
    storage = docs[2]["results"]["storage"]  # "876 TB": now written in GB, 1,000x off
    docs[2]["results"]["storage"] = storage.replace(" TB", " GB")
    serious = [
        f.field
        for f in findings(2, docs)
        if f.code == "EST-001" and f.severity in (Severity.ERROR, Severity.WARNING)
    ]
    assert serious == ["results.writes_per_s", "results.storage"]


# -- The learner's own capacity figures (phase 5, version 2) ---------------------------------


def test_a_bottleneck_verdict_on_the_learners_own_capacities_can_be_an_error():
    docs = kept_a_month(answers())
    docs[7]["bottleneck"] = "Redis cache"
    for c in docs[5]["components"]:
        if c["name"] in ("Redis cache", "App servers"):
            c["capacity"] = "100,000 requests/s" if c["name"] == "Redis cache" else "2,000/s"
    found = [f for f in findings(7, docs) if f.code == "BOT-001"]
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "This rests on" not in found[0].message
    model = Design(docs, ProblemSpec(slug="url-shortener")).capacity
    app = next(r for r in model["components"] if r["name"] == "App servers")
    assert "your phase 5 figure: 2,000/s per instance" in app["capacity_note"]


def test_a_stated_capacity_replaces_the_reference_in_the_model():
    docs = answers()
    for c in docs[5]["components"]:
        if c["name"] == "App servers":
            c["capacity"] = "20k requests/s"
    model = Design(docs, ProblemSpec(slug="url-shortener")).capacity
    app = next(r for r in model["components"] if r["name"] == "App servers")
    assert app["capacity"] == 4 * 20_000


def test_a_version_1_architecture_without_capacities_is_read_as_before():
    from phases import architecture

    docs = answers()
    assert docs[5]["version"] == 1 and all("capacity" not in c for c in docs[5]["components"])
    parsed = architecture.parse(docs[5])
    assert all(c.capacity_per_s is None for c in parsed.components)
    assert architecture.SCHEMA_VERSION == 2


def test_a_capacity_that_is_not_a_rate_names_the_field():
    from phases import architecture
    from phases.engine.answers import AnswerShapeError

    doc = answers()[5]
    doc["components"][2]["capacity"] = "fast"
    with pytest.raises(AnswerShapeError) as raised:
        architecture.parse(doc)
    assert [field for field, _message in raised.value.errors] == ["components[2].capacity"]


def test_the_pressure_point_is_not_judged_on_the_default_hot_share():
    docs = answers()
    docs[2]["assumptions"]["read_write_ratio"] = "1000:1"  # memory would be tightest
    docs[2]["assumptions"]["cache_fraction"] = ""
    unstated = [f.message for f in findings(2, docs) if f.code == "EST-005"]
    assert unstated and "memory" not in unstated[0]  # reads are compared, not the guess
    docs[2]["assumptions"]["cache_fraction"] = "20%"
    stated = [f.message for f in findings(2, docs) if f.code == "EST-005"]
    # Memory, from the learner's own share, is the tighter resource now: named in either
    # form (storage is beyond one machine too, so it is a note).
    assert stated and "cache memory further still" in stated[0]
