"""Phase 7 rules, checked against the answer cases in ``answers/bottlenecks/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``), with the keys that
``tests/phases/cases.py`` adds. Bases for the phase 7 answer:

``good``
    ``answers/bottlenecks/good_url_shortener.json``: the application servers named as the
    bottleneck (the model's first to run out for the good URL shortener), a 99% hit rate,
    more servers for them and batched writes for the primary, and "yes" to surviving a
    cache outage (the two replicas carry every read).
``empty``
    ``bottlenecks.empty()``.

Other phases the rules read, through the capacity model:

``phase1``
    ``good`` (phase 1 of ``fixtures/answers/url-shortener.json``: p99 of 150 ms for a
    redirect, the default), ``empty`` or ``null``. BOT-005 reads the p99 target.
``phase2``
    ``good`` (phase 2 of the same fixture: 23,148 reads/s and 2,315 writes/s at peak, the
    default; 110 TB kept for five years, so the one primary's disks run out first),
    ``write_heavy`` (400M writes a day: 9,259 writes/s at peak), ``one_month`` and
    ``write_heavy_one_month`` (the same kept for 30 days: storage fits, throughput
    decides), ``empty`` or ``null``.
``phase3``
    None by default (the capacity model then does not know where written data lives);
    ``empty``, or a whole document under ``answer``.
``phase5``
    ``good`` (``answers/architecture/good_url_shortener.json``, the default), ``scaled``
    (the same with 20 load balancers, 100 app servers and 10 click workers, so that the
    primary runs out first under ``write_heavy``), ``no_cache`` (no cache on the read
    path: the app servers read the replicas), ``empty`` or ``null``.
``phase6``
    ``good`` (``answers/technology/good_url_shortener.json``: PostgreSQL and Redis, the
    default), ``empty`` or ``null``.
"""

import copy
import json
from functools import cache

import pytest

from phases import architecture, bottlenecks, data_model, estimation, requirements, technology
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import ANSWERS_DIR, ROOT, CaseTable, OtherPhase, describe, problem_specs

FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def good_url_shortener() -> dict:
    return json.loads((ANSWERS_DIR / "bottlenecks" / "good_url_shortener.json").read_text())


@cache
def shortener_phase(number: int) -> dict:
    return json.loads(FIXTURE.read_text())["phases"][str(number)]


@cache
def good_architecture() -> dict:
    return json.loads((ANSWERS_DIR / "architecture" / "good_url_shortener.json").read_text())


@cache
def good_technology() -> dict:
    return json.loads((ANSWERS_DIR / "technology" / "good_url_shortener.json").read_text())


@cache
def write_heavy_estimate() -> dict:
    doc = copy.deepcopy(shortener_phase(2))
    doc["assumptions"]["writes"] = "400M/day"
    return doc


def one_month(doc: dict) -> dict:
    """A phase 2 answer whose data is kept for 30 days: storage is no bottleneck."""
    doc = copy.deepcopy(doc)
    doc["assumptions"]["retention"] = "30 days"
    return doc


def _named(doc: dict, name: str) -> dict:
    return next(c for c in doc["components"] if c["name"] == name)


@cache
def scaled_architecture() -> dict:
    doc = copy.deepcopy(good_architecture())
    for name, count in (("Load balancer", "20"), ("App servers", "100"), ("Click workers", "10")):
        _named(doc, name)["count"] = count
    return doc


@cache
def no_cache_architecture() -> dict:
    doc = copy.deepcopy(good_architecture())
    doc["components"] = [c for c in doc["components"] if c["type"] != "cache"]
    doc["read_path"] = [
        {**step, "branch": ""}
        for step in doc["read_path"]
        if step["component"] != "Redis cache" and step["branch"] != "hit"
    ]
    return doc


TABLE = CaseTable(
    phase=7,
    folder="bottlenecks",
    bases={"good": good_url_shortener, "empty": bottlenecks.empty},
    others=(
        OtherPhase(
            1,
            bases={"good": lambda: shortener_phase(1), "empty": requirements.empty},
            default="good",
        ),
        OtherPhase(
            2,
            bases={
                "good": lambda: shortener_phase(2),
                "write_heavy": write_heavy_estimate,
                "one_month": lambda: one_month(shortener_phase(2)),
                "write_heavy_one_month": lambda: one_month(write_heavy_estimate()),
                "empty": estimation.empty,
            },
            default="good",
        ),
        OtherPhase(3, bases={"empty": data_model.empty}),
        OtherPhase(
            5,
            bases={
                "good": good_architecture,
                "scaled": scaled_architecture,
                "no_cache": no_cache_architecture,
                "empty": architecture.empty,
            },
            default="good",
        ),
        OtherPhase(6, bases={"good": good_technology, "empty": technology.empty}, default="good"),
    ),
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase7_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase7_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, bottlenecks.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(bottlenecks.empty())
    bottlenecks.parse(copy.deepcopy(doc))


@pytest.mark.parametrize("base", [scaled_architecture, no_cache_architecture])
def test_derived_architectures_parse(base):
    architecture.parse(copy.deepcopy(base()))


def test_good_answer_raises_nothing():
    answers = {
        1: shortener_phase(1),
        2: shortener_phase(2),
        5: good_architecture(),
        6: good_technology(),
        7: good_url_shortener(),
    }
    findings = check_phase(7, Design(copy.deepcopy(answers), problem_specs()["url-shortener"]))
    serious = [f for f in findings if f.severity != Severity.PASS]
    assert not serious, f"the good phase 7 answer has findings:\n{describe(serious)}"


@pytest.mark.parametrize(
    "answers",
    [
        {7: {}},
        {7: bottlenecks.empty()},
        {1: {}, 2: {}, 5: {}, 6: {}, 7: {}},
        {5: architecture.empty(), 7: {"bottleneck": "db", "mitigations": [{"kind": "shard"}]}},
        {
            2: {"assumptions": {"writes": "10/day"}},
            5: {"components": [{"type": "db_primary"}], "read_path": [{"component": "x"}]},
            7: {"bottleneck": "x", "hit_rate": "100%", "cache_outage": "yes"},
        },
        {
            5: {
                "components": [{"name": "c", "type": "cache"}, {"name": "r", "count": "0"}],
                "read_path": [{"component": "c"}, {"component": "r", "branch": "miss"}],
            },
            7: {"bottleneck": "c", "mitigations": [{"target": "r", "kind": "cdn"}]},
        },
        # Other phases whose documents are malformed: the rules that read them stay quiet.
        {1: {"latency": 5}, 2: {"assumptions": {"writes": "lots"}}, 5: {"components": 3}, 7: {}},
    ],
)
def test_partial_answers_never_raise(answers):
    check_phase(7, Design(answers, problem_specs()["url-shortener"]))
