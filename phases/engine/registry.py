"""The nine phases and every rule, in two flat tables you can grep.

To add a rule: write a function in the phase's module that yields ``Hit``s, with a
docstring in the same four parts as its neighbours, then add one ``Rule`` row below
with a new code. The rules page, the engine and the grader all read this table.
"""

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from phases import (
    api,
    architecture,
    bottlenecks,
    data_model,
    estimation,
    failure,
    requirements,
    review,
    technology,
)
from phases.engine.findings import Evidence, Hit, Severity
from phases.engine.unit import PhaseUnit

if TYPE_CHECKING:
    from phases.engine.design import Design

# The nine phases in order. Each module declares its own unit (phases/engine/unit.py): title,
# questions, rule prefix, answer shape, form layout, computed figures, expectations.
PHASES: tuple[PhaseUnit, ...] = (
    requirements.UNIT,
    estimation.UNIT,
    data_model.UNIT,
    api.UNIT,
    architecture.UNIT,
    technology.UNIT,
    bottlenecks.UNIT,
    failure.UNIT,
    review.UNIT,
)

PHASE_NUMBERS = tuple(p.number for p in PHASES)
PHASES_BY_NUMBER = {p.number: p for p in PHASES}
PHASES_BY_SLUG = {p.slug: p for p in PHASES}

# A rule: reads a design, yields what it finds (phases/engine/design.py imports this module, so
# the design's type is named as text here).
Check = Callable[["Design"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    phase: int
    severity: Severity
    check: Check
    # What the verdict rests on (phases/engine/findings.py): a textual rule is never an error.
    evidence: Evidence

    @cached_property
    def doc(self) -> dict[str, str]:
        """The docstring split into summary, why, triggers and better."""
        return parse_docstring(self.check.__doc__ or "")

    @property
    def title(self) -> str:
        return self.doc["summary"]

    @property
    def why(self) -> str:
        return self.doc.get("why", "")


_SECTIONS = {"Why it matters:": "why", "Triggers:": "triggers", "Better:": "better"}


def parse_docstring(docstring: str) -> dict[str, str]:
    text = inspect.cleandoc(docstring)
    parts: dict[str, list[str]] = {"summary": []}
    current = "summary"
    for line in text.splitlines():
        if line.strip() in _SECTIONS:
            current = _SECTIONS[line.strip()]
            parts[current] = []
        else:
            parts[current].append(line.strip())
    return {key: re.sub(r"\s+", " ", " ".join(lines)).strip() for key, lines in parts.items()}


ERROR, WARNING, INFO, PASS = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.PASS
COMPUTED, STRUCTURAL = Evidence.COMPUTED, Evidence.STRUCTURAL
CONTRADICTION, TEXTUAL = Evidence.CONTRADICTION, Evidence.TEXTUAL

RULES: tuple[Rule, ...] = (
    # Phase 1: requirements
    Rule("REQ-001", 1, WARNING, requirements.missing_capabilities, TEXTUAL),
    Rule("REQ-002", 1, ERROR, requirements.left_out_but_required, STRUCTURAL),
    Rule("REQ-003", 1, WARNING, requirements.not_an_operation, TEXTUAL),
    Rule("REQ-004", 1, WARNING, requirements.untagged_path, STRUCTURAL),
    Rule("REQ-005", 1, WARNING, requirements.quality_filed_as_function, TEXTUAL),
    Rule("REQ-006", 1, ERROR, requirements.vague_targets, STRUCTURAL),
    Rule("REQ-007", 1, ERROR, requirements.latency_missing_percentile_or_unit, STRUCTURAL),
    Rule("REQ-008", 1, ERROR, requirements.tail_below_median, CONTRADICTION),
    Rule("REQ-009", 1, ERROR, requirements.below_network_floor, COMPUTED),
    Rule("REQ-010", 1, WARNING, requirements.no_read_write_ratio, STRUCTURAL),
    Rule("REQ-011", 1, WARNING, requirements.missing_targets, STRUCTURAL),
    Rule("REQ-012", 1, WARNING, requirements.staleness_unbounded, STRUCTURAL),
    Rule("REQ-013", 1, ERROR, requirements.availability_beyond_reach, STRUCTURAL),
    Rule("REQ-014", 1, INFO, requirements.high_availability_noted, STRUCTURAL),
    Rule("REQ-015", 1, ERROR, requirements.ratio_contradicts_givens, CONTRADICTION),
    Rule("REQ-016", 1, WARNING, requirements.tail_far_above_median, CONTRADICTION),
    Rule("REQ-017", 1, WARNING, requirements.target_in_another_unit_than_given, CONTRADICTION),
    # Phase 2: scale estimation
    Rule("EST-001", 2, ERROR, estimation.result_off, COMPUTED),
    Rule("EST-002", 2, ERROR, estimation.contradicts_givens, CONTRADICTION),
    Rule("EST-003", 2, WARNING, estimation.no_peak_factor, STRUCTURAL),
    Rule("EST-004", 2, WARNING, estimation.storage_without_overhead, STRUCTURAL),
    Rule("EST-005", 2, ERROR, estimation.wrong_pressure_point, COMPUTED),
    Rule("EST-006", 2, ERROR, estimation.missing_basics, STRUCTURAL),
    Rule("EST-007", 2, WARNING, estimation.missing_results, STRUCTURAL),
    Rule("EST-008", 2, WARNING, estimation.no_implication, TEXTUAL),
    Rule("EST-009", 2, PASS, estimation.results_agree, COMPUTED),
    Rule("EST-010", 2, ERROR, estimation.rates_disagree, CONTRADICTION),
    Rule("EST-011", 2, WARNING, estimation.cores_do_not_follow, COMPUTED),
    # Phase 3: data model
    Rule("DAT-001", 3, ERROR, data_model.missing_access_pattern, STRUCTURAL),
    Rule("DAT-002", 3, WARNING, data_model.unknown_requirement, STRUCTURAL),
    Rule("DAT-003", 3, WARNING, data_model.incomplete_pattern, STRUCTURAL),
    Rule("DAT-004", 3, ERROR, data_model.text_search_without_index, STRUCTURAL),
    Rule("DAT-005", 3, ERROR, data_model.search_only_store, STRUCTURAL),
    Rule("DAT-006", 3, ERROR, data_model.transaction_without_acid, STRUCTURAL),
    Rule("DAT-007", 3, ERROR, data_model.blobs_outside_object_storage, STRUCTURAL),
    Rule("DAT-008", 3, ERROR, data_model.object_storage_queried, STRUCTURAL),
    Rule("DAT-009", 3, WARNING, data_model.traversal_without_graph, STRUCTURAL),
    Rule("DAT-010", 3, ERROR, data_model.wide_column_off_partition, STRUCTURAL),
    Rule("DAT-011", 3, WARNING, data_model.lookup_fits_badly, STRUCTURAL),
    Rule("DAT-012", 3, WARNING, data_model.unused_entity, STRUCTURAL),
    Rule("DAT-013", 3, ERROR, data_model.fanout_on_write_with_celebrities, COMPUTED),
    Rule("DAT-014", 3, WARNING, data_model.denormalised_write_heavy, CONTRADICTION),
    Rule("DAT-015", 3, WARNING, data_model.modelling_without_reason, TEXTUAL),
    Rule("DAT-016", 3, WARNING, data_model.storage_not_expected, STRUCTURAL),
    Rule("DAT-017", 3, WARNING, data_model.eventual_but_transactional, TEXTUAL),
    Rule("DAT-018", 3, WARNING, data_model.writes_beyond_one_primary, COMPUTED),
    Rule("DAT-019", 3, WARNING, data_model.recorded_but_never_written, TEXTUAL),
    Rule("DAT-020", 3, WARNING, data_model.frequent_ad_hoc_scan, COMPUTED),
    Rule("DAT-021", 3, WARNING, data_model.range_over_a_unique_key, STRUCTURAL),
    Rule("DAT-022", 3, WARNING, data_model.expiry_without_deletion, TEXTUAL),
    Rule("DAT-023", 3, WARNING, data_model.rate_in_another_unit, CONTRADICTION),
    Rule("DAT-024", 3, WARNING, data_model.key_on_a_client_clock, TEXTUAL),
    # Phase 4: API
    Rule("API-001", 4, WARNING, api.unversioned_path, TEXTUAL),
    Rule("API-002", 4, WARNING, api.implementation_names, TEXTUAL),
    Rule("API-003", 4, WARNING, api.verb_in_path, TEXTUAL),
    Rule("API-004", 4, ERROR, api.retried_write_not_idempotent, STRUCTURAL),
    Rule("API-005", 4, ERROR, api.requirement_without_endpoint, STRUCTURAL),
    Rule("API-006", 4, WARNING, api.endpoint_without_requirement, STRUCTURAL),
    Rule("API-007", 4, ERROR, api.permanent_redirect_loses_clicks, CONTRADICTION),
    Rule("API-008", 4, WARNING, api.redirect_tradeoff_unstated, TEXTUAL),
    Rule("API-009", 4, ERROR, api.method_contradicts_operation, CONTRADICTION),
    Rule("API-010", 4, ERROR, api.status_contradicts_method, STRUCTURAL),
    Rule("API-011", 4, ERROR, api.redirect_status_mismatch, CONTRADICTION),
    Rule("API-012", 4, WARNING, api.push_without_push_protocol, TEXTUAL),
    Rule("API-013", 4, WARNING, api.protocol_unexplained, STRUCTURAL),
    Rule("API-014", 4, WARNING, api.incomplete_endpoint, STRUCTURAL),
    Rule("API-015", 4, WARNING, api.expected_endpoint_missing, STRUCTURAL),
    Rule("API-016", 4, WARNING, api.unpaged_list, CONTRADICTION),
    Rule("API-017", 4, WARNING, api.offset_over_a_moving_list, STRUCTURAL),
    Rule("API-018", 4, WARNING, api.polling_load_unaccounted, CONTRADICTION),
    Rule("API-019", 4, WARNING, api.over_limit_answered_as_server_error, TEXTUAL),
    # Phase 5: architecture
    Rule("ARC-001", 5, ERROR, architecture.unbalanced_app_servers, STRUCTURAL),
    Rule("ARC-002", 5, WARNING, architecture.stateful_app_servers, STRUCTURAL),
    Rule("ARC-003", 5, ERROR, architecture.unexplained_component, STRUCTURAL),
    Rule("ARC-004", 5, WARNING, architecture.reason_without_requirement, TEXTUAL),
    Rule("ARC-005", 5, WARNING, architecture.nothing_breaks_without, TEXTUAL),
    Rule("ARC-006", 5, ERROR, architecture.missing_parts, STRUCTURAL),
    Rule("ARC-007", 5, ERROR, architecture.undeclared_step, STRUCTURAL),
    Rule("ARC-008", 5, WARNING, architecture.component_on_no_path, STRUCTURAL),
    Rule("ARC-009", 5, ERROR, architecture.cache_without_miss_path, STRUCTURAL),
    Rule("ARC-010", 5, WARNING, architecture.cache_not_read_heavy, CONTRADICTION),
    Rule("ARC-011", 5, ERROR, architecture.queue_user_waits, STRUCTURAL),
    Rule("ARC-012", 5, ERROR, architecture.write_not_durable, STRUCTURAL),
    Rule("ARC-013", 5, WARNING, architecture.over_engineered, COMPUTED),
    Rule("ARC-014", 5, WARNING, architecture.expected_component_missing, STRUCTURAL),
    Rule("ARC-015", 5, WARNING, architecture.waits_after_durable, STRUCTURAL),
    Rule("ARC-016", 5, WARNING, architecture.content_through_app_servers, TEXTUAL),
    # Phase 6: technology choices
    Rule("TEC-001", 6, ERROR, technology.missing_part, STRUCTURAL),
    Rule("TEC-002", 6, WARNING, technology.no_same_kind_alternative, TEXTUAL),
    Rule("TEC-003", 6, WARNING, technology.alternative_without_reason, TEXTUAL),
    Rule("TEC-004", 6, WARNING, technology.tradeoffs_miss_downsides, TEXTUAL),
    Rule("TEC-005", 6, WARNING, technology.trigger_not_measurable, TEXTUAL),
    Rule("TEC-006", 6, WARNING, technology.contradicts_storage_type, CONTRADICTION),
    Rule("TEC-007", 6, WARNING, technology.scale_buzzword, TEXTUAL),
    Rule("TEC-008", 6, ERROR, technology.single_primary_over_capacity, COMPUTED),
    Rule("TEC-009", 6, INFO, technology.unknown_technology, STRUCTURAL),
    Rule("TEC-010", 6, WARNING, technology.storage_without_technology, CONTRADICTION),
    # Phase 7: bottlenecks
    Rule("BOT-001", 7, ERROR, bottlenecks.wrong_bottleneck, COMPUTED),
    Rule("BOT-002", 7, ERROR, bottlenecks.wrong_family, COMPUTED),
    Rule("BOT-003", 7, ERROR, bottlenecks.more_servers_for_database, COMPUTED),
    Rule("BOT-004", 7, ERROR, bottlenecks.outage_contradicted, CONTRADICTION),
    Rule("BOT-005", 7, ERROR, bottlenecks.chain_too_slow, COMPUTED),
    Rule("BOT-006", 7, WARNING, bottlenecks.hit_rate_unrealistic, COMPUTED),
    Rule("BOT-007", 7, WARNING, bottlenecks.bottleneck_unmitigated, STRUCTURAL),
    Rule("BOT-008", 7, WARNING, bottlenecks.outage_unanswered, STRUCTURAL),
    Rule("BOT-009", 7, INFO, bottlenecks.not_the_expected_bottleneck, STRUCTURAL),
    # Phase 8: failure
    Rule("FAIL-001", 8, ERROR, failure.unclassified_component, STRUCTURAL),
    Rule("FAIL-002", 8, WARNING, failure.unknown_component, STRUCTURAL),
    Rule("FAIL-003", 8, WARNING, failure.incomplete_classification, STRUCTURAL),
    Rule("FAIL-004", 8, ERROR, failure.hard_without_failover, STRUCTURAL),
    Rule("FAIL-005", 8, ERROR, failure.single_point_of_failure, CONTRADICTION),
    Rule("FAIL-006", 8, ERROR, failure.cascading_fallback, COMPUTED),
    Rule("FAIL-007", 8, ERROR, failure.retried_write_not_idempotent, CONTRADICTION),
    Rule("FAIL-008", 8, ERROR, failure.retries_without_backoff, STRUCTURAL),
    Rule("FAIL-009", 8, ERROR, failure.call_without_timeout, STRUCTURAL),
    Rule("FAIL-010", 8, WARNING, failure.hard_call_without_breaker, STRUCTURAL),
    Rule("FAIL-011", 8, WARNING, failure.async_replication_of_critical_data, CONTRADICTION),
    Rule("FAIL-012", 8, WARNING, failure.calls_not_listed, STRUCTURAL),
    Rule("FAIL-013", 8, WARNING, failure.write_path_below_target, COMPUTED),
    Rule("FAIL-014", 8, WARNING, failure.no_retries_though_safe, STRUCTURAL),
    Rule("FAIL-015", 8, WARNING, failure.retries_without_end, STRUCTURAL),
    Rule("FAIL-016", 8, WARNING, failure.long_wait_without_breaker, STRUCTURAL),
    Rule("FAIL-017", 8, WARNING, failure.guard_without_failure_behaviour, TEXTUAL),
    Rule("FAIL-018", 8, WARNING, failure.limiter_fails_closed, TEXTUAL),
    Rule("FAIL-019", 8, WARNING, failure.timeout_beyond_the_target, COMPUTED),
    # Phase 9: review
    Rule("REV-001", 9, WARNING, review.mechanism_without_tradeoff, TEXTUAL),
    Rule("REV-002", 9, WARNING, review.incomplete_tradeoff, STRUCTURAL),
    Rule("REV-003", 9, WARNING, review.revisit_vague, TEXTUAL),
    Rule("REV-004", 9, WARNING, review.why_simple_missing, STRUCTURAL),
    Rule("REV-005", 9, WARNING, review.checklist_item_failing, STRUCTURAL),
    Rule("REV-006", 9, PASS, review.all_explicit, STRUCTURAL),
    Rule("REV-007", 9, WARNING, review.why_simple_contradicted, CONTRADICTION),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}


def rules_for(phase: int) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if rule.phase == phase)


# Findings that deny one another: a rule's pass says a property holds, and a non-pass
# finding of any of these codes on the same design says it does not. They share their
# computation, so they can never both appear; tests/phases/test_agreement.py runs every
# sample answer to keep it so.
DENIED_BY: dict[str, tuple[str, ...]] = {
    "REQ-001": ("REQ-001", "REQ-002"),
    "EST-009": ("EST-001",),
    "DAT-001": ("DAT-001",),
    "ARC-004": ("ARC-003", "ARC-004"),
    "REV-006": ("REV-001", "REV-002", "REV-003", "REV-004", "REV-005"),
}
