"""The instructor's cohort dashboard, the read-only review of one attempt, and the
decision on a learner's dispute of a finding.

Every object is looked up through ``tutor.teaching``: learners get 403, and an
instructor gets 404 for a set or attempt they do not teach. The dashboard runs the same
number of queries for three learners as for a thousand: aggregates are computed by the
database and the rest is read with one ``values_list`` query per table.
"""

import csv
import math
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from phases.engine.findings import Severity
from phases.engine.registry import PHASE_NUMBERS, PHASES, PHASES_BY_NUMBER, RULES_BY_CODE
from phases.estimation import RESULTS
from tutor import gradebook as grades
from tutor import lti, services
from tutor.models import (
    Attempt,
    Comment,
    Dispute,
    Enrollment,
    Finding,
    PhaseAnswer,
    Report,
)
from tutor.teaching import instructor_required, taught_attempt, taught_dispute, taught_set

LEARNERS_PER_PAGE = 100
TOP_FINDINGS = 10
MAX_COMMENT = 5000
MAX_REPLY = 2000
DISPUTES_LISTED = 100  # the most recent disputes listed under their rules, open ones first

# Learner's figure divided by the recomputed one. The middle bin is what the estimate
# rules accept (within 2x); the outer ones are what they call errors (beyond 10x).
RATIO_BINS = (
    ("under_tenth", "Under 1/10"),
    ("tenth_to_half", "1/10 to 1/2"),
    ("half_to_double", "1/2 to 2"),
    ("double_to_ten", "2 to 10"),
    ("over_ten", "Over 10"),
)


def ratio_bin(ratio: float) -> str:
    """The bin of a learner/recomputed ratio; the edges match the estimate verdicts."""
    if ratio < 0.1:
        return "under_tenth"
    if ratio < 0.5:
        return "tenth_to_half"
    if ratio <= 2:
        return "half_to_double"
    if ratio <= 10:
        return "double_to_ten"
    return "over_ten"


# -- Cohort ---------------------------------------------------------------------------------


@instructor_required
@require_GET
def cohort(request, slug):
    problem_set = taught_set(request, slug)
    problems = list(problem_set.problems.all())
    problem = next((p for p in problems if p.slug == request.GET.get("problem")), None)
    phase = _phase_param(request.GET.get("phase"))

    enrollments = Enrollment.objects.filter(problem_set=problem_set).order_by(
        "learner__username", "pk"
    )
    page = Paginator(
        enrollments.values_list(
            "learner_id", "learner__username", "learner__first_name", "learner__last_name"
        ),
        LEARNERS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    rows = _learner_rows(problem_set, problems, list(page.object_list))
    ratios = _ratio_distribution(problem_set, problem)

    return render(
        request,
        "teach/cohort.html",
        {
            "problem_set": problem_set,
            "problems": problems,
            "phases": PHASES,
            "page": page,
            "rows": rows,
            "selected_problem": problem,
            "selected_phase": PHASES_BY_NUMBER.get(phase) if phase is not None else None,
            "top_findings": _top_findings(problem_set, problem, phase),
            "ratio_bins": RATIO_BINS,
            "ratios": ratios,
            "ratios_compared": sum(row["compared"] + row["other"] for row in ratios),
            "disputes": _disputes_by_rule(problem_set),
            # LTI: the courses linking here, who on their rosters has not launched yet,
            # and the grades the LMS does not have yet (tutor/lti.py).
            "lti_courses": list(lti.courses_of(problem_set)),
            "not_started": lti.not_started(problem_set),
            "grades_waiting": list(lti.grades_needing_attention(problem_set)[:100]),
            "filter_query": "".join(
                f"{key}={value}&"
                for key, value in (
                    ("problem", problem.slug if problem else ""),
                    ("phase", phase or ""),
                )
                if value
            ),
        },
    )


@instructor_required
@require_GET
def gradebook(request, slug):
    """The set's gradebook as CSV: a row per enrolled learner, per problem its state, score,
    nine phase scores, when it was finished and the address of its review."""
    problem_set = taught_set(request, slug)
    problems = list(problem_set.problems.all())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    day = timezone.now().date().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="{problem_set.slug}-gradebook-{day}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(grades.header(problems))
    writer.writerows(
        grades.rows(
            problem_set,
            problems,
            lambda pk: request.build_absolute_uri(reverse("teach_review", args=[pk])),
        )
    )
    return response


def _phase_param(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in PHASE_NUMBERS else None


def _learner_rows(problem_set, problems, learners) -> list[dict]:
    """One row per learner on the page: per problem, their latest attempt's progress.

    Two queries whatever the number of learners: the latest attempts (a correlated
    subquery picks each learner's newest per problem) and those attempts' phase states.
    """
    learner_ids = [learner_id for learner_id, *_ in learners]
    newest = Attempt.objects.filter(
        learner=OuterRef("learner"), problem=OuterRef("problem")
    ).order_by("-updated_at", "-pk")
    latest = Attempt.objects.filter(
        problem__problem_set=problem_set,
        learner_id__in=learner_ids,
        pk=Subquery(newest.values("pk")[:1]),
    )
    attempts = {
        (learner_id, problem_id): {"id": pk, "state": state, "updated_at": updated_at}
        for pk, learner_id, problem_id, state, updated_at in latest.values_list(
            "pk", "learner_id", "problem_id", "state", "updated_at"
        )
    }
    states: dict[int, dict[int, str]] = defaultdict(dict)
    for attempt_id, number, status in PhaseAnswer.objects.filter(attempt__in=latest).values_list(
        "attempt_id", "phase", "status"
    ):
        states[attempt_id][number] = status

    rows = []
    for learner_id, username, first_name, last_name in learners:
        cells = []
        for problem in problems:
            attempt = attempts.get((learner_id, problem.pk))
            if attempt is not None:
                mine = states[attempt["id"]]
                attempt["progress"] = [
                    (p, mine.get(p.number, PhaseAnswer.Status.NOT_STARTED)) for p in PHASES
                ]
                attempt["passed"] = sum(
                    1 for _, s in attempt["progress"] if s == PhaseAnswer.Status.PASSED
                )
                attempt["finished"] = attempt["state"] == Attempt.State.FINISHED
            cells.append({"problem": problem, "attempt": attempt})
        # The name an LMS gave the account, else its username (LTI accounts' are opaque).
        rows.append({"name": f"{first_name} {last_name}".strip() or username, "cells": cells})
    return rows


def _top_findings(problem_set, problem, phase) -> list[dict]:
    """The codes that fire most often (pass findings left out), in one query."""
    findings = Finding.objects.filter(answer__attempt__problem__problem_set=problem_set).exclude(
        severity=Severity.PASS.value
    )
    if problem is not None:
        findings = findings.filter(answer__attempt__problem=problem)
    if phase is not None:
        findings = findings.filter(answer__phase=phase)
    top = (
        findings.values("code")
        .annotate(
            count=Count("pk"),
            attempts=Count("answer__attempt", distinct=True),
            learners=Count("answer__attempt__learner", distinct=True),
        )
        .order_by("-count", "code")[:TOP_FINDINGS]
    )
    rows = []
    for row in top:
        rule = RULES_BY_CODE.get(row["code"])
        rows.append(
            {
                **row,
                "title": rule.title if rule else "",
                "phase": PHASES_BY_NUMBER.get(rule.phase) if rule else None,
                "severity": rule.severity.value if rule else "",
            }
        )
    return rows


def _disputes_by_rule(problem_set) -> dict:
    """Per rule, its disputes in this set: open and decided counts, and the most recent
    disputes listed under it, open ones first. Two queries whatever their number."""
    disputes = Dispute.objects.in_sets([problem_set])
    counts = (
        disputes.values("code")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(verdict=Dispute.Verdict.OPEN)),
            rule_wrong=Count("pk", filter=Q(verdict=Dispute.Verdict.RULE_WRONG)),
            rule_right=Count("pk", filter=Q(verdict=Dispute.Verdict.RULE_RIGHT)),
        )
        .order_by("-open", "-total", "code")
    )
    open_first = Case(When(verdict=Dispute.Verdict.OPEN, then=Value(0)), default=Value(1))
    listed = disputes.order_by(open_first, "-created_at", "-pk").values(
        "pk",
        "code",
        "verdict",
        "reason",
        "created_at",
        "learner__username",
        "answer__phase",
        "answer__attempt__problem__title",
    )[:DISPUTES_LISTED]
    by_code = defaultdict(list)
    for row in listed:
        row["verdict_label"] = Dispute.Verdict(row["verdict"]).label
        by_code[row["code"]].append(row)
    rules = []
    for row in counts:
        rule = RULES_BY_CODE.get(row["code"])
        rules.append(
            {
                **row,
                "title": rule.title if rule else "",
                "phase": PHASES_BY_NUMBER.get(rule.phase) if rule else None,
                "decided": row["rule_wrong"] + row["rule_right"],
                "listed": by_code[row["code"]],
            }
        )
    total = sum(row["total"] for row in rules)
    return {"rules": rules, "total": total, "limit": DISPUTES_LISTED}


def _ratio_distribution(problem_set, problem) -> list[dict]:
    """Per phase 2 result: how many learners' figures fall in each ratio bin.

    Reads only the ``results`` key of the finished phase 2 reports, in one query.
    """
    reports = Report.objects.filter(
        answer__phase=2,
        answer__attempt__problem__problem_set=problem_set,
        status=Report.Status.DONE,
    )
    if problem is not None:
        reports = reports.filter(answer__attempt__problem=problem)
    counts = {
        field.key: dict.fromkeys([key for key, _ in RATIO_BINS] + ["other"], 0) for field in RESULTS
    }
    for results in reports.values_list("data__results", flat=True):
        for result in results or ():
            if not isinstance(result, dict) or result.get("key") not in counts:
                continue
            row = counts[result["key"]]
            ratio = result.get("ratio")
            if isinstance(ratio, int | float) and math.isfinite(ratio):
                row[ratio_bin(ratio)] += 1
            elif result.get("verdict") == "error":
                row["over_ten"] += 1  # an infinite ratio: something where we compute 0
            else:
                row["other"] += 1  # not given, or not a number
    table = []
    for field in RESULTS:
        row = counts[field.key]
        table.append(
            {
                "key": field.key,
                "label": field.label,
                "bins": [row[key] for key, _ in RATIO_BINS],
                "compared": sum(row[key] for key, _ in RATIO_BINS),
                "other": row["other"],
            }
        )
    return table


# -- Review and comments --------------------------------------------------------------------


class CommentForm(forms.Form):
    phase = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in PHASE_NUMBERS],
        coerce=int,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Say which phase the comment is about (1 to 9).",
            "invalid_choice": "Say which phase the comment is about (1 to 9).",
        },
    )
    text = forms.CharField(
        label="Comment",
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Write a comment before posting it.",
            "max_length": f"Keep a comment to {MAX_COMMENT:,} characters "
            "(this one has %(show_value)s).",
        },
    )


def _reviewed_attempt(request, attempt_id) -> Attempt:
    attempt = taught_attempt(request, attempt_id)
    # Prefetched once: the findings per phase, and the answers the design is built from.
    prefetch_related_objects(
        [attempt],
        Prefetch("answers", queryset=PhaseAnswer.objects.prefetch_related("findings")),
        Prefetch("comments", queryset=Comment.objects.select_related("author")),
    )
    return attempt


def _review(request, attempt, form=None, status=200):
    answers = {a.phase: a for a in attempt.answers.all()}
    comments = defaultdict(list)
    for comment in attempt.comments.all():
        comments[comment.phase].append(comment)
    phases = []
    for phase in PHASES:
        answer = answers.get(phase.number)
        bound = form if form is not None and form.data.get("phase") == str(phase.number) else None
        phases.append(
            {
                "phase": phase,
                "status": answer.status if answer else PhaseAnswer.Status.NOT_STARTED,
                "findings": list(answer.findings.all()) if answer else [],
                "comments": comments[phase.number],
                "form": bound or CommentForm(initial={"phase": phase.number}),
                "form_errors": bool(bound and bound.errors),
            }
        )
    # A form whose phase is not one of the nine has nowhere to be shown but the top.
    stray = form if form is not None and not any(p["form"] is form for p in phases) else None
    return render(
        request,
        "teach/review.html",
        {
            "attempt": attempt,
            "problem": attempt.problem,
            "problem_set": attempt.problem.problem_set,
            "learner": attempt.learner,
            "states": attempt.phase_progress(),
            "scores": services.phase_scores(attempt),
            "phases": phases,
            "stray_form": stray,
            "max_comment": f"{MAX_COMMENT:,}",
        },
        status=status,
    )


@instructor_required
@require_GET
def review(request, attempt_id):
    return _review(request, _reviewed_attempt(request, attempt_id))


@instructor_required
@require_POST
def comment(request, attempt_id):
    attempt = taught_attempt(request, attempt_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _review(request, _reviewed_attempt(request, attempt_id), form=form, status=400)
    phase = form.cleaned_data["phase"]
    Comment.objects.create(
        attempt=attempt, phase=phase, author=request.user, text=form.cleaned_data["text"]
    )
    messages.success(request, f"Comment added to phase {phase}.")
    return redirect(reverse("teach_review", args=[attempt.pk]) + f"#phase-{phase}")


# -- Disputes -------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Your decision",
        choices=[
            (Dispute.Verdict.RULE_WRONG, Dispute.Verdict.RULE_WRONG.label),
            (Dispute.Verdict.RULE_RIGHT, Dispute.Verdict.RULE_RIGHT.label),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Your decision is missing: choose whether the rule was wrong or right.",
            "invalid_choice": "Your decision is missing: choose whether the rule was wrong or "
            "right.",
        },
    )
    reply = forms.CharField(
        label="Reply to the learner",
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "The reply is empty: tell the learner why, in a sentence or two.",
            "max_length": f"The reply is too long: keep it to {MAX_REPLY:,} characters "
            "(it has %(show_value)s).",
        },
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def dispute(request, dispute_id):
    """One dispute with the answer as it was when disputed, and the decision on it."""
    dispute = taught_dispute(request, dispute_id)
    initial = None if dispute.is_open else {"verdict": dispute.verdict, "reply": dispute.reply}
    form = DecisionForm(request.POST or None, initial=initial)
    answer = dispute.answer
    attempt = answer.attempt
    if request.method == "POST" and form.is_valid():
        services.decide_dispute(dispute, request.user, **form.cleaned_data)
        messages.success(
            request,
            f"Decision saved: {dispute.learner.username} sees your reply on phase "
            f"{answer.phase} of {attempt.problem.title}.",
        )
        slug = attempt.problem.problem_set.slug
        return redirect(reverse("teach_cohort", args=[slug]) + f"#disputes-{dispute.code}")
    keys = (services.finding_dispute_key(f) for f in answer.findings.filter(code=dispute.code))
    rule = RULES_BY_CODE.get(dispute.code)
    return render(
        request,
        "teach/dispute.html",
        {
            "dispute": dispute,
            "answer": answer,
            "attempt": attempt,
            "problem": attempt.problem,
            "problem_set": attempt.problem.problem_set,
            "learner": dispute.learner,
            "rule": rule,
            "rule_phase": PHASES_BY_NUMBER.get(rule.phase) if rule else None,
            "phase": PHASES_BY_NUMBER[answer.phase],
            "field_phase": PHASES_BY_NUMBER.get(dispute.field_phase or answer.phase),
            "still_shown": dispute.finding_key in keys,
            "form": form,
            "max_reply": f"{MAX_REPLY:,}",
        },
        status=400 if form.is_bound else 200,
    )
