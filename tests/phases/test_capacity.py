"""The capacity model of phase 7 (``phases/capacity.py``).

The source's worked figures: 20,000 reads/s at peak and a 99% hit rate leave 200 reads/s
for the database; at 80% it gets 4,000; with the cache down, all 20,000.
"""

import copy
import json
import math
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phases import capacity
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.knowledge import reference
from tests.phases.cases import ANSWERS_DIR, ROOT, problem_specs

FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"
APP = reference.APP_SERVER_PER_S
READS = reference.CAPACITIES_BY_KEY["reads"].value
WRITES = reference.CAPACITIES_BY_KEY["writes"].value


@cache
def _fixture(number: int) -> dict:
    return json.loads(FIXTURE.read_text())["phases"][str(number)]


@cache
def _architecture() -> dict:
    return json.loads((ANSWERS_DIR / "architecture" / "good_url_shortener.json").read_text())


@cache
def _technology() -> dict:
    return json.loads((ANSWERS_DIR / "technology" / "good_url_shortener.json").read_text())


def source_estimate() -> dict:
    """Phase 2 with the source's round figures: 1,000 writes/s, 10:1, peak 2x."""
    doc = copy.deepcopy(_fixture(2))
    doc["assumptions"]["writes"] = "86.4M/day"  # 1,000 writes/s
    return doc


def _component(doc: dict, name: str) -> dict:
    return next(c for c in doc["components"] if c["name"] == name)


def design(*, phase2=None, phase5=None, phase7=None, problem=None, drop=()) -> Design:
    answers = {
        1: copy.deepcopy(_fixture(1)),
        2: phase2 if phase2 is not None else source_estimate(),
        5: phase5 if phase5 is not None else copy.deepcopy(_architecture()),
        6: copy.deepcopy(_technology()),
    }
    if phase7 is not None:
        answers[7] = phase7
    for number in drop:
        answers.pop(number, None)
    return Design(answers, problem or problem_specs()["url-shortener"])


def row(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if r["name"] == name)


# -- The source's figures ------------------------------------------------------------------


def test_inputs_are_phase2_peaks_and_the_assumed_hit_rate():
    model = capacity.model(design())
    assert model["missing"] == []
    assert model["inputs"]["peak_reads_per_s"] == pytest.approx(20_000)
    assert model["inputs"]["peak_writes_per_s"] == pytest.approx(2_000)
    assert model["inputs"]["hit_rate"] == 0.99
    assert model["inputs"]["hit_rate_source"] == "assumed 99%"


def test_99_percent_leaves_200_reads_for_the_database():
    model = capacity.model(design())
    replica = row(model["components"], "Links DB replica")
    assert replica["load"] == pytest.approx(200)
    assert "20,000/s × (1 − 0.99) = 200/s" in replica["load_note"]
    assert row(model["components"], "Redis cache")["load"] == pytest.approx(20_000)


def test_80_percent_sends_4000_reads_to_the_database():
    what_if = capacity.model(design())["what_if"]["hit_rate_80"]
    assert what_if["database_reads"] == pytest.approx(4_000)
    assert row(what_if["components"], "Links DB replica")["load"] == pytest.approx(4_000)


def test_cache_down_sends_every_read_to_the_database():
    what_if = capacity.model(design())["what_if"]["cache_down"]
    assert what_if["database_reads"] == pytest.approx(20_000)
    cache_row = row(what_if["components"], "Redis cache")
    assert cache_row["load"] == 0 and cache_row["headroom"] is None


def test_one_primary_without_replicas_takes_the_misses():
    arch = copy.deepcopy(_architecture())
    arch["components"] = [c for c in arch["components"] if c["type"] != "db_replica"]
    arch["read_path"][4]["component"] = "Links DB primary"
    model = capacity.model(design(phase5=arch))
    primary = row(model["components"], "Links DB primary")
    assert primary["reads"] == pytest.approx(200)
    assert model["what_if"]["hit_rate_80"]["database_reads"] == pytest.approx(4_000)
    assert model["what_if"]["cache_down"]["database_reads"] == pytest.approx(20_000)
    down = row(model["what_if"]["cache_down"]["components"], "Links DB primary")
    # 20,000 reads of 50,000 plus the writes of 5,000: 40% + the write share.
    assert 1 / down["headroom"] == pytest.approx(20_000 / READS + down["writes"] / WRITES)


def test_the_learners_hit_rate_is_used():
    model = capacity.model(design(phase7={"hit_rate": "95%"}))
    assert model["inputs"]["hit_rate_source"] == "your phase 7 answer"
    assert row(model["components"], "Links DB replica")["load"] == pytest.approx(1_000)


def test_a_malformed_phase7_answer_falls_back_to_99_percent():
    model = capacity.model(design(phase7={"hit_rate": "lots"}))
    assert model["inputs"]["hit_rate"] == 0.99


# -- Loads and capacities ------------------------------------------------------------------


def test_writes_reach_the_primary_and_batched_clicks_behind_the_queue_are_averaged():
    primary = row(capacity.model(design())["components"], "Links DB primary")
    # 2,000 writes/s at peak, plus 10,000 clicks/s on average ÷ 100 a batch.
    assert primary["writes"] == pytest.approx(2_000 + 10_000 / capacity.BATCH)
    assert primary["reads"] == 0
    assert primary["saturates"] == "writes"
    workers = row(capacity.model(design())["components"], "Click workers")
    assert workers["load"] == pytest.approx(10_000)


def test_a_component_met_twice_on_a_path_counts_once():
    app = row(capacity.model(design())["components"], "App servers")
    assert app["load"] == pytest.approx(22_000)  # 20,000 reads + 2,000 writes


def test_replicas_share_reads():
    arch = copy.deepcopy(_architecture())
    two = row(capacity.model(design(phase5=arch))["components"], "Links DB replica")
    _component(arch, "Links DB replica")["count"] = "4"
    four = row(capacity.model(design(phase5=arch))["components"], "Links DB replica")
    assert two["capacity"] == pytest.approx(2 * READS)
    assert four["capacity"] == pytest.approx(4 * READS)
    assert four["headroom"] == pytest.approx(2 * two["headroom"])


def test_losing_one_of_two_replicas_halves_their_headroom():
    model = capacity.model(design())
    before = row(model["components"], "Links DB replica")
    after = row(model["what_if"]["replica_lost"]["components"], "Links DB replica")
    assert after["count"] == 1
    assert after["headroom"] == pytest.approx(before["headroom"] / 2)


def test_losing_the_only_replica_sends_its_reads_to_the_primary():
    arch = copy.deepcopy(_architecture())
    _component(arch, "Links DB replica")["count"] = "1"
    model = capacity.model(design(phase5=arch))
    lost = model["what_if"]["replica_lost"]
    primary = row(lost["components"], "Links DB primary")
    assert primary["reads"] == pytest.approx(200)
    assert row(lost["components"], "Links DB replica")["load"] == 0
    assert lost["database_reads"] == pytest.approx(200)
    assert 1 / primary["headroom"] == pytest.approx(200 / READS + primary["writes"] / WRITES)


def test_no_replicas_to_lose():
    arch = copy.deepcopy(_architecture())
    arch["components"] = [c for c in arch["components"] if c["type"] != "db_replica"]
    arch["read_path"][4]["component"] = "Links DB primary"
    lost = capacity.model(design(phase5=arch))["what_if"]["replica_lost"]
    assert "no replicas" in lost["label"]


def test_capacity_comes_from_the_chosen_technology():
    cache_row = row(capacity.model(design())["components"], "Redis cache")
    assert cache_row["capacity"] == pytest.approx(2 * reference.REDIS_OPS_PER_S)
    assert "Redis" in cache_row["capacity_note"]


@pytest.mark.parametrize("key", ["db_replica", "Links DB replica"])
def test_an_instructor_override_wins(key):
    base = problem_specs()["url-shortener"]
    problem = ProblemSpec(
        slug=base.slug,
        givens=base.givens,
        expectations={
            **base.expectations,
            "phase7": {"capacities": {key: {"reads_per_s": 30_000}}},
        },
    )
    replica = row(capacity.model(design(problem=problem))["components"], "Links DB replica")
    assert replica["capacity"] == pytest.approx(60_000)
    assert "instructor" in replica["capacity_note"]


def test_unbounded_components_have_no_capacity():
    arch = copy.deepcopy(_architecture())
    arch["components"].append(
        {"name": "Blobs", "type": "object_storage", "count": "1", "why": "x", "without": "y"}
    )
    arch["write_path"].insert(
        2, {"component": "Blobs", "action": "put", "branch": "", "async": False}
    )
    blobs = row(capacity.model(design(phase5=arch))["components"], "Blobs")
    assert blobs["load"] == pytest.approx(2_000)
    assert blobs["capacity"] is None and blobs["headroom"] is None


def kept_a_month() -> dict:
    """The source's estimate with links kept for 30 days: they fit the primary's disks."""
    doc = source_estimate()
    doc["assumptions"]["retention"] = "30 days"
    return doc


def test_breaks_at_is_the_least_headroom():
    model = capacity.model(design(phase2=kept_a_month()))
    bounded = [r["headroom"] for r in model["components"] if r["headroom"] is not None]
    assert model["breaks_at"] == min(bounded)
    first = model["first_to_run_out"]
    assert first["headroom"] == model["breaks_at"]
    assert first["name"] == "App servers"
    assert model["breaks_at"] == pytest.approx(4 * APP / 22_000)


# -- Stores priced by what they are ---------------------------------------------------------


def _with_store(technology: str) -> Design:
    """The source's design with the database choice of phase 6 replaced."""
    tech = copy.deepcopy(_technology())
    tech["choices"][0]["technology"] = technology
    answers = dict(design().answers)
    answers[6] = tech
    return Design(answers, problem_specs()["url-shortener"])


def test_redis_holding_the_data_is_an_in_memory_store():
    built = _with_store("Redis")
    model = capacity.model(built)
    primary = row(model["components"], "Links DB primary")
    # 2,000 writes and the click batches against 100,000 operations/s, not 5,000 writes/s.
    assert primary["capacity"] > 50_000
    assert "100,000" in primary["capacity_note"] and "Redis" in primary["capacity_note"]
    arch = built.architecture
    ms, note = capacity.latency_of(built, arch.component("Links DB replica"))
    assert ms == reference.STORES_BY_CATEGORY["cache"].latency_ms == 1.0
    assert "Redis is an in-memory store" in note
    assert "operations/s" in capacity.assumption(built, "Links DB primary")


def test_an_unnamed_database_choice_prefers_a_database_to_a_cache():
    # Phase 6 lists Redis ("cache") before PostgreSQL ("db"), neither naming a component:
    # the primary is PostgreSQL's, the cache Redis's.
    tech = copy.deepcopy(_technology())
    tech["choices"].reverse()
    answers = dict(design().answers)
    answers[6] = tech
    rows = capacity.model(Design(answers, problem_specs()["url-shortener"]))["components"]
    assert "PostgreSQL" in row(rows, "Links DB primary")["capacity_note"]
    assert "Redis" in row(rows, "Redis cache")["capacity_note"]


def test_a_wide_column_store_is_priced_per_node():
    model = capacity.model(_with_store("Cassandra"))
    primary = row(model["components"], "Links DB primary")
    assert f"{reference.WIDE_COLUMN_WRITES_PER_S:,}/s writes" in primary["capacity_note"]
    assert primary["partitioned"] is True
    assert "wide-column store" in capacity.assumption(_with_store("Cassandra"), "Links DB primary")


def test_a_managed_store_that_grows_has_no_limit():
    model = capacity.model(_with_store("DynamoDB"))
    primary = row(model["components"], "Links DB primary")
    assert primary["capacity"] is None and primary["headroom"] is None
    assert "grows with its load" in primary["capacity_note"]
    assert "storage_headroom" not in primary or primary["storage_headroom"] is None
    assert capacity.assumption(_with_store("DynamoDB"), "Links DB primary") == ""


def test_without_a_technology_a_store_is_priced_by_its_type():
    answers = dict(design().answers)
    answers.pop(6)
    primary = row(
        capacity.model(Design(answers, problem_specs()["url-shortener"]))["components"],
        "Links DB primary",
    )
    assert f"{WRITES:,.0f} writes/s" in primary["capacity_note"]


# -- Only the writes that reach a store ------------------------------------------------------


def _phase3(*storages: str) -> dict:
    return {
        "version": 1,
        "access_patterns": [
            {
                "requirement": "A user can shorten a long URL into a short link",
                "name": f"write to {code}",
                "entity": "Link",
                "data": "code, long URL",
                "key": "code",
                "kind": "write",
                "lookup": "by_key",
                "rate": "2,000/s",
                "records": "one",
                "storage": code,
                "transactional": False,
                "large_objects": False,
            }
            for code in storages
        ],
        "entities": [],
        "modelling": [],
    }


def test_a_store_phase3_keeps_no_written_data_in_is_only_read_on_the_write_path():
    answers = dict(design(phase2=kept_a_month()).answers)
    answers[3] = _phase3("key_value")
    built = Design(answers, problem_specs()["url-shortener"])
    primary = row(capacity.model(built)["components"], "Links DB primary")
    assert "counted as reads" in primary["load_note"]
    assert "key_value" in primary["load_note"]
    assert primary["reads"] == pytest.approx(2_000)
    # Only the batched clicks behind the queue are writes now.
    assert primary["writes"] <= 100


def test_a_store_holding_the_written_data_takes_the_writes():
    answers = dict(design(phase2=kept_a_month()).answers)
    answers[3] = _phase3("relational")
    built = Design(answers, problem_specs()["url-shortener"])
    primary = row(capacity.model(built)["components"], "Links DB primary")
    assert "counted as reads" not in primary["load_note"]
    assert primary["writes"] >= 2_000


# -- Storage ------------------------------------------------------------------------------


def test_the_one_store_the_write_path_fills_holds_phase2s_storage():
    model = capacity.model(design())  # 86.4M links a day for five years, 3x overhead
    primary = row(model["components"], "Links DB primary")
    assert primary["stored"] == pytest.approx(86.4e6 * 200 * 365 * 5 * 3)
    assert primary["storage_capacity"] == pytest.approx(3 * reference.DISK_PER_NODE)
    assert primary["storage_headroom"] == pytest.approx(
        3 * reference.DISK_PER_NODE / primary["stored"]
    )
    assert "3 nodes with their replicas × 10 TB" in primary["storage_note"]
    first = model["first_to_run_out"]
    assert first["name"] == "Links DB primary" and first["resource"] == "storage"
    assert model["breaks_at"] == pytest.approx(primary["storage_headroom"])
    assert capacity.storage_assumption(design(), "Links DB primary").startswith(
        "figures you did not state: 10 TB of disk per node"
    )


def test_an_in_memory_store_holds_what_fits_in_its_memory():
    model = capacity.model(_with_store("Redis"))
    primary = row(model["components"], "Links DB primary")
    assert primary["storage_capacity"] == pytest.approx(3 * reference.MEMORY_PER_NODE)
    assert "memory per node" in primary["storage_note"]


def test_no_storage_verdict_when_phase3_splits_the_written_data():
    answers = dict(design().answers)
    answers[3] = _phase3("relational", "object")
    built = Design(answers, problem_specs()["url-shortener"])
    primary = row(capacity.model(built)["components"], "Links DB primary")
    assert "stored" not in primary
    assert capacity.model(built)["first_to_run_out"]["name"] == "App servers"


def test_no_storage_verdict_when_two_stores_are_written():
    arch = copy.deepcopy(_architecture())
    arch["components"].append(
        {"name": "Blobs", "type": "object_storage", "count": "1", "why": "x", "without": "y"}
    )
    arch["write_path"].insert(
        2, {"component": "Blobs", "action": "put", "branch": "", "async": False}
    )
    rows = capacity.model(design(phase5=arch))["components"]
    assert all("stored" not in r for r in rows)


# -- Latency and availability --------------------------------------------------------------


def test_latency_chain_is_the_synchronous_hit_path():
    latency = capacity.model(design())["latency"]
    assert [r["name"] for r in latency["chain"]] == ["Load balancer", "App servers", "Redis cache"]
    assert latency["total_ms"] == pytest.approx(sum(r["ms"] for r in latency["chain"]))
    by_type = reference.COMPONENTS_BY_TYPE
    assert latency["total_ms"] == pytest.approx(
        by_type["load_balancer_l7"].latency_ms
        + by_type["app_server"].latency_ms
        + by_type["cache"].latency_ms
    )
    assert latency["target_ms"] == 150
    assert "redirect" in latency["target_label"]


def test_availability_multiplies_redundant_components():
    availability = capacity.model(design())["availability"]
    a = reference.SINGLE_INSTANCE_AVAILABILITY / 100
    lb, app, db = availability["chain"]
    assert (lb["count"], app["count"], db["count"]) == (2, 4, 3)  # primary + 2 replicas
    assert lb["availability"] == pytest.approx((1 - (1 - a) ** 2) * 100)
    expected = (1 - (1 - a) ** 2) * (1 - (1 - a) ** 4) * (1 - (1 - a) ** 3)
    assert availability["total_percent"] == pytest.approx(expected * 100)
    assert availability["target_percent"] == pytest.approx(99.9)


def test_a_single_primary_alone_is_the_weak_link():
    arch = copy.deepcopy(_architecture())
    arch["components"] = [c for c in arch["components"] if c["type"] != "db_replica"]
    arch["read_path"][4]["component"] = "Links DB primary"
    availability = capacity.model(design(phase5=arch))["availability"]
    assert availability["total_percent"] < 99.9


# -- Partial answers -----------------------------------------------------------------------


def test_the_model_is_json_serialisable():
    model = capacity.model(design())
    assert json.loads(json.dumps(model))["breaks_at"] == pytest.approx(model["breaks_at"])
    assert all(math.isfinite(r["load"]) for r in model["components"])


@pytest.mark.parametrize("drop", [(2,), (5,), (1, 2, 5, 6), (6,), (1,)])
def test_missing_phases_explain_themselves(drop):
    model = capacity.model(design(drop=drop))
    assert set(model) >= {"missing", "inputs", "components", "what_if", "latency", "availability"}
    if 2 in drop or 5 in drop:
        assert model["missing"] and model["components"] == [] and model["breaks_at"] is None
    else:
        assert model["missing"] == []
    json.dumps(model)


def _partial(doc: dict):
    """A document with some top-level keys dropped and some lists cut short."""
    keys = sorted(doc)

    @st.composite
    def build(draw):
        out = {}
        for key in keys:
            if draw(st.booleans()):
                continue
            value = copy.deepcopy(doc[key])
            if isinstance(value, list) and value:
                value = value[: draw(st.integers(0, len(value)))]
            out[key] = value
        return out

    return build()


_JUNK = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=5), st.lists(st.integers()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phase1=st.one_of(st.none(), _partial(_fixture(1))),
    phase2=st.one_of(
        st.none(), _partial(source_estimate()), st.fixed_dictionaries({"assumptions": _JUNK})
    ),
    phase5=st.one_of(
        st.none(), _partial(_architecture()), st.fixed_dictionaries({"components": _JUNK})
    ),
    phase6=st.one_of(st.none(), _partial(_technology())),
    phase7=st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {"hit_rate": st.one_of(st.text(max_size=6), st.sampled_from(["0", "100%", "1", "50"]))}
        ),
    ),
)
def test_partial_documents_never_raise(phase1, phase2, phase5, phase6, phase7):
    answers = {
        n: doc
        for n, doc in ((1, phase1), (2, phase2), (5, phase5), (6, phase6), (7, phase7))
        if doc is not None
    }
    problem = problem_specs()["url-shortener"]
    json.dumps(capacity.model(Design(answers, problem)))
    check_phase(7, Design(answers, problem))  # the rules read the same model
