"""Phase 8 rules, checked against the answer cases in ``answers/failure/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``), with the keys that
``tests/phases/cases.py`` adds. Bases for the phase 8 answer:

``good``
    ``answers/failure/good_url_shortener.json``: a row for each component of the good
    phase 5 URL shortener. DNS, the two load balancers, the four app servers, the
    primary (synchronous standby) and the two replicas are hard, each redundant with
    automatic failover; the Redis cache is transparent (the replicas take the 23,000
    reads/s it absorbs); the click queue and workers are soft. Six calls, each with a
    timeout and a circuit breaker; retries with backoff and jitter.
``empty``
    ``failure.empty()``.

Other phases the rules read (``phaseN`` in a case, see ``tests/phases/cases.py``):

``phase1``
    ``good`` (phase 1 of ``fixtures/answers/url-shortener.json``: 99.9%, links of high
    cost of loss; the default), ``empty`` or ``null``. FAIL-005 reads the availability,
    FAIL-011 the durability rows.
``phase2``
    ``good`` (phase 2 of the same file, the default), ``empty`` or ``null``. Only the
    capacity model reads it (FAIL-005's chain, FAIL-006's cache-down what-if).
``phase4``
    ``good`` (phase 4 of the same file: POST /v1/urls with an idempotency key; the
    default), ``empty`` or ``null``. FAIL-007 reads the endpoints.
``phase5``
    ``good`` (``answers/architecture/good_url_shortener.json``, the default), ``empty``
    or ``null``. Most rules read its components; FAIL-012 its paths.
"""

import copy
import importlib.util
import json
from functools import cache

import pytest

from phases import api, architecture, estimation, failure, requirements
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import ANSWERS_DIR, ROOT, CaseTable, OtherPhase, describe, problem_specs

BASES_DIR = ANSWERS_DIR / "failure"
FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"
HAS_CAPACITY_MODEL = importlib.util.find_spec("phases.capacity") is not None


@cache
def good_url_shortener() -> dict:
    return json.loads((BASES_DIR / "good_url_shortener.json").read_text())


@cache
def shortener_phase(number: int) -> dict:
    return json.loads(FIXTURE.read_text())["phases"][str(number)]


@cache
def good_architecture() -> dict:
    return json.loads((ANSWERS_DIR / "architecture" / "good_url_shortener.json").read_text())


TABLE = CaseTable(
    phase=8,
    folder="failure",
    bases={"good": good_url_shortener, "empty": failure.empty},
    others=(
        OtherPhase(
            1,
            bases={"good": lambda: shortener_phase(1), "empty": requirements.empty},
            default="good",
        ),
        OtherPhase(
            2,
            bases={"good": lambda: shortener_phase(2), "empty": estimation.empty},
            default="good",
        ),
        OtherPhase(
            4, bases={"good": lambda: shortener_phase(4), "empty": api.empty}, default="good"
        ),
        OtherPhase(
            5, bases={"good": good_architecture, "empty": architecture.empty}, default="good"
        ),
    ),
)


def good_answers() -> dict[int, dict]:
    return copy.deepcopy(
        {
            1: shortener_phase(1),
            2: shortener_phase(2),
            4: shortener_phase(4),
            5: good_architecture(),
            8: good_url_shortener(),
        }
    )


def design_with_capacity(answers: dict[int, dict], model: dict) -> Design:
    """A design whose capacity model is ``model``, whatever phases/capacity.py computes."""
    design = Design(answers, problem_specs()["url-shortener"])
    design.__dict__["capacity"] = model
    return design


def codes(findings, severity=None) -> list[str]:
    return [
        f.code
        for f in findings
        if f.severity != Severity.PASS and (severity is None or f.severity == severity)
    ]


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase8_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase8_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, failure.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(failure.empty())
    failure.parse(copy.deepcopy(doc))


def test_good_base_classifies_every_phase5_component():
    named = {row["component"] for row in good_url_shortener()["components"]}
    assert named == {c["name"] for c in good_architecture()["components"]}


def test_good_url_shortener_has_no_errors_or_warnings():
    findings = check_phase(8, Design(good_answers(), problem_specs()["url-shortener"]))
    serious = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not serious, f"the good failure analysis has findings:\n{describe(serious)}"


# -- The capacity model, stood in for by its documented shape --------------------------------


def cache_down(replica_load: float, replica_capacity: float = 100_000) -> dict:
    return {
        "missing": [],
        "components": [
            {
                "name": "Links DB replica",
                "type": "db_replica",
                "count": 2,
                "load": 230.0,
                "capacity": replica_capacity,
                "headroom": replica_capacity / 230.0,
            },
        ],
        "what_if": {
            "cache_down": {
                "components": [
                    {
                        "name": "Redis cache",
                        "type": "cache",
                        "count": 2,
                        "load": 0.0,
                        "capacity": 200_000.0,
                        "headroom": None,
                    },
                    {
                        "name": "Links DB replica",
                        "type": "db_replica",
                        "count": 2,
                        "load": replica_load,
                        "capacity": replica_capacity,
                        "headroom": replica_capacity / replica_load,
                    },
                ]
            }
        },
    }


def test_fail006_cache_down_over_the_database_capacity():
    findings = check_phase(8, design_with_capacity(good_answers(), cache_down(230_000)))
    hits = [f for f in findings if f.code == "FAIL-006"]
    assert len(hits) == 1, describe(findings)
    # The capacity is the tutor's figure, not the learner's: a warning that says so.
    assert hits[0].severity == Severity.WARNING
    assert "This rests on figures you did not state" in hits[0].message
    assert hits[0].field == "components[3].dependency"
    assert "would get 230,000 reads/s against a capacity of 100,000" in hits[0].message
    assert "2.3× capacity" in hits[0].arithmetic


def test_fail006_cache_down_within_the_database_capacity():
    findings = check_phase(8, design_with_capacity(good_answers(), cache_down(23_000)))
    assert "FAIL-006" not in codes(findings), describe(findings)


def test_fail006_a_soft_cache_may_overload_the_database():
    answers = good_answers()
    answers[8]["components"][3]["dependency"] = "soft"
    answers[8]["components"][3]["user_sees"] = "redirects of links not in the cache get a 503"
    findings = check_phase(8, design_with_capacity(answers, cache_down(230_000)))
    assert "FAIL-006" not in codes(findings), describe(findings)


def test_fail006_a_database_already_overloaded_is_phase7s_business():
    model = cache_down(230_000)
    model["components"][0]["load"] = 150_000.0
    model["components"][0]["headroom"] = 100_000 / 150_000
    findings = check_phase(8, design_with_capacity(good_answers(), model))
    assert "FAIL-006" not in codes(findings), describe(findings)


def test_fail006_headroom_alone_is_enough():
    model = cache_down(230_000)
    row = model["what_if"]["cache_down"]["components"][1]
    del row["load"], row["capacity"]
    findings = check_phase(8, design_with_capacity(good_answers(), model))
    assert codes(findings).count("FAIL-006") == 1, describe(findings)


@pytest.mark.parametrize(
    "model",
    [
        {},
        {"what_if": None},
        {"what_if": {"cache_down": None}},
        {"what_if": {"cache_down": {"components": "none"}}},
        {"what_if": {"cache_down": {"components": [None, {"type": "db_replica"}]}}},
        {"availability": {"chain": [None, {"name": "x", "availability": "high"}]}},
    ],
)
def test_a_partial_capacity_model_is_read_without_raising(model):
    answers = good_answers()
    answers[1]["availability"] = "99.99%"
    answers[8]["components"][4]["replication"] = "none"
    check_phase(8, design_with_capacity(answers, model))


def spof_answers() -> dict[int, dict]:
    answers = good_answers()
    answers[1]["availability"] = "99.99%"
    # A primary with no replica component and no replication: one instance.
    answers[5]["components"] = [c for c in answers[5]["components"] if c["type"] != "db_replica"]
    answers[5]["read_path"][4]["component"] = "Links DB primary"
    answers[8]["components"] = [
        c for c in answers[8]["components"] if c["component"] != "Links DB replica"
    ]
    answers[8]["components"][4]["replication"] = "none"
    return answers


def test_fail005_uses_the_chain_figures_when_the_model_has_them():
    model = {
        "availability": {
            "chain": [
                {
                    "name": "Load balancer",
                    "type": "load_balancer_l7",
                    "count": 2,
                    "availability": 99.9999,
                },
                {
                    "name": "Links DB primary",
                    "type": "db_primary",
                    "count": 1,
                    "availability": 99.5,
                },
            ],
            "total_percent": 99.49,
            "target_percent": 99.99,
        }
    }
    findings = check_phase(8, design_with_capacity(spof_answers(), model))
    hits = [f for f in findings if f.code == "FAIL-005"]
    assert len(hits) == 1, describe(findings)
    assert "one instance at 99.5%" in hits[0].message
    assert "1.8 days a year" in hits[0].message
    assert "52.6 minutes" in hits[0].message
    assert "99.49%" in hits[0].arithmetic


def test_fail005_without_a_model_assumes_three_nines_for_one_instance():
    findings = check_phase(8, design_with_capacity(spof_answers(), {}))
    hits = [f for f in findings if f.code == "FAIL-005"]
    assert len(hits) == 1, describe(findings)
    assert "8.8 hours" in hits[0].message and "52.6 minutes" in hits[0].message


@pytest.mark.parametrize(
    "answers",
    [
        {8: {}},
        {8: failure.empty()},
        {1: {}, 2: {}, 4: {}, 5: {}, 8: {}},
        {
            1: requirements.empty(),
            2: estimation.empty(),
            4: api.empty(),
            5: architecture.empty(),
            8: failure.empty(),
        },
        {
            1: {
                "availability": "99.999%",
                "durability": [{"data": "", "cost_of_loss": "catastrophic"}],
            },
            4: {"endpoints": [{"method": "POST"}, {"path": "/x"}]},
            5: {
                "components": [{"name": ""}, {"type": "cache"}, {"name": "c", "type": "cache"}],
                "read_path": [{"component": "c"}, {"component": "nowhere"}, {}],
            },
            8: {
                "components": [
                    {},
                    {"component": "c", "dependency": "transparent"},
                    {"component": "ghost", "dependency": "hard", "replication": "async"},
                ],
                "calls": [{}, {"callee": "c"}, {"caller": "x", "timeout": "5 s"}],
                "retries": {"enabled": True},
            },
        },
        # Other phases whose documents are malformed: the rules that read them stay quiet.
        {
            1: {"availability": 5},
            4: {"endpoints": "none"},
            5: {"components": [{"count": "many"}]},
            8: good_url_shortener(),
        },
    ],
)
def test_partial_answers_never_raise(answers):
    check_phase(8, Design(copy.deepcopy(answers), problem_specs()["url-shortener"]))


def test_building_does_not_mutate_the_bases():
    before = (copy.deepcopy(good_url_shortener()), copy.deepcopy(good_architecture()))
    TABLE.build_answers(
        {
            "base": "good",
            "set": {"components[0].dependency": "", "retries.jitter": False},
            "unset": ["calls"],
            "phase5": {"base": "good", "set": {"components[0].count": "1"}},
        }
    )
    assert (good_url_shortener(), good_architecture()) == before
