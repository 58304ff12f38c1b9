"""Instructors author problem sets in the site: sets, problems, tests, regrades, files.

Every view finds its objects through ``tutor.teaching`` so an instructor only ever
reaches the sets they teach.
"""

import json

import yaml
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from phases.corpus import samples as sample_runner
from phases.engine.design import ProblemSpec
from tutor import problemsets, services
from tutor.markdown import render_markdown
from tutor.models import Problem, ProblemSet
from tutor.teaching import instructor_required, taught_problem, taught_set, taught_sets

TEXT = 20_000
# Sample answers hold whole designs: one sample with all nine phases (a reference design)
# is some 15,000 characters of YAML, and a shipped problem has three such samples.
SAMPLES_TEXT = 200_000


class ProblemSetForm(forms.ModelForm):
    class Meta:
        model = ProblemSet
        fields = [
            "title",
            "slug",
            "description",
            "is_open",
            "is_published",
            "release_scores",
            "release_reference",
        ]
        help_texts = {"slug": "Lowercase letters, digits and hyphens; part of every link."}


def unstorable(value) -> str:
    """Why a value read from YAML cannot be stored as JSON in PostgreSQL, or "".

    YAML can spell what JSON cannot hold: dates, binary data, sets, infinities, and NUL
    characters (``"\\0"``), which PostgreSQL refuses in text and in jsonb.
    """
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return (
            "This YAML holds a value that cannot be stored (a date, binary data, a set, "
            "an infinite number or nesting too deep); write it as text."
        )
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return "This YAML holds a NUL character (\\0), which cannot be stored."
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return ""


def _yaml_field(label: str, help_text: str, max_length: int = TEXT) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
    )


class ProblemForm(forms.Form):
    """The problem as the instructor edits it: prose fields plus three YAML blocks.

    The YAML blocks are checked by the same validation as a problem-set file, so what
    the form accepts is exactly what import and export accept.
    """

    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, help_text="Part of the problem's link.")
    summary = forms.CharField(max_length=300, required=False)
    statement = forms.CharField(
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Markdown. The preview shows exactly what learners will see.",
    )
    givens = _yaml_field(
        "Givens",
        "YAML: each given fixed, {label: ..., value: 100M/day}, or drawn per attempt, "
        "{label: ..., min: 50M/day, max: 150M/day}.",
    )
    expectations = _yaml_field(
        "Expectations",
        "YAML: phase1.capabilities (label, synonyms, hint, example), rules overrides, "
        "phase7.capacities… See the problem-set format.",
    )
    samples = _yaml_field(
        "Sample answers",
        "YAML list: {name, answers: {'1': {...}}, must: [codes], must_not: [codes]}. "
        "Add reference: true to the one sample that is the problem's reference design.",
        max_length=SAMPLES_TEXT,
    )
    reference_solution = forms.CharField(
        max_length=TEXT, required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    is_published = forms.BooleanField(required=False, label="Published")

    YAML_FIELDS = ("givens", "expectations", "samples")

    @classmethod
    def initial_for(cls, problem: Problem) -> dict:
        def dump(value):
            return yaml.safe_dump(value, sort_keys=False, allow_unicode=True) if value else ""

        return {
            "title": problem.title,
            "slug": problem.slug,
            "summary": problem.summary,
            "statement": problem.statement,
            "givens": dump(problem.givens),
            "expectations": dump(problem.expectations),
            "samples": dump(problem.samples),
            "reference_solution": problem.reference_solution,
            "is_published": problem.is_published,
        }

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns
        for name in self.YAML_FIELDS:
            text = cleaned.get(name, "")
            try:
                value = problemsets.parse_yaml(text) if text and text.strip() else None
            except yaml.YAMLError as exc:
                self.add_error(name, f"This {problemsets.yaml_error_text(exc)}")
                continue
            except (ValueError, RecursionError):
                # PyYAML raises these for integers of thousands of digits and for
                # nesting thousands deep; neither is a problem anyone means to write.
                self.add_error(name, "This YAML holds a number too long or nesting too deep.")
                continue
            problem = unstorable(value)
            if problem:
                self.add_error(name, problem)
                continue
            cleaned[f"{name}_data"] = (
                value if value is not None else ([] if name == "samples" else {})
            )
        return cleaned

    def problem_data(self) -> dict:
        c = self.cleaned_data
        return {
            "slug": c["slug"],
            "title": c["title"],
            "summary": c["summary"],
            "statement": c["statement"],
            "givens": c["givens_data"],
            "expectations": c["expectations_data"],
            "samples": c["samples_data"],
            "reference_solution": c["reference_solution"],
            "is_published": c["is_published"],
        }

    def add_file_errors(self, errors: list[str]) -> None:
        """Errors located in a problem-set file (``problems[0].givens.x: ...``) → fields."""
        for error in errors:
            location, _, message = error.partition(": ")
            path = location.removeprefix("problems[0].")
            field = path.split(".", 1)[0].split("[", 1)[0]
            detail = f"{path}: {message}" if path != field else message
            if field in self.fields:
                self.add_error(field, detail)
            else:
                self.add_error(None, error)


@instructor_required
def home(request):
    sets = taught_sets(request.user).prefetch_related("problems")
    return render(request, "teach/home.html", {"problem_sets": sets})


@instructor_required
@require_POST
def preview(request):
    """The statement as learners will see it: the same Markdown and the same sanitiser."""
    text = request.POST.get("statement", "")[:TEXT]
    return HttpResponse(render_markdown(text))


@instructor_required
@require_http_methods(["GET", "POST"])
def set_new(request):
    form = ProblemSetForm(request.POST or None, initial={"is_published": False})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            problem_set = form.save()
            problem_set.instructors.add(request.user)
        messages.success(request, "Problem set created. Add its first problem.")
        return redirect("teach_set", problem_set.slug)
    return render(
        request, "teach/set.html", {"form": form, "problem_set": None}, status=_status(form)
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def set_edit(request, slug):
    problem_set = taught_set(request, slug)
    form = ProblemSetForm(request.POST or None, instance=problem_set)
    if request.method == "POST" and form.is_valid():
        problem_set = form.save()
        messages.success(request, "Saved.")
        return redirect("teach_set", problem_set.slug)
    return render(
        request,
        "teach/set.html",
        {
            "form": form,
            "problem_set": problem_set,
            "problems": problem_set.problems.all(),
        },
        status=_status(form),
    )


@instructor_required
def set_export(request, slug):
    problem_set = taught_set(request, slug)
    response = HttpResponse(
        problemsets.dump_yaml(problemsets.export_problem_set(problem_set)),
        content_type="application/yaml; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{problem_set.slug}.yaml"'
    return response


@instructor_required
@require_POST
def set_import(request, slug):
    """Replace the set's content with an uploaded file (which must keep the set's slug)."""
    problem_set = taught_set(request, slug)
    upload = request.FILES.get("file")
    errors = []
    if upload is None:
        errors = ["Choose a problem-set file to upload."]
    elif upload.size > 2_000_000:
        errors = ["The file is larger than 2 MB."]
    else:
        try:
            data = problemsets.parse_yaml(upload.read().decode("utf-8"))
        except yaml.YAMLError as exc:
            errors = [f"The file {problemsets.yaml_error_text(exc)}"]
        except (UnicodeDecodeError, ValueError, RecursionError):
            errors = ["The file is not valid YAML (or JSON) text."]
        else:
            if unstorable(data):
                errors = [unstorable(data)]
            elif isinstance(data, dict) and data.get("slug") != problem_set.slug:
                errors = [f"slug: the file is for {data.get('slug')!r}, not {problem_set.slug!r}."]
            else:
                try:
                    problemsets.import_problem_set(data)
                except problemsets.ProblemSetFileError as exc:
                    errors = exc.errors
    if errors:
        return render(
            request,
            "teach/set.html",
            {
                "form": ProblemSetForm(instance=problem_set),
                "problem_set": problem_set,
                "problems": problem_set.problems.all(),
                "import_errors": errors,
            },
            status=400,
        )
    messages.success(request, "Imported: the set now matches the file.")
    return redirect("teach_set", problem_set.slug)


@instructor_required
@require_http_methods(["GET", "POST"])
def problem_new(request, slug):
    problem_set = taught_set(request, slug)
    return _problem_form(request, problem_set, None)


@instructor_required
@require_http_methods(["GET", "POST"])
def problem_edit(request, set_slug, slug):
    problem = taught_problem(request, set_slug, slug)
    if request.htmx and request.method == "GET" and request.htmx.target == "job":
        return render(request, "teach/problem.html#job", _job_context(problem))
    return _problem_form(request, problem.problem_set, problem)


def _problem_form(request, problem_set, problem):
    initial = ProblemForm.initial_for(problem) if problem else {"is_published": False}
    form = ProblemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.problem_data()
        taken = problem_set.problems.filter(slug=data["slug"])
        if problem:
            taken = taken.exclude(pk=problem.pk)
        errors = problemsets.validate(
            {"format": 1, "slug": problem_set.slug, "title": problem_set.title, "problems": [data]}
        )
        if taken.exists():
            form.add_error("slug", "Another problem in this set has that slug.")
        elif errors:
            form.add_file_errors(errors)
        else:
            problem = problemsets.save_problem(problem_set, data, problem)
            messages.success(request, f"Saved {problem.title} (version {problem.version}).")
            return redirect("teach_problem", problem_set.slug, problem.slug)
    context = {"form": form, "problem_set": problem_set, "problem": problem}
    if problem:
        context.update(_job_context(problem))
    return render(request, "teach/problem.html", context, status=_status(form))


def _job_context(problem) -> dict:
    return {"problem": problem, "problem_set": problem.problem_set, "job": problem.jobs.first()}


@instructor_required
@require_POST
def problem_test(request, set_slug, slug):
    """Run the problem's sample answers and show which pass."""
    problem = taught_problem(request, set_slug, slug)
    spec = ProblemSpec(
        slug=problem.slug,
        title=problem.title,
        givens=problem.givens,
        expectations=problem.expectations,
    )
    results = sample_runner.run_all(spec, problem.samples)
    context = {
        "form": ProblemForm(initial=ProblemForm.initial_for(problem)),
        "problem_set": problem.problem_set,
        "problem": problem,
        "results": results,
        **_job_context(problem),
    }
    if request.htmx:
        return render(request, "teach/problem.html#results", context)
    return render(request, "teach/problem.html", context)


@instructor_required
@require_POST
def problem_regrade(request, set_slug, slug):
    problem = taught_problem(request, set_slug, slug)
    services.start_regrade(problem, request.user)
    messages.success(request, "Regrading started: every attempt is checked against this version.")
    return redirect("teach_problem", problem.problem_set.slug, problem.slug)


def _status(form) -> int:
    return 422 if form.is_bound and form.errors else 200
