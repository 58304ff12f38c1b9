"""Phase 6 rules, checked against the answer cases in ``answers/technology/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``), with the keys that
``tests/phases/cases.py`` adds; the ones phase 6 uses are:

``phase2``
    Phase 2's answers, which TEC-008 reads (its recomputed peak writes/s): ``good``
    (phase 2 of ``fixtures/answers/url-shortener.json``, 2,300 writes/s at peak, the
    default), ``empty``, ``null`` for none, or a mapping with ``base``/``set``/``unset``
    (``{base: good, set: {assumptions.writes: 1B/day}}``).
``phase3``
    Phase 3's answers, which TEC-006 reads (the storage types of the access patterns):
    ``good`` (``answers/data_model/good_url_shortener.json``: key-value, relational and
    wide-column, the default), ``empty``, ``null`` or a mapping.
``phase5``
    Phase 5's answers, which TEC-008 reads for a sharded store (how many primaries its
    component has): ``good`` (``answers/architecture/good_url_shortener.json``), ``empty``
    or a mapping; absent unless a case gives it.

Bases for the phase 6 answer:

``good``
    ``answers/technology/good_url_shortener.json``: the playbook's PostgreSQL
    justification in the tutor's words (Cassandra and DynamoDB as alternatives with
    reasons, the single primary as the trade-off, ~10,000 writes/s or multi-region
    writes as the trigger) and Redis as the cache.
``empty``
    ``technology.empty()``.
"""

import copy
import json
from functools import cache

import pytest

from phases import architecture, data_model, estimation, technology
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from phases.engine.registry import rules_for
from phases.knowledge import catalogue, storage
from tests.phases.cases import ANSWERS_DIR, ROOT, CaseTable, OtherPhase, describe, problem_specs

FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def good_url_shortener() -> dict:
    return json.loads((ANSWERS_DIR / "technology" / "good_url_shortener.json").read_text())


@cache
def good_estimate() -> dict:
    return json.loads(FIXTURE.read_text())["phases"]["2"]


@cache
def good_architecture() -> dict:
    return json.loads((ANSWERS_DIR / "architecture" / "good_url_shortener.json").read_text())


def good_data_model() -> dict:
    return json.loads((ANSWERS_DIR / "data_model" / "good_url_shortener.json").read_text())


TABLE = CaseTable(
    phase=6,
    folder="technology",
    bases={"good": good_url_shortener, "empty": technology.empty},
    others=(
        OtherPhase(
            phase=2, bases={"good": good_estimate, "empty": estimation.empty}, default="good"
        ),
        OtherPhase(
            phase=3, bases={"good": good_data_model, "empty": data_model.empty}, default="good"
        ),
        # Phase 5 only where a case gives it (TEC-008 reads how many primaries a sharded
        # store has).
        OtherPhase(
            phase=5, bases={"good": good_architecture, "empty": architecture.empty}, default=None
        ),
    ),
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase6_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase6_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, technology.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(technology.empty())
    technology.parse(copy.deepcopy(doc))


def test_playbook_postgresql_justification_raises_nothing():
    """The good base, with the URL shortener's phases 1-3, has no error or warning."""
    fixture = json.loads(FIXTURE.read_text())["phases"]
    answers = {
        1: fixture["1"],
        2: fixture["2"],
        3: copy.deepcopy(good_data_model()),
        6: copy.deepcopy(good_url_shortener()),
    }
    findings = check_phase(6, Design(answers, problem_specs()["url-shortener"]))
    assert not findings, f"the good base answer has findings:\n{describe(findings)}"


@pytest.mark.parametrize(
    "answers",
    [
        {6: {}},
        {6: technology.empty()},
        {6: {"choices": [{}]}},
        {6: {"choices": [{"technology": "PostgreSQL"}]}},
        {6: {"choices": [{"alternatives": "Cassandra"}, {"trigger": "soon"}]}},
        {2: {}, 3: {}, 6: {"choices": [{"technology": "MySQL", "tradeoffs": "x"}]}},
        {
            2: estimation.empty(),
            3: {"access_patterns": [{"name": "x"}]},
            6: {"choices": [{"technology": "Redis", "component": "cache"}]},
        },
        {2: {"assumptions": {"writes": "1B/day"}}, 6: {"choices": [{"technology": "MySQL"}]}},
    ],
)
def test_partial_answers_never_raise(answers):
    check_phase(6, Design(answers, problem_specs()["url-shortener"]))


def test_category_contradiction_points_at_phase3():
    answers = TABLE.build_answers({"base": "good", "set": {"choices[0].technology": "MongoDB"}})
    findings = [
        f
        for f in check_phase(6, Design(answers, problem_specs()["url-shortener"]))
        if f.code == "TEC-006"
    ]
    assert findings and all(f.field_phase == 3 for f in findings)
    assert all(f.as_dict()["field_phase"] == 3 for f in findings)


def test_single_primary_finding_shows_the_arithmetic():
    answers = TABLE.build_answers(
        {"base": "good", "phase2": {"base": "good", "set": {"assumptions.writes": "1B/day"}}}
    )
    findings = [
        f
        for f in check_phase(6, Design(answers, problem_specs()["url-shortener"]))
        if f.code == "TEC-008"
    ]
    assert len(findings) == 1, describe(findings)
    assert "23,148 / 5,000 = 4.6x" in findings[0].arithmetic


def test_computed_reads_the_catalogue():
    answers = TABLE.build_answers(
        {"base": "good", "set": {"choices[2]": {"technology": "FoundationDB"}}}
    )
    rows = technology.computed(Design(answers, problem_specs()["url-shortener"]))["choices"]
    assert [r["known"] for r in rows] == [True, True, False]
    assert rows[0]["category"] == "Relational database"
    assert "5,000" in rows[0]["capacity"]


def test_every_phase6_rule_has_a_four_part_docstring():
    for rule in rules_for(6):
        assert set(rule.doc) == {"summary", "why", "triggers", "better"}, rule.code


# -- The catalogue --------------------------------------------------------------------------


def test_catalogue_covers_every_storage_type_of_phase3():
    for store in storage.TABLE:
        assert catalogue.in_category(store.code), f"no technology for {store.code}"


@pytest.mark.parametrize("code", ["cache", "queue", "load_balancer", "cdn"])
def test_catalogue_covers_the_other_categories(code):
    assert len(catalogue.in_category(code)) >= 2


@pytest.mark.parametrize(
    "name",
    [
        "PostgreSQL",
        "MySQL",
        "CockroachDB",
        "MongoDB",
        "DynamoDB",
        "Cassandra",
        "HBase",
        "Redis",
        "Memcached",
        "Elasticsearch",
        "Solr",
        "Neo4j",
        "Kafka",
        "RabbitMQ",
        "SQS",
        "S3",
        "GCS",
        "Nginx",
        "HAProxy",
        "AWS ALB",
        "CloudFront",
        "TimescaleDB",
        "InfluxDB",
    ],
)
def test_catalogue_names_the_playbooks_technologies(name):
    tech = catalogue.find(name)
    assert tech is not None and tech.name == name


@pytest.mark.parametrize("tech", catalogue.TECHNOLOGIES, ids=lambda t: t.key)
def test_every_entry_is_complete(tech):
    assert tech.category in catalogue.CATEGORIES
    assert all(c in catalogue.CATEGORIES for c in tech.also)
    assert tech.strengths and tech.downsides and tech.triggers and tech.capacity
    assert all(d.text and d.keywords for d in tech.downsides)
    assert tech.category_label
    if tech.single_primary:
        assert tech.limits.get("writes_per_s")


def test_names_and_aliases_are_unique():
    seen: dict[str, str] = {}
    for tech in catalogue.TECHNOLOGIES:
        assert tech.key not in {t.key for t in catalogue.TECHNOLOGIES if t is not tech}
        for name in tech.names:
            assert name.lower() not in seen, f"{name} is in {seen.get(name.lower())} and {tech.key}"
            seen[name.lower()] = tech.key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("postgres", "postgresql"),
        ("POSTGRESQL", "postgresql"),
        ("PostgreSQL 16 on RDS", "postgresql"),
        ("Amazon S3", "s3"),
        ("apache kafka", "kafka"),
        ("ElastiCache", "redis"),
        ("Application Load Balancer", "aws_alb"),
        ("Mongo", "mongodb"),
    ],
)
def test_find_by_name_or_alias(text, key):
    assert catalogue.find(text).key == key


@pytest.mark.parametrize("text", ["", "   ", "FoundationDB", "an in-house store"])
def test_find_unknown(text):
    assert catalogue.find(text) is None


def test_postgresql_capacity_reads_the_reference_table():
    from phases.knowledge.reference import CAPACITIES_BY_KEY

    pg = catalogue.find("PostgreSQL")
    assert pg.single_primary
    assert pg.limits["writes_per_s"] == CAPACITIES_BY_KEY["writes"].value
    assert pg.limits["reads_per_s"] == CAPACITIES_BY_KEY["reads"].value
    assert "50,000 reads/s" in pg.capacity and pg.cited


def test_mentioned_in_prefers_the_longest_name():
    found = catalogue.mentioned_in("Redis Cluster, then Amazon S3 and s3")
    assert [t.key for t, _, _ in found] == ["redis", "s3", "s3"]
    assert [b - a for _, a, b in found] == [len("Redis Cluster"), len("Amazon S3"), 2]


def test_downside_keywords_match_inflections():
    pg = catalogue.find("PostgreSQL")
    assert pg.downsides_named_in("we would have to shard it later")
    assert pg.downsides_named_in("Replication lag makes replicas stale")
    assert not pg.downsides_named_in("we must learn its configuration")


def test_same_kind_spans_database_categories():
    pg, cassandra, kafka = (catalogue.find(n) for n in ("PostgreSQL", "Cassandra", "Kafka"))
    assert pg.same_kind(cassandra)
    assert not pg.same_kind(kafka)
    assert catalogue.find("Redis").same_kind(catalogue.find("Memcached"))


def test_as_rows_lists_every_technology_once():
    rows = catalogue.as_rows()
    assert sorted(r["key"] for r in rows) == sorted(t.key for t in catalogue.TECHNOLOGIES)
    assert all(r["strengths"] and r["downsides"] and r["triggers"] for r in rows)


def test_every_category_with_technologies_has_a_kind():
    assert set(catalogue.KINDS) == set(catalogue.CATEGORIES)


def test_rule_severities():
    severities = {rule.code: rule.severity for rule in rules_for(6)}
    assert severities["TEC-001"] == Severity.ERROR
    assert severities["TEC-006"] == Severity.WARNING
    assert severities["TEC-009"] == Severity.INFO
