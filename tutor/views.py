"""Views: check access, validate input, call one service, render one page.

Objects a learner owns are looked up together with the owner (in the statement, or,
for what is read with the session before the user is known, by the function that reads
it), so another learner gets the same 404 as for an object that does not exist.
"""

import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache, caches
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, trigger_client_event
from django_htmx.middleware import HtmxDetails

from phases import architecture
from phases.corpus import samples
from phases.engine.answers import AnswerShapeError, flatten
from phases.engine.design import Design
from phases.engine.findings import Severity
from phases.engine.registry import PHASES, PHASES_BY_NUMBER, RULES, rules_for
from phases.engine.unit import PhaseUnit
from phases.knowledge import reference as numbers
from phases.reading.quantities import format_value
from phases.rendering import diagram
from phases.requirements import allowed_downtime
from tutor import services
from tutor.database import Rows, Statement
from tutor.forms import (
    OUT_OF_DATE_FORM,
    DisputeForm,
    FinishForm,
    JoinForm,
    PhaseForms,
    PostedForms,
    SignupForm,
    StoredForms,
    apply_row_action,
    compact,
    forms_for,
    html_name,
)
from tutor.models import (
    Attempt,
    Dispute,
    Enrollment,
    Finding,
    PhaseAnswer,
    ProblemSet,
    Report,
    User,
)
from tutor.teaching import is_instructor, taught_sets


@dataclass(frozen=True)
class ReadAlong:
    """Rows read with the session for the attempt and phase in the URL, before the user
    was known, so not yet checked to be theirs (``_read_with_session``)."""

    attempt_id: int
    number: int
    rows: Rows


class LearnerRequest(HttpRequest):
    """A request to the phase views: behind ``login_required`` (so ``user`` is a User)
    and through django-htmx's middleware (``htmx``); ``read_along``: what the view read
    with the session, when it did."""

    user: User
    htmx: HtmxDetails
    read_along: ReadAlong


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


def _own_attempt(request: LearnerRequest, attempt_id: int) -> Attempt:
    # The problem's sample answers (tens of kilobytes of JSON) are for authoring only.
    # The answers in phase order: the models' default ordering would join the attempt.
    return get_object_or_404(
        Attempt.objects.select_related("problem__problem_set")
        .defer("problem__samples")
        .prefetch_related(Prefetch("answers", PhaseAnswer.objects.order_by("phase"))),
        pk=attempt_id,
        learner=request.user,
    )


# -- A phase: one view per action --------------------------------------------------------
#
# The page and every form on it post to the phase URL (so they work without JavaScript);
# ``phase`` hands each request to the view for what it asks. The report's poll has a URL
# of its own.

FINISHED_NOTICE = "This attempt is finished; its answers can no longer change."
ROWS_NOTICE = "Rows changed. Nothing is saved until you press Save and check."
FIELDS_NOTICE = "Not saved: correct the fields marked below. Everything you typed is kept."


# What each phase's computed figures or report hold, said on the fold that holds them
# (closed while the phase has errors). A phase not named here is not folded: phase 4's
# one sentence, phase 5's diagrams.
REPORT_SUMMARIES = {
    "requirements": "Computed from your answers: allowed downtime and reads per write",
    "estimation": "The estimate report: your figures against the recomputation, headroom "
    "on one machine, and what moves when an assumption doubles",
    "data-model": "Computed from your answers: where each entity lives",
    "technology": "Computed from your answers: your choices in the catalogue",
    "bottlenecks": "Capacity against load: the chart, each component's headroom, what "
    "if, and the latency and availability of the paths",
    "failure": "Computed from your answers: availability along the write path",
    "review": "What good designs share: the checklist",
}


@dataclass(frozen=True)
class ShownFinding:
    """A stored finding as the page shows it, with where its "go to the field" link
    points: ``anchor`` is the field's name on its form, ``elsewhere`` the phase the
    field is in when it is not this one. ``key``: what a dispute of it names (empty for
    a pass, which claims nothing to dispute); ``dispute``: the learner's latest."""

    code: str
    severity: str
    severity_label: str
    message: str
    arithmetic: str
    hint: str
    fix: str
    why: str
    anchor: str
    href: str
    elsewhere: PhaseUnit | None
    other_phase: bool
    key: str = ""
    dispute: Dispute | None = None
    # Its place in the findings column (``#finding-<position>``), where the field boxes
    # point; 0 outside the column.
    position: int = 0


def _read_with_session(
    reads: Callable[[int, int], list[tuple[Statement, list[int]]]], method: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Outside ``login_required``: a ``method`` request sends ``reads(attempt_id, number)``
    in the round trip that reads the session, before anyone asks who the user is
    (``tutor.sessions``); the view takes the rows with ``_read_along`` and keeps what is
    the learner's. One round trip fewer for the requests that know what they read from
    their URL alone: a save or a row button (the attempt) and the report's poll."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def read_first(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
            read_with = getattr(request.session, "read_with", None)
            # Without a session key nobody is signed in: login_required sends them away.
            signed = request.session.session_key is not None
            if request.method == method and read_with is not None and signed:
                rows = read_with(*reads(attempt_id, number))
                request.read_along = ReadAlong(attempt_id, number, rows)
            return view(request, attempt_id, number)

        return read_first

    return decorator


def _read_along(request: LearnerRequest, attempt_id: int, number: int) -> Rows | None:
    """The rows ``_read_with_session`` read for this attempt and phase, taken once."""
    read = request.__dict__.pop("read_along", None)
    if read is not None and (read.attempt_id, read.number) == (attempt_id, number):
        return read.rows
    return None


@_read_with_session(Attempt.objects.phase_reads, "POST")  # a save, a row button
@login_required
@require_http_methods(["GET", "POST"])
def phase(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
    """The phase URL: the page (GET), a row added, removed or moved (a POST naming a
    ``row_action``), or a save (any other POST)."""
    if request.method == "GET":
        if request.htmx and request.htmx.target == "report":  # a page drawn before the
            return phase_report(request, attempt_id, number)  # poll had its own URL
        return phase_page(request, attempt_id, number)
    if request.POST.get("row_action"):
        return phase_rows(request, attempt_id, number)
    return phase_save(request, attempt_id, number)


@login_required  # reached through phase(); checked again in case of a route of its own
def phase_page(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
    """The page. Once drawn, it is kept under the version of every row it was drawn from
    (``page_version``), its CSRF token taken out, and served from there until one of
    those rows changes: then the version read first no longer finds it."""
    key = _page_key(request, attempt_id, number)
    pages = caches[PAGES]
    kept = pages.get(key) if key else None
    if kept is not None:
        return HttpResponse(kept.replace(CSRF_PLACEHOLDER, get_token(request)))
    attempt, info, answer = _phase_request(request, attempt_id, number)
    response = _stored_page(request, attempt, info, answer)
    # Kept only if nothing it was drawn from changed while it was drawn.
    if key and response.status_code == 200 and key == _page_key(request, attempt_id, number):
        page = response.content.decode()
        token = CSRF_IN_PAGE.search(page)
        if token:
            pages.set(key, page.replace(token.group(1), CSRF_PLACEHOLDER))
    return response


PAGES = "template_fragments"  # the cache alias: per process, none under DEBUG (settings.CACHES)
# A page is kept without its CSRF token, which is masked afresh for every response.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
CSRF_IN_PAGE = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{32,})"')


def _page_key(request: LearnerRequest, attempt_id: int, number: int) -> str | None:
    """Where the page is kept, or None: a page with messages to show is drawn each time
    (they are shown once), as is any page off PostgreSQL."""
    if len(messages.get_messages(request)):
        return None
    version = Attempt.objects.page_version(attempt_id, request.user.pk, number)
    if version is None:
        return None
    digest = hashlib.blake2b(version.encode(), digest_size=16).hexdigest()
    return f"phase-page:{attempt_id}:{number}:{digest}"


def _stored_page(request, attempt, info, answer, status=200, **shown) -> HttpResponse:
    """The page with the form holding the stored answer. Its fields are drawn from the
    stored answer, the phase 1 requirements offered and the findings beside them, and
    nothing else: drawn once, they come from the fragment cache under a digest of those
    (``fields_key``), and the forms are then never built."""
    design = services.design_for(attempt)
    choices = _choices_for(info.number, design)
    forms = StoredForms(
        forms_for(info.number),
        answer.data if answer else info.empty(),
        choices,
        answer.revision if answer else 0,
    )
    context = _context(attempt, info, answer, forms, design, status=status, **shown)
    context["fields_key"] = _fields_key(attempt, forms, context["findings_by_field"])
    return _page(request, context)


def _fields_key(attempt: Attempt, forms: StoredForms, by_field: dict) -> str:
    """A digest of everything a stored answer's fields are drawn from. The templates
    and the phases' layouts are not in it: they change only with a deploy, which starts
    processes with empty local caches (and DEBUG keeps no fragments)."""
    shown = {
        name: [(f.severity, f.severity_label, f.position, f.code, f.message) for f in findings]
        for name, findings in by_field.items()
    }
    material = [
        attempt.pk,
        attempt.is_finished,  # a finished attempt's rows have no buttons
        forms.forms_class.unit.number,
        forms.stored_document,
        forms.requirement_choices,
        shown,
    ]
    encoded = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


@login_required
def phase_rows(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
    """A row button: the form comes back with the row added, removed or moved, unsaved."""
    attempt, info, answer = _phase_request(request, attempt_id, number)
    design = services.design_for(attempt)
    forms_class = forms_for(number)
    if attempt.is_finished:  # the page offers no row buttons then: nothing to change
        forms = forms_class(data=request.POST, requirement_choices=_choices_for(number, design))
        context = _context(attempt, info, answer, forms, design, status=409, notice=FINISHED_NOTICE)
        return _page(request, context)
    new_data = apply_row_action(request.POST, request.POST["row_action"], forms_class.row_classes)
    forms = forms_class(
        data=new_data if new_data is not None else request.POST,
        requirement_choices=_choices_for(number, design),
    )
    context = _context(attempt, info, answer, forms, design, notice=ROWS_NOTICE)
    return _page(request, context)


@login_required
def phase_save(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
    """Save and check: the form's shape, then the answer on its revision."""
    attempt, info, answer = _phase_request(request, attempt_id, number)
    design = services.design_for(attempt)
    forms_class = forms_for(number)
    if attempt.is_finished:
        finished = forms_class(data=request.POST, requirement_choices=_choices_for(number, design))
        context = _context(
            attempt, info, answer, finished, design, status=409, notice=FINISHED_NOTICE
        )
        return _page(request, context)
    forms, valid = _read_form(request.POST, number, _choices_for(number, design))
    if valid is None:
        notice = OUT_OF_DATE_FORM if forms.out_of_date else FIELDS_NOTICE
        context = _context(attempt, info, answer, forms, design, status=422, notice=notice)
        return _page(request, context)
    # Only phase 1 (read for the choices above) has been parsed, and a phase 1 form has
    # no choices: this design, with the new answer and its parse, serves the check and
    # the page.
    data, parsed = valid
    design.put(number, data, parsed)
    try:
        outcome = services.save_and_check(attempt, number, data, forms.base_revision, design)
    except services.SaveConflict as exc:
        return _conflicted(request, attempt, info, forms_class, exc.answer, forms)
    if not request.htmx:
        messages.success(request, "Saved and checked.")
        return redirect("phase", attempt.pk, number)
    answer = outcome.answer
    redraw = bool(request.POST.get("redraw"))
    if redraw:  # errors were on show: send the form back without them
        forms = forms_class(
            document=answer.data,
            requirement_choices=_choices_for(number, design),
            base_revision=answer.revision,
        )
    if redraw:
        context = _context(attempt, info, answer, forms, design, outcome)
        return _acknowledged(_workspace(request, context), answer)
    # The form stays as the learner left it: only what the save changed goes back,
    # each part swapped out of band by its id, nothing into the form's target.
    saved = _saved(request, attempt, info, forms, design, outcome)
    return _acknowledged(reswap(saved, "none"), answer)


def _saved(
    request: LearnerRequest,
    attempt: Attempt,
    info: PhaseUnit,
    forms: PhaseForms | PostedForms,
    design: Design,
    outcome: services.SaveOutcome,
) -> HttpResponse:
    """A save's answer over htmx: the acknowledgement (drawn each time: the revision is
    new), then what the findings show: the column, each field's box, the summary line
    and the progress strip. That second part is kept, like a page, without its CSRF
    token, under a digest of everything it is drawn from (``_saved_key``): a learner
    saving text that changes no finding gets it from memory, and the page's context is
    not even put together."""
    html = render_to_string("tutor/_saved.html#acknowledgement", {"answer": outcome.answer})
    key = _saved_key(attempt, info, forms, design, outcome)
    kept = caches[PAGES].get(key) if key else None
    if kept is not None:
        return HttpResponse(html + kept.replace(CSRF_PLACEHOLDER, get_token(request)))
    context = _context(attempt, info, outcome.answer, forms, design, outcome)
    findings = render_to_string("tutor/_saved.html#findings", context, request=request)
    if key:
        token = CSRF_IN_PAGE.search(findings)  # none when no finding can be disputed
        kept = findings.replace(token.group(1), CSRF_PLACEHOLDER) if token else findings
        caches[PAGES].set(key, kept)
    return HttpResponse(html + findings)


def _saved_key(
    attempt: Attempt,
    info: PhaseUnit,
    forms: PhaseForms | PostedForms,
    design: Design,
    outcome: services.SaveOutcome,
) -> str | None:
    """A digest of what a save's findings part is drawn from, or None when part of it is
    not plain data: a report or a dispute (which change without the answer; an answer
    read without knowing whether it is disputed counts as disputed), or figures that are
    not JSON. The findings as shown (their links, labels, places and dispute keys) are
    drawn from the check's findings, the attempt and the phase alone, so the check's
    digest stands for them. The templates are not in it (see ``_fields_key``)."""
    answer = outcome.answer
    if outcome.report is not None or getattr(answer, "disputed", True):
        return None
    material = [
        attempt.pk,
        info.number,
        answer.status,
        services.findings_digest(outcome.findings),
        forms.html_names(),
        [(phase.number, state) for phase, state in _progress(attempt, answer)],
        _computed(info, answer, design),
    ]
    try:
        encoded = json.dumps(material, sort_keys=True).encode()
    except TypeError:  # figures that are not plain data: drawn each time
        return None
    return f"phase-saved:{hashlib.blake2b(encoded, digest_size=16).hexdigest()}"


@_read_with_session(Report.objects.poll_reads, "GET")
@login_required
@require_GET
def phase_report(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
    """The poll of a phase's background report: one row read, its partial drawn."""
    info = _phase_info(number)
    read = _read_along(request, attempt_id, number)
    report = Report.objects.polled(attempt_id, request.user.pk, number, read)
    if report is None:
        raise Http404("No report for this phase of your attempt.")
    report = services.recover_stale_report(report)  # its worker may have died
    # A report still computing is drawn from the attempt and the phase alone, so that
    # partial, the answer to every poll but the last, is kept (see ``_fields_key``).
    key = None if report.is_settled else f"phase-report-pending:{attempt_id}:{number}"
    html = caches[PAGES].get(key) if key else None
    if html is None:
        context = {"report": report, "attempt": Attempt(pk=attempt_id), "phase": info}
        # The partial needs nothing of the request (no form, no CSRF token, no
        # messages): drawn without the context processors.
        html = render_to_string("tutor/phase.html#report", context)
        if key:
            caches[PAGES].set(key, html)
    return HttpResponse(html)


DIAGRAM_PATHS = {"write_path": "Write path", "read_path": "Read path"}


@login_required
@require_http_methods(["GET", "POST"])
def phase_diagram(request: LearnerRequest, attempt_id: int, key: str = "") -> HttpResponse:
    """Phase 5's drawings. GET (``key``: a path): the saved path's SVG alone, to open full
    size. POST: the drawings of the form as it is now, unsaved (htmx, while the learner
    types), the inside of their section: the form read as a save reads it, nothing
    stored, no rule run; a field that cannot be read yet is drawn as if empty."""
    attempt = get_object_or_404(
        Attempt.objects.only("pk", "state"), pk=attempt_id, learner=request.user
    )
    if request.method == "GET":
        if key not in DIAGRAM_PATHS:
            raise Http404("Phase 5 draws a write path and a read path.")
        try:
            arch = services.design_for(attempt).architecture
        except AnswerShapeError:  # saved under an older shape: nothing to draw
            arch = None
        svg = diagram.path_svg(arch, key, DIAGRAM_PATHS[key])
        return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    if key:
        raise Http404("A drawing is posted to the phase's diagram URL.")
    if attempt.is_finished:  # its page does not ask: the drawing stays as it is
        return HttpResponse(FINISHED_NOTICE, status=409, content_type="text/plain")
    unit = _phase_info(5)
    forms = forms_for(5)(data=request.POST)
    forms.is_valid()  # fields that fail their own check come out empty in the document
    document = compact(forms.document(unit.schema_version), type(forms).row_classes)
    try:
        arch = architecture.parse(document)  # phase 5's unit.parse, as a save runs it
    except AnswerShapeError as exc:  # e.g. a count that is not a number yet: drawn without it
        for path, _ in exc.errors:
            match = re.match(r"^(\w+)\[(\d+)\]\.(\w+)$", path)
            if match and match.group(1) in document:
                rows = document[match.group(1)]
                if int(match.group(2)) < len(rows):
                    rows[int(match.group(2))][match.group(3)] = ""
        try:
            arch = architecture.parse(document)
        except AnswerShapeError:
            return HttpResponse("This form cannot be drawn.", status=400)
    context = {"attempt": attempt, "computed": architecture.figures(arch)}
    return render(request, "phases/architecture_diagrams.html#drawings", context)


@login_required
@require_POST
def phase_dispute(request: LearnerRequest, attempt_id: int, number: int) -> HttpResponse:
    """The learner's "I think this is wrong" on one finding of their own answer: over
    htmx, that finding's dispute block comes back; without JavaScript, the page, at it.

    A finished attempt's findings may be disputed too: a dispute changes no answer.
    """
    attempt, info, answer = _phase_request(request, attempt_id, number)
    if answer is None:
        raise Http404("This phase has no saved answer, so no findings to dispute.")
    key = request.POST.get("finding", "")
    try:
        finding = services.disputable_finding(answer, key)
    except services.DisputeGone:
        return _dispute_gone(request, attempt, info)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            shown = _shown(attempt, number, finding, key, _latest_dispute(answer, key))
            return _dispute_block(request, attempt, info, shown, form=form)
        return _stored_page(request, attempt, info, answer, status=400, dispute_forms={key: form})
    outcome = services.dispute_finding(attempt, answer, finding, form.cleaned_data["reason"])
    if request.htmx:
        shown = _shown(attempt, number, finding, key, outcome.dispute)
        return _dispute_block(request, attempt, info, shown, just_sent=True, outcome=outcome)
    if outcome.created:
        messages.success(request, f"Sent: your instructor will look at {finding.code}.")
    else:
        messages.success(request, f"Your reason for disputing {finding.code} is updated.")
    return redirect(reverse("phase", args=[attempt.pk, number]) + f"#dispute-{key}")


def _latest_dispute(answer: PhaseAnswer, key: str) -> Dispute | None:
    return answer.disputes.filter(finding_key=key).select_related("decided_by").first()


def _dispute_block(request, attempt, info, finding: ShownFinding, form=None, **shown):
    context = {
        "attempt": attempt,
        "phase": info,
        "finding": finding,
        "dispute_forms": {finding.key: form} if form is not None else {},
        **shown,
    }
    return render(request, "tutor/_disputes.html#block", context)


def _dispute_gone(request, attempt, info) -> HttpResponse:
    """The finding disputed is not among the answer's findings any more: the answer was
    saved again (in another tab, say) after the page was drawn. Nothing is stored."""
    message = (
        "Nothing was sent: that finding is no longer shown for your saved answer (it was "
        "saved again after this page was drawn)."
    )
    if request.htmx:
        context = {"attempt": attempt, "phase": info, "message": message}
        return render(request, "tutor/_disputes.html#gone", context)
    messages.error(request, f"{message} Below are its findings now.")
    return redirect("phase", attempt.pk, info.number)


def _phase_info(number: int) -> PhaseUnit:
    info = PHASES_BY_NUMBER.get(number)
    if info is None:
        raise Http404("There are nine phases.")
    return info


def _phase_request(
    request: LearnerRequest, attempt_id: int, number: int
) -> tuple[Attempt, PhaseUnit, PhaseAnswer | None]:
    """The learner's own attempt, the phase, and its answer if it was ever saved."""
    info = _phase_info(number)
    read = _read_along(request, attempt_id, number)
    attempt = Attempt.objects.for_phase(attempt_id, request.user.pk, number, read)
    if attempt is None:
        raise Http404("No such attempt of yours.")
    return attempt, info, next((a for a in attempt.answers.all() if a.phase == number), None)


def _choices_for(number: int, design: Design) -> tuple[str, ...]:
    """The phase 1 requirements, for the phases whose rows name one (read only there)."""
    rows = forms_for(number).row_classes.values()
    if not any("requirement" in row.base_fields for row in rows):
        return ()
    return _requirement_choices(design)


def _read_form(
    data: QueryDict, number: int, choices: tuple[str, ...]
) -> tuple[PhaseForms | PostedForms, tuple[dict, object] | None]:
    """The posted form and, when it is valid, its document (blank rows dropped) with the
    document's parse. Read without building the forms when every value is plainly
    acceptable (``PostedForms``); otherwise, or when the phase's shape check refuses
    it, the forms are built, and None comes back with the errors on them."""
    forms_class = forms_for(number)
    posted = PostedForms.read(forms_class, data, choices)
    if posted is not None:
        try:
            return posted, _parsed(posted, number)
        except AnswerShapeError:
            pass  # the forms attach each error to its field
    forms = forms_class(data=data, requirement_choices=choices)
    return forms, _valid_document(forms, number)


def _parsed(forms: PhaseForms | PostedForms, number: int) -> tuple[dict, object]:
    """A valid form's document, blank rows dropped, and its parse (``AnswerShapeError``
    when the phase's shape check refuses it)."""
    unit = PHASES_BY_NUMBER[number]
    compacted = compact(forms.document(unit.schema_version), forms_for(number).row_classes)
    return compacted, unit.parse(compacted)


def _valid_document(forms: PhaseForms, number: int) -> tuple[dict, object] | None:
    """The phase document the forms hold with its parse (see ``_parsed``); None, and the
    errors on the forms, when a field or the phase's shape check refuses it."""
    if not forms.is_valid():
        return None
    try:
        return _parsed(forms, number)
    except AnswerShapeError as exc:
        errors = exc.errors
    unit = PHASES_BY_NUMBER[number]
    try:  # again with the blank rows, so that each error names its row on the form
        unit.parse(forms.document(unit.schema_version))
    except AnswerShapeError as exc:
        errors = exc.errors
    forms.add_shape_errors(errors)
    return None


def _conflicted(
    request: LearnerRequest,
    attempt: Attempt,
    info: PhaseUnit,
    forms_class: type[PhaseForms],
    stored: PhaseAnswer,
    forms: PhaseForms | PostedForms,
) -> HttpResponse:
    """Saved elsewhere since the form was built: the learner's text stays, beside the
    stored answer's findings; the form now carries the stored revision, so saving again
    overwrites it on purpose."""
    number = info.number
    conflict = _conflict(attempt, number, stored, forms.document(info.schema_version))
    design = services.design_for(attempt, replace={number: stored.data} if stored.data else None)
    forms = forms_class(
        data=request.POST,
        requirement_choices=_choices_for(number, design),
        base_revision=stored.revision,
    )
    answer = stored if stored.pk else None
    context = _context(attempt, info, answer, forms, design, status=409, conflict=conflict)
    return _page(request, context)


def _context(
    attempt: Attempt,
    info: PhaseUnit,
    answer: PhaseAnswer | None,
    forms: PhaseForms | PostedForms | StoredForms | None,
    design: Design,
    outcome: services.SaveOutcome | None = None,
    status: int = 200,
    **shown: object,
) -> dict:
    """What the phase page shows. ``outcome``: the save just made, whose findings and
    report need no reading. ``shown``: the notice, the conflict."""
    number = info.number
    findings: list[Finding] = []
    report = None
    if outcome is not None:
        findings, report = outcome.findings, outcome.report
    elif answer is not None:
        findings = list(answer.findings.order_by("position"))
        if info.background:
            report = Report.objects.filter(answer=answer).first()
    shown_findings, earlier_disputes = _with_disputes(attempt, number, answer, findings)
    by_field: dict[str, list[ShownFinding]] = {}
    for finding in shown_findings:
        if not finding.other_phase:
            by_field.setdefault(finding.anchor, []).append(finding)
    context = {
        "attempt": attempt,
        "problem": attempt.problem,
        "phase": info,
        "states": _progress(attempt, answer),
        "answer": answer,
        "forms": forms,
        "findings": shown_findings,
        "findings_by_field": by_field,
        "counts": {s.value: sum(1 for f in findings if f.severity == s.value) for s in Severity},
        "computed": _computed(info, answer, design),
        "report": report,
        "report_summary": REPORT_SUMMARIES.get(info.slug, ""),
        "previous": PHASES_BY_NUMBER.get(number - 1),
        "next": PHASES_BY_NUMBER.get(number + 1),
        "rules": rules_for(number),
        "comments": attempt.comments.filter(phase=number).select_related("author")
        if getattr(attempt, "commented", True)
        else (),
        "earlier_disputes": earlier_disputes,
        "dispute_forms": {},
        # Read only by the templates that show them (a template calls a callable).
        "requirement_choices": lambda: _choices_for(number, design),
        "component_names": lambda: _component_names(design),
        "notice": "",
        "saved": outcome is not None,
        "conflict": None,
        "status": status,
        # Read only by a finished attempt's banner: its way to a new attempt.
        "newer_attempt": lambda: _newer_attempt(attempt),
        # Errors or a conflict on show: the next save sends the whole form back.
        "redraw": status != 200 or bool(forms and forms.errors_count),
        **shown,
    }
    return context


def _computed(info: PhaseUnit, answer: PhaseAnswer | None, design: Design) -> Mapping[str, object]:
    """The figures shown beside a saved answer (none for a phase with a report)."""
    if answer is None or info.background:
        return {}
    try:
        return info.figures(design)
    except AnswerShapeError:  # saved under an older shape: show the form, no figures
        return {}


def _with_disputes(attempt, number, answer, findings):
    """The findings as shown, each with the learner's latest dispute of it; and the
    disputes of findings no longer shown (the answer changed), whose replies must stay
    in sight. One query, and only for a phase that has an answer."""
    latest: dict[str, Dispute] = {}
    if answer is not None and getattr(answer, "disputed", True):
        for dispute in answer.disputes.select_related("decided_by"):  # newest first
            latest.setdefault(dispute.finding_key, dispute)
    shown: list[ShownFinding] = []
    keys: set[str] = set()
    for finding in findings:
        key = ""
        if finding.severity != Severity.PASS.value:
            key = services.finding_dispute_key(finding)
            key = "" if key in keys else key  # the same finding twice: one dispute block
            keys.add(key)
        one = _shown(attempt, number, finding, key, latest.get(key))
        shown.append(replace(one, position=len(shown) + 1))
    return shown, [d for key, d in latest.items() if key not in keys]


def _shown(
    attempt: Attempt,
    number: int,
    finding: Finding,
    key: str = "",
    dispute: Dispute | None = None,
):
    """A finding with its link to the field it is about, here or in another phase."""
    anchor = html_name(finding.field) if finding.field else ""
    field_phase = finding.field_phase or number  # the phase the field belongs to
    other_phase = field_phase != number
    href, elsewhere = "", None
    if anchor:
        lists = forms_for(field_phase).row_classes  # a list's findings go to its section
        prefix = "section-" if anchor in lists else "id_"
        page = reverse("phase", args=[attempt.pk, field_phase]) if other_phase else ""
        href = f"{page}#{prefix}{anchor}"
        elsewhere = PHASES_BY_NUMBER[field_phase] if other_phase else None
    return ShownFinding(
        code=finding.code,
        severity=finding.severity,
        severity_label=finding.get_severity_display(),
        message=finding.message,
        arithmetic=finding.arithmetic,
        hint=finding.hint,
        fix=finding.fix,
        why=finding.why,
        anchor=anchor,
        href=href,
        elsewhere=elsewhere,
        other_phase=other_phase,
        key=key,
        dispute=dispute,
    )


def _progress(attempt: Attempt, answer: PhaseAnswer | None) -> list[tuple[PhaseUnit, str]]:
    """(phase, state) for the nine phases, with this phase's answer as it now is."""
    states = attempt.phase_states()
    if answer is not None:
        states[answer.phase] = answer.status
    return [(phase, states[phase.number]) for phase in PHASES]


def _page(request: LearnerRequest, context: dict) -> HttpResponse:
    """The whole page; for a form posted over htmx, its workspace only."""
    if request.htmx and request.method == "POST":
        return _workspace(request, context)
    return render(request, "tutor/phase.html", context, status=context["status"])


def _workspace(request: LearnerRequest, context: dict) -> HttpResponse:
    """The workspace and the progress strip (out of band). htmx swaps only successful
    responses, so the notice, not the status, carries the outcome."""
    html = render_to_string("tutor/phase.html#workspace", context, request=request)
    html += render_to_string("tutor/phase.html#progress", {**context, "oob": True}, request=request)
    return HttpResponse(html)


def _acknowledged(response, answer):
    """Tell the page's script (static/js/unsaved.js) that this save is stored: it drops
    the browser's draft of the phase and any "Not saved" notice. A response without this
    event (a row action, field errors, a conflict) leaves the draft in place."""
    return trigger_client_event(response, "phase-saved", {"revision": answer.revision})


def _conflict(attempt, number, stored, document) -> dict:
    """What the page says when the phase was saved after the learner's form was built:
    the saved revision and, field by field, where the saved text differs from theirs."""
    saved_rows = flatten(stored.data)
    mine = flatten(compact(document, forms_for(number).row_classes))
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


def _newer_attempt(attempt: Attempt) -> Attempt | None:
    """The learner's attempt in progress at the same problem, if they started one since."""
    return (
        Attempt.objects.filter(
            learner_id=attempt.learner_id,
            problem_id=attempt.problem_id,
            state=Attempt.State.IN_PROGRESS,
        )
        .order_by("-started_at")
        .first()
    )


@login_required
def attempt_overview(request, attempt_id):
    attempt = _own_attempt(request, attempt_id)
    return _overview(request, attempt, FinishForm())


def _overview(request, attempt: Attempt, finish_form: FinishForm, status: int = 200):
    problem_set = attempt.problem.problem_set
    show_reference = attempt.is_finished and problem_set.release_reference
    return render(
        request,
        "tutor/attempt.html",
        {
            "attempt": attempt,
            "problem": attempt.problem,
            "problem_set": problem_set,
            "scores": services.phase_scores(attempt),
            "releases_scores": problem_set.release_scores,
            "releases_reference": problem_set.release_reference,
            "show_scores": attempt.is_finished and problem_set.release_scores,
            "show_reference": show_reference,
            # Read only once the reference is shown (the samples are deferred till then).
            "reference_design": show_reference
            and samples.reference_sample(attempt.problem.samples) is not None,
            "finish_form": finish_form,
            "newer_attempt": _newer_attempt(attempt) if attempt.is_finished else None,
        },
        status=status,
    )


# -- The reference design beside the learner's, phase by phase ---------------------------


@login_required
@require_GET
def attempt_reference(request, attempt_id, number):
    """One phase of the attempt beside the same phase of the problem's reference design.

    The learner who owns the attempt sees it once the attempt is finished and the set
    releases the reference (as the attempt page shows the reference solution); until then
    the page says why and shows neither answer. An instructor who teaches the set sees it
    at any time, as the review page shows any attempt of theirs; everyone else gets 404.
    """
    info = _phase_info(number)
    attempts = (
        Attempt.objects.select_related("problem__problem_set", "learner")
        .prefetch_related(Prefetch("answers", PhaseAnswer.objects.order_by("phase")))
        .filter(pk=attempt_id)
    )
    attempt = attempts.filter(learner=request.user).first()
    teaching = False
    if attempt is None and is_instructor(request.user):
        attempt = attempts.filter(problem__problem_set__in=taught_sets(request.user)).first()
        teaching = True
    if attempt is None:
        raise Http404("No such attempt.")
    problem = attempt.problem
    withheld = ""
    if not teaching and not attempt.is_finished:
        withheld = "unfinished"
    elif not teaching and not problem.problem_set.release_reference:
        withheld = "unreleased"
    reference = None if withheld else services.reference_design(problem)
    context = {
        "attempt": attempt,
        "problem": problem,
        "phase": info,
        "phases": PHASES,
        "previous": PHASES_BY_NUMBER.get(number - 1),
        "next": PHASES_BY_NUMBER.get(number + 1),
        "teaching": teaching,
        "withheld": withheld,
        "has_reference": reference is not None,
    }
    if reference is not None:
        design = services.design_for(attempt)
        context.update(
            design=design,
            reference=reference,
            givens=_givens_side_by_side(attempt.givens, reference.problem.givens),
        )
        context["givens_differ"] = any(row["differs"] for row in context["givens"])
    return render(request, "tutor/reference_design.html", context)


def _givens_side_by_side(own: dict, reference: dict) -> list[dict]:
    """Each given with the learner's value and the reference's, and whether they differ."""
    rows = []
    for key in dict.fromkeys([*(own or {}), *(reference or {})]):
        mine, theirs = (own or {}).get(key) or {}, (reference or {}).get(key) or {}
        rows.append(
            {
                "label": mine.get("label") or theirs.get("label") or key,
                "own": mine.get("value", "—"),
                "reference": theirs.get("value", "—"),
                "differs": str(mine.get("value")) != str(theirs.get("value")),
            }
        )
    return rows


# What finishing shows, by whether the problem set releases (scores, reference solution).
FINISHED_SHOWS = {
    (True, True): "Your scores and the reference solution are below.",
    (True, False): "Your scores are below; your instructor releases the reference solution later.",
    (False, True): "The reference solution is below; your instructor releases the scores later.",
    (False, False): "Your instructor releases the scores and the reference solution later.",
}


@login_required
@require_POST
def finish(request, attempt_id):
    """Finish, once the learner has confirmed it: without the box ticked, nothing changes
    and the page says why."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_finished:
        return redirect("attempt", attempt.pk)
    form = FinishForm(request.POST)
    if not form.is_valid():
        return _overview(request, attempt, form, status=400)
    services.finish_attempt(attempt)
    problem_set = attempt.problem.problem_set
    after = FINISHED_SHOWS[(problem_set.release_scores, problem_set.release_reference)]
    messages.success(request, f"Attempt finished: its answers can no longer change. {after}")
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
