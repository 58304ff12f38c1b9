"""Phase 5 rules, checked against the answer cases in ``answers/architecture/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``), with the keys that
``tests/phases/cases.py`` adds. Bases for the phase 5 answer:

``good``
    ``answers/architecture/good_url_shortener.json``: DNS, two L7 load balancers, four
    stateless app servers, a Redis cache, a PostgreSQL primary and replica, a click queue
    and click workers. Write path: balancer, app, primary (sync), app answers. Read path:
    balancer, app, cache; hit answers; miss reads the replica and fills the cache; then
    (async) the click queue, the workers and the primary.
``pastebin``
    ``answers/architecture/good_pastebin.json``: the same layers plus a CDN, object
    storage for paste bodies, a view queue and workers, and a batch job for expiry.
``empty``
    ``architecture.empty()``.

Other phases the rules read:

``phase1``
    ``good`` (phase 1 of ``fixtures/answers/url-shortener.json``, the default),
    ``pastebin`` (``answers/architecture/pastebin_requirements.json``, 10:1), ``empty``,
    or ``null``. ARC-004 reads the requirements' words, ARC-010 the read:write ratio.
``phase2``
    ``good`` (phase 2 of ``fixtures/answers/url-shortener.json``, 25,300 requests/s at
    peak, the default), ``pastebin`` (``answers/estimation/good_pastebin.json``, about
    5,100/s), ``empty`` or ``null``. ARC-013 reads the recomputed peaks.
"""

import copy
import json
from functools import cache

import pytest

from phases import architecture, estimation, requirements
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import ANSWERS_DIR, ROOT, CaseTable, OtherPhase, describe, problem_specs

BASES_DIR = ANSWERS_DIR / "architecture"
FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def good_url_shortener() -> dict:
    return json.loads((BASES_DIR / "good_url_shortener.json").read_text())


@cache
def good_pastebin() -> dict:
    return json.loads((BASES_DIR / "good_pastebin.json").read_text())


@cache
def shortener_phase(number: int) -> dict:
    return json.loads(FIXTURE.read_text())["phases"][str(number)]


@cache
def pastebin_requirements() -> dict:
    return json.loads((BASES_DIR / "pastebin_requirements.json").read_text())


@cache
def good_failure() -> dict:
    return json.loads((ANSWERS_DIR / "failure" / "good_url_shortener.json").read_text())


@cache
def pastebin_estimate() -> dict:
    return json.loads((ANSWERS_DIR / "estimation" / "good_pastebin.json").read_text())


TABLE = CaseTable(
    phase=5,
    folder="architecture",
    bases={"good": good_url_shortener, "pastebin": good_pastebin, "empty": architecture.empty},
    others=(
        OtherPhase(
            1,
            bases={
                "good": lambda: shortener_phase(1),
                "pastebin": pastebin_requirements,
                "empty": requirements.empty,
            },
            default="good",
        ),
        OtherPhase(
            2,
            bases={
                "good": lambda: shortener_phase(2),
                "pastebin": pastebin_estimate,
                "empty": estimation.empty,
            },
            default="good",
        ),
        # ARC-002 reads what phase 8 says of a stateful server's failure.
        OtherPhase(8, bases={"good": good_failure}, default=None),
    ),
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase5_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase5_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, good_pastebin, architecture.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(architecture.empty())
    architecture.parse(copy.deepcopy(doc))


def test_pastebin_requirements_parse_with_a_ten_to_one_ratio():
    assert requirements.parse(copy.deepcopy(pastebin_requirements())).reads_per_write == 10


@pytest.mark.parametrize(
    ("slug", "answers"),
    [
        (
            "url-shortener",
            lambda: {1: shortener_phase(1), 2: shortener_phase(2), 5: good_url_shortener()},
        ),
        (
            "pastebin",
            lambda: {1: pastebin_requirements(), 2: pastebin_estimate(), 5: good_pastebin()},
        ),
    ],
    ids=["url-shortener", "pastebin"],
)
def test_source_architectures_have_no_errors_or_warnings(slug, answers):
    findings = check_phase(5, Design(copy.deepcopy(answers()), problem_specs()[slug]))
    serious = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not serious, f"the good {slug} architecture has findings:\n{describe(serious)}"
    assert [f.code for f in findings if f.severity == Severity.PASS] == ["ARC-004"]


@pytest.mark.parametrize(
    "answers",
    [
        {5: {}},
        {5: architecture.empty()},
        {1: {}, 2: {}, 5: {}},
        {1: requirements.empty(), 2: estimation.empty(), 5: architecture.empty()},
        {2: {"assumptions": {"writes": "10/day"}}, 5: {"components": [{"type": "db_primary"}]}},
        {
            1: {"read_write_ratio": "1:1"},
            2: {"assumptions": {"writes": "10/day", "read_write_ratio": "1:1"}},
            5: {
                "components": [
                    {"name": ""},
                    {"type": "cache"},
                    {"type": "app_server", "count": "3", "stateful": True},
                    {"name": "q", "type": "queue", "why": "sharded"},
                ],
                "write_path": [{"action": "x"}, {"component": "q"}],
                "read_path": [{"component": "nowhere", "branch": "miss"}, {"component": ""}],
            },
        },
        # Other phases whose documents are malformed: the rules that read them stay quiet.
        {1: {"read_write_ratio": 5}, 2: {"assumptions": {"writes": "lots"}}, 5: {}},
    ],
)
def test_partial_answers_never_raise(answers):
    check_phase(5, Design(answers, problem_specs()["url-shortener"]))


def test_building_does_not_mutate_the_bases():
    before = (copy.deepcopy(good_url_shortener()), copy.deepcopy(shortener_phase(2)))
    TABLE.build_answers(
        {
            "base": "good",
            "set": {"components[0].why": "", "read_path[4].branch": ""},
            "unset": ["write_path"],
            "phase2": {"base": "good", "set": {"assumptions.writes": "1M/day"}},
        }
    )
    assert (good_url_shortener(), shortener_phase(2)) == before
