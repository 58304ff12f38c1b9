"""Views: check access, validate input, call one service, render one page.

Objects a learner owns are looked up together with the owner, so another learner gets
the same 404 as for an object that does not exist.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, trigger_client_event

from phases.answers import AnswerShapeError
from phases.findings import Severity
from phases.registry import (
    BACKGROUND_PHASES,
    PHASE_MODULES,
    PHASES,
    PHASES_BY_NUMBER,
    RULES,
    rules_for,
)
from tutor import services
from tutor.forms import (
    OUT_OF_DATE_FORM,
    PHASE_FORMS,
    JoinForm,
    SignupForm,
    apply_row_action,
    compact,
    html_name,
)
from tutor.models import Attempt, Enrollment, PhaseAnswer, ProblemSet, Report


def home(request):
    problem_sets = ProblemSet.objects.filter(is_published=True).annotate(
        problem_count=Count("problems", filter=Q(problems__is_published=True))
    )
    return render(request, "tutor/home.html", {"problem_sets": problem_sets, "phases": PHASES})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Pick a problem to start.")
        return redirect("problemsets")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def dashboard(request):
    attempts = (
        Attempt.objects.owned_by(request.user)
        .select_related("problem__problem_set")
        .prefetch_related(
            Prefetch("answers", queryset=PhaseAnswer.objects.only("attempt", "phase", "status"))
        )
    )
    enrollments = Enrollment.objects.filter(learner=request.user).select_related("problem_set")
    return render(
        request,
        "tutor/dashboard.html",
        {
            "attempts": attempts,
            "enrollments": enrollments,
            "phases": PHASES,
            "tripped": services.rules_tripped_most(request.user),
        },
    )


def problem_sets(request):
    sets = ProblemSet.objects.visible_to(request.user).annotate(
        problem_count=Count("problems", filter=Q(problems__is_published=True))
    )
    joined = set()
    if request.user.is_authenticated:
        joined = set(
            Enrollment.objects.filter(learner=request.user).values_list("problem_set_id", flat=True)
        )
    return render(request, "tutor/problemsets.html", {"problem_sets": sets, "joined": joined})


def _visible_problem_set(request, slug) -> ProblemSet:
    return get_object_or_404(ProblemSet.objects.visible_to(request.user), slug=slug)


def _visible_problems(request, problem_set):
    problems = problem_set.problems.all()
    if not (
        request.user.is_authenticated
        and problem_set.instructors.filter(pk=request.user.pk).exists()
    ):
        problems = problems.filter(is_published=True)
    return problems


def problem_set_detail(request, slug):
    problem_set = _visible_problem_set(request, slug)
    enrolled = (
        request.user.is_authenticated
        and Enrollment.objects.filter(learner=request.user, problem_set=problem_set).exists()
    )
    return render(
        request,
        "tutor/problemset.html",
        {
            "problem_set": problem_set,
            "problems": _visible_problems(request, problem_set),
            "enrolled": enrolled,
            "join_form": JoinForm(),
        },
    )


@login_required
@require_POST
def join(request, slug):
    problem_set = _visible_problem_set(request, slug)
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            services.join_problem_set(request.user, problem_set, form.cleaned_data["code"])
        except services.JoinError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, f"You joined {problem_set.title}.")
            return redirect(problem_set)
    return render(
        request,
        "tutor/problemset.html",
        {
            "problem_set": problem_set,
            "problems": _visible_problems(request, problem_set),
            "enrolled": False,
            "join_form": form,
        },
        status=400,
    )


def problem_detail(request, set_slug, slug):
    problem_set = _visible_problem_set(request, set_slug)
    problem = get_object_or_404(_visible_problems(request, problem_set), slug=slug)
    attempt = None
    if request.user.is_authenticated:
        attempt = (
            Attempt.objects.owned_by(request.user)
            .filter(problem=problem, state=Attempt.State.IN_PROGRESS)
            .first()
        )
    can_start = request.user.is_authenticated and (
        problem_set.is_open
        or Enrollment.objects.filter(learner=request.user, problem_set=problem_set).exists()
    )
    return render(
        request,
        "tutor/problem.html",
        {
            "problem": problem,
            "problem_set": problem_set,
            "attempt": attempt,
            "can_start": can_start,
        },
    )


@login_required
@require_POST
def start_attempt(request, set_slug, slug):
    problem_set = _visible_problem_set(request, set_slug)
    problem = get_object_or_404(_visible_problems(request, problem_set), slug=slug)
    enrolled = Enrollment.objects.filter(learner=request.user, problem_set=problem_set).exists()
    if not (problem_set.is_open or enrolled):
        messages.error(request, "Join this problem set with its code before starting a problem.")
        return redirect(problem_set)
    attempt = services.start_attempt(request.user, problem)
    return redirect("phase", attempt.pk, 1)


def _own_attempt(request, attempt_id) -> Attempt:
    # The problem's sample answers (tens of kilobytes of JSON) are for authoring only.
    return get_object_or_404(
        Attempt.objects.select_related("problem__problem_set")
        .defer("problem__samples")
        .prefetch_related("answers"),
        pk=attempt_id,
        learner=request.user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def phase(request, attempt_id, number):
    attempt = _own_attempt(request, attempt_id)
    phase_info = PHASES_BY_NUMBER.get(number)
    if phase_info is None:
        raise Http404("There are nine phases.")
    answer = next((a for a in attempt.answers.all() if a.phase == number), None)
    forms_class = PHASE_FORMS.get(number)
    module = PHASE_MODULES.get(number)
    notice = ""
    status_code = 200
    saved = False
    conflict = None
    findings = None  # read from the database unless a save has just stored them

    # One reading of the attempt's answers serves the choices, suggestions and figures.
    design = services.design_for(attempt)
    choices = _requirement_choices(design)
    if forms_class is None:
        forms = None
    elif request.method == "POST":
        action = request.POST.get("row_action", "")
        if action:
            new_data = apply_row_action(request.POST, action, forms_class.row_classes)
            forms = forms_class(
                data=new_data if new_data is not None else request.POST,
                requirement_choices=choices,
            )
            notice = "Rows changed. Nothing is saved until you press Save and check."
        elif attempt.is_finished:
            forms = forms_class(data=request.POST, requirement_choices=choices)
            notice = "This attempt is finished; its answers can no longer change."
            status_code = 409
        else:
            forms = forms_class(data=request.POST, requirement_choices=choices)
            if forms.is_valid():
                document = forms.document(module.SCHEMA_VERSION)
                try:
                    module.parse(document)
                except AnswerShapeError as exc:
                    forms.add_shape_errors(exc.errors)
                else:
                    try:
                        answer = services.save_phase(
                            attempt,
                            number,
                            compact(document, forms_class.row_classes),
                            base_revision=forms.base_revision,
                        )
                    except services.SaveConflict as exc:
                        conflict = _conflict(attempt, number, exc.answer, document)
                        # The learner's text stays; the form now carries the stored
                        # revision, so saving again overwrites it on purpose.
                        forms = forms_class(
                            data=request.POST,
                            requirement_choices=choices,
                            base_revision=exc.answer.revision,
                        )
                        attempt = _own_attempt(request, attempt_id)
                        design = services.design_for(attempt)
                        answer = next((a for a in attempt.answers.all() if a.phase == number), None)
                        status_code = 409
                    else:
                        saved = True
                        if not request.htmx:
                            messages.success(request, "Saved and checked.")
                            return redirect("phase", attempt.pk, number)
                        findings = getattr(answer, "saved_findings", None)
                        answer = _refreshed(attempt, answer)
                        if answer is None:  # the phase's first save: read the attempt again
                            attempt = _own_attempt(request, attempt_id)
                            answer = next(a for a in attempt.answers.all() if a.phase == number)
                        design = services.design_for(attempt)
                        if request.POST.get("redraw"):
                            # Errors were on show: send the form back without them.
                            forms = forms_class(
                                document=answer.data,
                                requirement_choices=choices,
                                base_revision=answer.revision,
                            )
            if forms.out_of_date:
                notice = OUT_OF_DATE_FORM
                status_code = 422
            elif not saved and not conflict:
                notice = "Not saved: correct the fields marked below. Everything you typed is kept."
                status_code = 422
    else:
        forms = forms_class(
            document=answer.data if answer else module.empty(),
            requirement_choices=choices,
            base_revision=answer.revision if answer else 0,
        )

    context = _phase_context(request, attempt, design, phase_info, answer, forms, module, findings)
    context.update(
        # Errors or a conflict on show: the next save sends the whole form back.
        redraw=status_code != 200 or bool(forms and forms.errors_count),
        comments=attempt.comments.filter(phase=number).select_related("author"),
        notice=notice,
        saved=saved,
        conflict=conflict,
        requirement_choices=choices,
        component_names=_component_names(design),
    )
    if request.htmx and request.method == "GET" and request.htmx.target == "report":
        if context["report"]:  # its worker may have died: enqueue it again if stale
            context["report"] = services.recover_stale_report(context["report"])
        return render(request, "tutor/phase.html#report", context)
    if saved and not request.POST.get("redraw"):
        # The form stays as the learner left it: only what the save changed goes back,
        # each part swapped out of band by its id, nothing into the form's target.
        return _acknowledged(reswap(render(request, "tutor/_saved.html", context), "none"), answer)
    if request.htmx and request.method == "POST":
        # htmx swaps only successful responses; the notice carries the outcome instead.
        html = render_to_string("tutor/phase.html#workspace", context, request=request)
        html += render_to_string(
            "tutor/phase.html#progress", {**context, "oob": True}, request=request
        )
        return _acknowledged(HttpResponse(html), answer) if saved else HttpResponse(html)
    return render(request, "tutor/phase.html", context, status=status_code)


def _acknowledged(response, answer):
    """Tell the page's script (static/js/unsaved.js) that this save is stored: it drops
    the browser's draft of the phase and any "Not saved" notice. A response without this
    event (a row action, field errors, a conflict) leaves the draft in place."""
    return trigger_client_event(response, "phase-saved", {"revision": answer.revision})


def _conflict(attempt, number, stored, document) -> dict:
    """What the page says when the phase was saved after the learner's form was built:
    the saved revision and, field by field, where the saved text differs from theirs."""
    saved_rows = _flatten(stored.data)
    mine = _flatten(compact(document, PHASE_FORMS[number].row_classes))
    differences = [
        {"path": path, "saved": saved_rows.get(path, ""), "yours": mine.get(path, "")}
        for path in dict.fromkeys([*saved_rows, *mine])
        if path != "version" and saved_rows.get(path, "") != mine.get(path, "")
    ]
    return {
        "revision": stored.revision,
        "status": stored.get_status_display(),
        "checked_at": stored.checked_at,
        "differences": differences[:CONFLICT_DIFFERENCES],
        "more": max(0, len(differences) - CONFLICT_DIFFERENCES),
        "reload": reverse("phase", args=[attempt.pk, number]),
    }


CONFLICT_DIFFERENCES = 30


def _flatten(value, path="") -> dict[str, str]:
    """A phase document as ``path: text`` pairs (``latency[1].unit``), for comparing."""
    if isinstance(value, dict):
        items = [(f"{path}.{key}" if path else str(key), v) for key, v in value.items()]
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "yes" if value else ""
        else:
            text = "" if value is None else str(value)
        return {path: text}
    flat: dict[str, str] = {}
    for key, item in items:
        flat.update(_flatten(item, key))
    return flat


def _requirement_choices(design) -> tuple[str, ...]:
    """The learner's phase 1 requirements, for rows in later phases that name one."""
    try:
        functional = design.requirements.functional
    except AnswerShapeError:
        return ()
    return tuple(dict.fromkeys(fr.text for fr in functional if fr.text))


def _component_names(design) -> tuple[str, ...]:
    """The components declared in phase 5, suggested wherever a later phase names one."""
    try:
        components = design.architecture.components
    except AnswerShapeError:
        return ()
    return tuple(dict.fromkeys(c.name for c in components if c.name))


def _refreshed(attempt, saved: PhaseAnswer) -> PhaseAnswer | None:
    """The attempt's own (prefetched) copy of a just-saved answer, brought up to date
    with it; None when the attempt had no answer for that phase before the save."""
    current = next((a for a in attempt.answers.all() if a.phase == saved.phase), None)
    if current is None:
        return None
    for name in ("data", "schema_version", "status", "revision", "checked_at", "updated_at"):
        setattr(current, name, getattr(saved, name))
    return current


def _phase_context(
    request, attempt, design, phase_info, answer, forms, module, findings=None
) -> dict:
    """What the phase page shows. ``findings``: the answer's, when the caller has them
    (a save just stored them); otherwise they are read."""
    by_field: dict[str, list] = {}
    number = phase_info.number
    lists = forms.formsets if forms else {}
    if findings is None:
        findings = list(answer.findings.all()) if answer else []
    for finding in findings:
        finding.anchor = html_name(finding.field) if finding.field else ""
        elsewhere = finding.field_phase and finding.field_phase != number
        if finding.anchor:
            forms_class = PHASE_FORMS.get(finding.field_phase) if elsewhere else None
            row_lists = forms_class.row_classes if forms_class else lists
            prefix = "section-" if finding.anchor in row_lists else "id_"
            page = reverse("phase", args=[attempt.pk, finding.field_phase]) if elsewhere else ""
            finding.href = f"{page}#{prefix}{finding.anchor}"
            finding.elsewhere = PHASES_BY_NUMBER[finding.field_phase] if elsewhere else None
        if not elsewhere:
            by_field.setdefault(finding.anchor, []).append(finding)
    counts = {s.value: sum(1 for f in findings if f.severity == s.value) for s in Severity}
    computed = {}
    report = None
    if answer and module:
        if number in BACKGROUND_PHASES:
            # Read here, after any save has committed (its hook may have computed it).
            report = Report.objects.filter(answer=answer).first()
        else:
            try:
                computed = module.computed(design)
            except AnswerShapeError:
                # A document saved under an older shape: show the form, skip the figures.
                computed = {}
    return {
        "attempt": attempt,
        "problem": attempt.problem,
        "phase": phase_info,
        "states": attempt.phase_progress(),
        "answer": answer,
        "forms": forms,
        "findings": findings,
        "findings_by_field": by_field,
        "counts": counts,
        "computed": computed,
        "report": report,
        "previous": PHASES_BY_NUMBER.get(number - 1),
        "next": PHASES_BY_NUMBER.get(number + 1),
        "rules": rules_for(number),
    }


@login_required
def attempt_overview(request, attempt_id):
    attempt = _own_attempt(request, attempt_id)
    return render(
        request,
        "tutor/attempt.html",
        {
            "attempt": attempt,
            "problem": attempt.problem,
            "scores": services.phase_scores(attempt),
            "show_scores": attempt.is_finished and attempt.problem.problem_set.release_scores,
            "show_reference": attempt.is_finished and attempt.problem.problem_set.release_reference,
        },
    )


@login_required
@require_POST
def finish(request, attempt_id):
    attempt = _own_attempt(request, attempt_id)
    services.finish_attempt(attempt)
    messages.success(request, "Attempt finished: your scores and the reference solution are below.")
    return redirect("attempt", attempt.pk)


@login_required
@require_GET
def export(request, attempt_id):
    attempt = _own_attempt(request, attempt_id)
    response = HttpResponse(
        services.export_markdown(attempt), content_type="text/markdown; charset=utf-8"
    )
    filename = f"{attempt.problem.slug}-design-{attempt.pk}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def rules(request):
    by_phase = [(p, [r for r in RULES if r.phase == p.number]) for p in PHASES]
    return render(request, "tutor/rules.html", {"by_phase": by_phase})


@require_GET
def reference(request):
    from phases import reference as numbers
    from phases.quantities import format_value
    from phases.requirements import allowed_downtime

    capacities = [(c, format_value(c.value, c.kind)) for c in numbers.CAPACITIES]
    nines = [allowed_downtime(p) for p in (99.0, 99.9, 99.95, 99.99, 99.999)]
    return render(
        request,
        "tutor/reference.html",
        {
            "capacities": capacities,
            "latencies": numbers.LATENCIES,
            "periods": [(name, f"{seconds:,}") for name, seconds in numbers.PERIODS],
            "nines": nines,
        },
    )


@require_GET
def healthz_live(request):
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def healthz_ready(request):
    """Ready when the database answers: the one hard dependency, without which no page works.

    Redis is a soft one (saves go on without it and reports are computed in process), so
    a Redis that is down shows as "degraded" in the body but leaves the process ready: a
    load balancer must not take every web process out for it. The database check is
    bounded by ``DB_QUERY_TIMEOUT`` and ``DB_CONNECT_TIMEOUT``, so a silent database
    answers 503 in seconds.
    """
    from django.conf import settings
    from django.core.cache import cache

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "ok", 5)
            checks["redis"] = "ok" if cache.get("healthz") == "ok" else "degraded"
        except Exception as exc:  # noqa: BLE001 - soft: reported, never fatal
            checks["redis"] = f"degraded: {exc.__class__.__name__}"
    ready = checks["database"] == "ok"
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
