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
from phases.findings import Hit, Severity
from phases.unit import PhaseUnit

if TYPE_CHECKING:
    from phases.design import Design

# The nine phases in order. Each module declares its own unit (phases/unit.py): title,
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

# A rule: reads a design, yields what it finds (phases/design.py imports this module, so
# the design's type is named as text here).
Check = Callable[["Design"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    phase: int
    severity: Severity
    check: Check

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

RULES: tuple[Rule, ...] = (
    # Phase 1: requirements
    Rule("REQ-001", 1, ERROR, requirements.missing_capabilities),
    Rule("REQ-002", 1, ERROR, requirements.left_out_but_required),
    Rule("REQ-003", 1, WARNING, requirements.not_an_operation),
    Rule("REQ-004", 1, WARNING, requirements.untagged_path),
    Rule("REQ-005", 1, ERROR, requirements.quality_filed_as_function),
    Rule("REQ-006", 1, ERROR, requirements.vague_targets),
    Rule("REQ-007", 1, ERROR, requirements.latency_missing_percentile_or_unit),
    Rule("REQ-008", 1, ERROR, requirements.tail_below_median),
    Rule("REQ-009", 1, ERROR, requirements.below_network_floor),
    Rule("REQ-010", 1, WARNING, requirements.no_read_write_ratio),
    Rule("REQ-011", 1, WARNING, requirements.missing_targets),
    Rule("REQ-012", 1, WARNING, requirements.staleness_unbounded),
    Rule("REQ-013", 1, ERROR, requirements.availability_beyond_reach),
    Rule("REQ-014", 1, INFO, requirements.high_availability_noted),
    # Phase 2: scale estimation
    Rule("EST-001", 2, ERROR, estimation.result_off),
    Rule("EST-002", 2, ERROR, estimation.contradicts_givens),
    Rule("EST-003", 2, WARNING, estimation.no_peak_factor),
    Rule("EST-004", 2, WARNING, estimation.storage_without_overhead),
    Rule("EST-005", 2, ERROR, estimation.wrong_pressure_point),
    Rule("EST-006", 2, ERROR, estimation.missing_basics),
    Rule("EST-007", 2, WARNING, estimation.missing_results),
    Rule("EST-008", 2, WARNING, estimation.no_implication),
    Rule("EST-009", 2, PASS, estimation.results_agree),
    # Phase 3: data model
    Rule("DAT-001", 3, ERROR, data_model.missing_access_pattern),
    Rule("DAT-002", 3, WARNING, data_model.unknown_requirement),
    Rule("DAT-003", 3, WARNING, data_model.incomplete_pattern),
    Rule("DAT-004", 3, ERROR, data_model.text_search_without_index),
    Rule("DAT-005", 3, ERROR, data_model.search_only_store),
    Rule("DAT-006", 3, ERROR, data_model.transaction_without_acid),
    Rule("DAT-007", 3, ERROR, data_model.blobs_outside_object_storage),
    Rule("DAT-008", 3, ERROR, data_model.object_storage_queried),
    Rule("DAT-009", 3, WARNING, data_model.traversal_without_graph),
    Rule("DAT-010", 3, ERROR, data_model.wide_column_off_partition),
    Rule("DAT-011", 3, WARNING, data_model.lookup_fits_badly),
    Rule("DAT-012", 3, WARNING, data_model.unused_entity),
    Rule("DAT-013", 3, ERROR, data_model.fanout_on_write_with_celebrities),
    Rule("DAT-014", 3, WARNING, data_model.denormalised_write_heavy),
    Rule("DAT-015", 3, WARNING, data_model.modelling_without_reason),
    Rule("DAT-016", 3, WARNING, data_model.storage_not_expected),
    # Phase 4: API
    Rule("API-001", 4, WARNING, api.unversioned_path),
    Rule("API-002", 4, WARNING, api.implementation_names),
    Rule("API-003", 4, WARNING, api.verb_in_path),
    Rule("API-004", 4, ERROR, api.retried_write_not_idempotent),
    Rule("API-005", 4, ERROR, api.requirement_without_endpoint),
    Rule("API-006", 4, WARNING, api.endpoint_without_requirement),
    Rule("API-007", 4, ERROR, api.permanent_redirect_loses_clicks),
    Rule("API-008", 4, WARNING, api.redirect_tradeoff_unstated),
    Rule("API-009", 4, ERROR, api.method_contradicts_operation),
    Rule("API-010", 4, ERROR, api.status_contradicts_method),
    Rule("API-011", 4, ERROR, api.redirect_status_mismatch),
    Rule("API-012", 4, ERROR, api.push_without_push_protocol),
    Rule("API-013", 4, WARNING, api.protocol_unexplained),
    Rule("API-014", 4, WARNING, api.incomplete_endpoint),
    Rule("API-015", 4, WARNING, api.expected_endpoint_missing),
    # Phase 5: architecture
    Rule("ARC-001", 5, ERROR, architecture.unbalanced_app_servers),
    Rule("ARC-002", 5, ERROR, architecture.stateful_app_servers),
    Rule("ARC-003", 5, ERROR, architecture.unexplained_component),
    Rule("ARC-004", 5, WARNING, architecture.reason_without_requirement),
    Rule("ARC-005", 5, WARNING, architecture.nothing_breaks_without),
    Rule("ARC-006", 5, ERROR, architecture.missing_parts),
    Rule("ARC-007", 5, ERROR, architecture.undeclared_step),
    Rule("ARC-008", 5, WARNING, architecture.component_on_no_path),
    Rule("ARC-009", 5, ERROR, architecture.cache_without_miss_path),
    Rule("ARC-010", 5, WARNING, architecture.cache_not_read_heavy),
    Rule("ARC-011", 5, ERROR, architecture.queue_user_waits),
    Rule("ARC-012", 5, ERROR, architecture.write_not_durable),
    Rule("ARC-013", 5, WARNING, architecture.over_engineered),
    Rule("ARC-014", 5, WARNING, architecture.expected_component_missing),
    # Phase 6: technology choices
    Rule("TEC-001", 6, ERROR, technology.missing_part),
    Rule("TEC-002", 6, ERROR, technology.no_same_kind_alternative),
    Rule("TEC-003", 6, WARNING, technology.alternative_without_reason),
    Rule("TEC-004", 6, WARNING, technology.tradeoffs_miss_downsides),
    Rule("TEC-005", 6, WARNING, technology.trigger_not_measurable),
    Rule("TEC-006", 6, WARNING, technology.contradicts_storage_type),
    Rule("TEC-007", 6, ERROR, technology.scale_buzzword),
    Rule("TEC-008", 6, ERROR, technology.single_primary_over_capacity),
    Rule("TEC-009", 6, INFO, technology.unknown_technology),
    # Phase 7: bottlenecks
    Rule("BOT-001", 7, ERROR, bottlenecks.wrong_bottleneck),
    Rule("BOT-002", 7, ERROR, bottlenecks.wrong_family),
    Rule("BOT-003", 7, ERROR, bottlenecks.more_servers_for_database),
    Rule("BOT-004", 7, ERROR, bottlenecks.outage_contradicted),
    Rule("BOT-005", 7, ERROR, bottlenecks.chain_too_slow),
    Rule("BOT-006", 7, WARNING, bottlenecks.hit_rate_unrealistic),
    Rule("BOT-007", 7, WARNING, bottlenecks.bottleneck_unmitigated),
    Rule("BOT-008", 7, WARNING, bottlenecks.outage_unanswered),
    Rule("BOT-009", 7, INFO, bottlenecks.not_the_expected_bottleneck),
    # Phase 8: failure
    Rule("FAIL-001", 8, ERROR, failure.unclassified_component),
    Rule("FAIL-002", 8, WARNING, failure.unknown_component),
    Rule("FAIL-003", 8, WARNING, failure.incomplete_classification),
    Rule("FAIL-004", 8, ERROR, failure.hard_without_failover),
    Rule("FAIL-005", 8, ERROR, failure.single_point_of_failure),
    Rule("FAIL-006", 8, ERROR, failure.cascading_fallback),
    Rule("FAIL-007", 8, ERROR, failure.retried_write_not_idempotent),
    Rule("FAIL-008", 8, ERROR, failure.retries_without_backoff),
    Rule("FAIL-009", 8, ERROR, failure.call_without_timeout),
    Rule("FAIL-010", 8, WARNING, failure.hard_call_without_breaker),
    Rule("FAIL-011", 8, WARNING, failure.async_replication_of_critical_data),
    Rule("FAIL-012", 8, WARNING, failure.calls_not_listed),
    # Phase 9: review
    Rule("REV-001", 9, ERROR, review.mechanism_without_tradeoff),
    Rule("REV-002", 9, WARNING, review.incomplete_tradeoff),
    Rule("REV-003", 9, WARNING, review.revisit_vague),
    Rule("REV-004", 9, WARNING, review.why_simple_missing),
    Rule("REV-005", 9, WARNING, review.checklist_item_failing),
    Rule("REV-006", 9, PASS, review.all_explicit),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}


def rules_for(phase: int) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if rule.phase == phase)
