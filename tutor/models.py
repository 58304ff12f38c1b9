"""The tutor's data: people and roles, problem sets, problems, enrolments and attempts.

An attempt stores each phase's answers as one JSON document of a documented, versioned
shape (``phases/<n>_*.py`` holds the shape; ``docs/answers.md`` documents it) beside
the findings the rules produced for it.
"""

import functools
import hashlib
import secrets
from typing import cast

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models.query_utils import DeferredAttribute
from django.urls import reverse
from django.utils import timezone

from phases.engine.findings import Severity
from phases.engine.registry import PHASE_NUMBERS, PHASES
from tutor.database import Rows, Statement, run


def new_join_code() -> str:
    # 8 characters from an unambiguous alphabet: easy to read out in a classroom.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class User(AbstractUser):
    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        INSTRUCTOR = "instructor", "Instructor"
        STAFF = "staff", "Staff"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LEARNER)

    def save(self, *args, **kwargs):
        # The staff role is what opens the admin; keep Django's flag in step with it.
        if self.role == self.Role.STAFF:
            self.is_staff = True
        super().save(*args, **kwargs)

    @property
    def is_instructor(self) -> bool:
        return self.role == self.Role.INSTRUCTOR or self.is_superuser


class ProblemSetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sets a user may see: published ones, plus the sets they teach."""
        if not user.is_authenticated:
            return self.filter(is_published=True)
        return self.filter(models.Q(is_published=True) | models.Q(instructors=user)).distinct()


class ProblemSet(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="taught_sets", blank=True
    )
    is_published = models.BooleanField(default=False)
    is_open = models.BooleanField(
        default=True, help_text="Open sets can be joined by anyone; closed ones need the code."
    )
    join_code = models.CharField(max_length=16, default=new_join_code, unique=True)
    release_scores = models.BooleanField(
        default=True, help_text="Learners see their scores once they finish."
    )
    release_reference = models.BooleanField(
        default=True, help_text="Learners see the reference solution once they finish."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProblemSetQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("problemset", args=[self.slug])


class Problem(models.Model):
    problem_set = models.ForeignKey(ProblemSet, on_delete=models.CASCADE, related_name="problems")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    statement = models.TextField(help_text="Markdown, sanitised when shown.")
    givens = models.JSONField(default=dict, blank=True)
    expectations = models.JSONField(default=dict, blank=True)
    reference_solution = models.TextField(
        blank=True, help_text="Markdown; learners see it only after finishing."
    )
    # Sample answers with the finding codes each must and must not produce: how an
    # instructor tests a rubric before learners see it (docs/problemsets.md).
    samples = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["problem_set", "position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["problem_set", "slug"], name="unique_problem_slug")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("problem", args=[self.problem_set.slug, self.slug])


class Enrollment(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    problem_set = models.ForeignKey(
        ProblemSet, on_delete=models.CASCADE, related_name="enrollments"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "problem_set"], name="unique_enrollment")
        ]

    def __str__(self):
        return f"{self.learner} in {self.problem_set}"


class AttemptQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(learner=user)

    def page_version(self, attempt_id: int, learner_id: int, phase: int) -> str | None:
        """Which version of every row a learner's phase page is drawn from, as one string;
        None when the attempt is not theirs, or off PostgreSQL.

        Each row is named by its place and the transaction that wrote it (``ctid``,
        ``xmin``): any UPDATE, by a save, a regrade, the admin or a bare ``.update()``,
        writes a new row version with another pair, even twice in one transaction; an
        insert or a delete changes the list. The rows: the attempt, its problem and set,
        the learner, the nine answers, this phase's findings, report, comments (and their
        authors) and disputes (and who decided them), and the learner's attempt in
        progress at the same problem (a finished attempt's page links to it).
        One statement that reads no answer or text, for ``views.phase_page``, which keeps
        the drawn page under it."""
        if connection.vendor != "postgresql":
            return None
        params: dict[str, int | str] = {
            "attempt": attempt_id,
            "learner": learner_id,
            "phase": phase,
            "in_progress": Attempt.State.IN_PROGRESS.value,
        }
        rows = run((PAGE_VERSION, params))[0]
        return rows[0][0] if rows else None

    def for_phase(
        self, attempt_id: int, learner_id: int, phase: int, read: Rows | None = None
    ) -> "Attempt | None":
        """A learner's own attempt as a phase page or a save needs it, or None: its
        problem (samples deferred) and set, whether this phase has comments
        (``commented``), and its answers (prefetched, in phase order), each with whether
        it is disputed (``disputed``). Two statements written out as SQL, prepared once
        per connection and sent in one round trip (``tutor.database.run``): timed alone,
        the ORM's version of them (joins, two ``EXISTS`` annotations and a ``Prefetch``)
        took about 3.0 ms, the two statements 1.1 to 1.4 ms when each was a round trip
        of its own and planned every time. ``read``: their rows, when they were read
        already (``phase_reads``)."""
        attempts, rows = read if read is not None else run(*self.phase_reads(attempt_id, phase))
        if not attempts:
            return None
        values = iter(attempts[0])
        attempt = _instance(Attempt, values)
        if attempt.learner_id != learner_id:  # someone else's: as if there were none
            return None
        problem = _instance(Problem, values)
        problem._state.fields_cache["problem_set"] = _instance(ProblemSet, values)
        attempt._state.fields_cache["problem"] = problem
        attempt.commented = next(values)
        answers = []
        for answer_row in rows:
            values = iter(answer_row)
            answer = _instance(PhaseAnswer, values)
            answer.disputed = next(values)
            answer._state.fields_cache["attempt"] = attempt
            answers.append(answer)
        prefetched = attempt.answers.all()  # what prefetch_related leaves: no query
        prefetched._result_cache = answers
        prefetched._prefetch_done = True
        attempt._prefetched_objects_cache = {"answers": prefetched}
        return attempt

    def phase_reads(self, attempt_id: int, phase: int) -> list[tuple[Statement, list[int]]]:
        """The statements ``for_phase`` runs. They read the attempt by its id alone, so
        they can be sent before the learner is known (with the session's own read:
        ``tutor.sessions``); ``for_phase`` keeps it only if it is the learner's."""
        return [(ATTEMPT_FOR_PHASE, [phase, attempt_id]), (ANSWERS_FOR_PHASE, [attempt_id])]


# The fields read by AttemptQuerySet.for_phase: a problem's samples (tens of kilobytes)
# are left deferred, read only by the pages that show them.
def _loaded_fields(model: type[models.Model]) -> list:
    return [f for f in model._meta.concrete_fields if (model, f.name) != (Problem, "samples")]


def _columns(model: type[models.Model], alias: str) -> str:
    return ", ".join(f'{alias}."{f.column}"' for f in _loaded_fields(model))


def _instance(model, values):
    """A model instance from the next values of a row of ``_columns(model)``, converted
    as the ORM converts them (a JSON field's text parsed), except a ``DocumentField``'s,
    kept to be converted when first read."""
    db = connections[DEFAULT_DB_ALIAS]  # ``connection`` looks it up on every use
    names, converted, undecoded = [], [], {}
    for (attname, steps, on_read), value in zip(_reading(model), values, strict=False):
        if on_read:
            undecoded[attname] = (value, steps)
        else:
            names.append(attname)
            converted.append(_converted(value, steps, db) if steps else value)
    instance = model.from_db(DEFAULT_DB_ALIAS, names, converted)
    if undecoded:
        instance._undecoded = undecoded
    return instance


def _converted(value, steps, db=connection):
    for step, column in steps:
        value = step(value, column, db)
    return value


@functools.cache
def _reading(model):
    """Per field read: its attribute name, the ORM's converters (each with its column),
    and whether it is converted only when first read (a ``DocumentField``)."""
    fields = []
    for field in _loaded_fields(model):
        column = field.get_col(model._meta.db_table)
        steps = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        on_read = isinstance(field, DocumentField)
        fields.append((field.attname, [(step, column) for step in steps], on_read))
    return fields


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="attempts")
    problem_version = models.PositiveIntegerField(default=1)
    # The givens as drawn when the attempt started (ranges drawn with ``seed``) and the
    # expectations of that version: later edits to the problem do not move the ground
    # under a learner's feet until an instructor regrades.
    seed = models.PositiveIntegerField(default=0)
    givens = models.JSONField(default=dict, blank=True)
    expectations = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"{self.learner} on {self.problem}"

    def get_absolute_url(self):
        return reverse("phase", args=[self.pk, 1])

    @property
    def is_finished(self) -> bool:
        return self.state == self.State.FINISHED

    def phase_states(self) -> dict[int, str]:
        """Each phase's state, from the prefetched answers where there are some."""
        states: dict[int, str] = dict.fromkeys(PHASE_NUMBERS, PhaseAnswer.Status.NOT_STARTED)
        for answer in self.answers.all():
            states[answer.phase] = answer.status
        return states

    def phase_progress(self) -> list:
        """(phase, state) for the nine phases in order, for progress bars."""
        states = self.phase_states()
        return [(phase, states[phase.number]) for phase in PHASES]

    def finish(self):
        self.state = self.State.FINISHED
        self.finished_at = timezone.now()
        self.save(update_fields=["state", "finished_at", "updated_at"])


class _DecodedOnFirstRead(DeferredAttribute):
    """A field read by ``AttemptQuerySet.for_phase`` and left as its column's text until
    first read (``_instance`` keeps the text in ``_undecoded``), then converted as the
    ORM converts it. A save of phase 1 reads one answer's document of the nine: the
    other eight are never decoded. Without kept text it is Django's deferred field."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        undecoded = instance.__dict__.get("_undecoded")
        if undecoded is None or self.field.attname not in undecoded:
            return super().__get__(instance, cls)
        value = _converted(*undecoded.pop(self.field.attname))
        instance.__dict__[self.field.attname] = value
        return value


class DocumentField(models.JSONField):
    """A JSON document that ``AttemptQuerySet.for_phase`` decodes only when it is read
    (``_DecodedOnFirstRead``); everywhere else the ORM's ``JSONField``, and described to
    migrations as one."""

    descriptor_class = _DecodedOnFirstRead

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


# The columns PhaseAnswerQuerySet.write_in_place sets, besides the revision.
WRITTEN_IN_PLACE = ("data", "schema_version", "status", "checked_at", "updated_at")


class PhaseAnswerQuerySet(models.QuerySet):
    def write_in_place(self, answer_id: int, base_revision: int, values: dict) -> bool:
        """The save of an answer whose findings stay as they are, as one statement (atomic
        without a transaction around it, so without its BEGIN and COMMIT): the answer
        takes ``values`` and the next revision if it is still at ``base_revision`` and its
        stored findings' digest is still ``values["findings_digest"]`` (a regrade may have
        replaced them), and its attempt's clock moves with it. False when either changed
        meanwhile: then nothing is written. Off PostgreSQL (no ``UPDATE`` inside ``WITH``),
        the same two updates in a transaction."""
        names = WRITTEN_IN_PLACE
        if connection.vendor != "postgresql":
            with transaction.atomic():
                written = self.filter(
                    pk=answer_id, revision=base_revision, findings_digest=values["findings_digest"]
                ).update(revision=models.F("revision") + 1, **{n: values[n] for n in names})
                if written:
                    Attempt.objects.filter(answers__pk=answer_id).update(
                        updated_at=values["updated_at"]
                    )
                return bool(written)
        fields = [cast(models.Field, PhaseAnswer._meta.get_field(name)) for name in names]
        params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
        params += [answer_id, base_revision, values["findings_digest"], values["updated_at"]]
        return bool(run((WRITE_IN_PLACE, params))[0])


class PhaseAnswer(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        ERRORS = "errors", "Has errors"
        WARNINGS = "warnings", "Has warnings"
        PASSED = "passed", "Passed"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    phase = models.PositiveSmallIntegerField(choices=[(n, str(n)) for n in PHASE_NUMBERS])
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = DocumentField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    revision = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What its stored findings say, as a digest written with them: a save whose check
    # says the same reads and writes no finding (services.store_findings). Empty for
    # answers stored before it existed: their findings are then read and compared.
    findings_digest = models.CharField(max_length=32, blank=True, default="")

    objects = PhaseAnswerQuerySet.as_manager()

    class Meta:
        ordering = ["attempt", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "phase"], name="unique_phase_answer")
        ]

    def __str__(self):
        return f"Phase {self.phase} of {self.attempt}"

    def has_document(self) -> bool:
        """Whether a document is stored (not ``{}``), told without decoding the text that
        ``for_phase`` keeps: an object's text is ``{}`` exactly when it is empty."""
        kept = self.__dict__.get("_undecoded", {}).get("data")
        if kept is not None and isinstance(kept[0], str) and kept[0].startswith("{"):
            return kept[0] != "{}"
        return bool(self.data)

    def refresh_from_db(self, *args, **kwargs):
        # A document read by for_phase and not yet decoded is read afresh instead.
        self.__dict__.pop("_undecoded", None)
        super().refresh_from_db(*args, **kwargs)


class Finding(models.Model):
    """A stored finding: what the rule engine said about one phase answer at one save."""

    answer = models.ForeignKey(PhaseAnswer, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=16, db_index=True)
    severity = models.CharField(max_length=8, choices=[(s.value, s.label) for s in Severity])
    field = models.CharField(max_length=120, blank=True)
    field_phase = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The phase the field is in, when not this one."
    )
    message = models.TextField()
    why = models.TextField(blank=True)
    hint = models.TextField(blank=True)
    fix = models.TextField(blank=True)
    arithmetic = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["answer", "position"]

    def __str__(self):
        return f"{self.code} ({self.severity})"


class ReportQuerySet(models.QuerySet):
    def polled(
        self, attempt_id: int, learner_id: int, phase: int, read: Rows | None = None
    ) -> "Report | None":
        """The report of one phase of a learner's own attempt, or None: the read of the
        page's poll, made every second while a report is pending. Written out as SQL
        because compiling the ORM's version of it (two joins, for the owner) took longer
        than PostgreSQL takes to plan and run it; the same one statement either way.
        ``read``: its rows, when they were read already (``poll_reads``)."""
        (rows,) = read if read is not None else run(*self.poll_reads(attempt_id, phase))
        if not rows or rows[0][-1] != learner_id:  # none, or someone else's
            return None
        return _instance(Report, iter(rows[0]))

    def poll_reads(self, attempt_id: int, phase: int) -> list[tuple[Statement, list[int]]]:
        """The statement ``polled`` runs: the report by its attempt and phase alone, with
        the attempt's learner, so that it can be sent before the learner is known (with
        the session's own read: ``tutor.sessions``)."""
        return [(REPORT_POLLED, [attempt_id, phase])]


class Report(models.Model):
    """A background computation for one phase answer: phase 2's estimate report.

    One row per answer, overwritten for each revision, so a task that runs twice (a
    worker killed mid-task, a redelivered message) writes the same row, not a second.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Computing"
        RUNNING = "running", "Computing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Where(models.TextChoices):
        WORKER = "worker", "Background worker"
        WEB = "web", "Web process, the broker being unreachable"
        INLINE = "inline", "In process, no broker configured"

    answer = models.OneToOneField(PhaseAnswer, on_delete=models.CASCADE, related_name="report")
    revision = models.PositiveIntegerField(help_text="The answer revision this report is for.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    computed_in = models.CharField(max_length=16, choices=Where.choices, blank=True)
    data = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    runs = models.PositiveSmallIntegerField(default=0, help_text="How many times a task ran it.")
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"Report for {self.answer} ({self.status})"

    @property
    def is_settled(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class Comment(models.Model):
    """An instructor's comment on one phase of a learner's attempt."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="comments")
    phase = models.PositiveSmallIntegerField(choices=[(n, str(n)) for n in PHASE_NUMBERS])
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    text = models.TextField(help_text="Markdown, sanitised when shown.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt", "phase", "created_at"]

    def __str__(self):
        return f"Comment on phase {self.phase} of {self.attempt}"


def dispute_key(code: str, field: str, field_phase: int | None, message: str) -> str:
    """What identifies a finding across saves, for disputes: its rule, field and words.

    Not the stored row (rows are replaced whenever an answer's findings change), and not
    the rule and field alone: one rule may say several things about one field (phase 9's
    checklist, REV-005, says several things about the whole phase). A digest, so
    that the uniqueness of open disputes is an index of fixed size.
    """
    text = "\x1f".join((code, field, str(field_phase or ""), message))
    return hashlib.sha256(text.encode()).hexdigest()


class DisputeQuerySet(models.QuerySet):
    def in_sets(self, problem_sets):
        return self.filter(answer__attempt__problem__problem_set__in=problem_sets)


class Dispute(models.Model):
    """A learner's "I think this finding is wrong", and the instructor's decision.

    The finding is copied (code, severity, field, message) with the answer's revision
    and the disputed field's values at that revision: stored findings are replaced when
    an answer's findings change, and the learner may change the answer after disputing.
    """

    class Verdict(models.TextChoices):
        OPEN = "open", "Open"
        RULE_WRONG = "rule_wrong", "The rule was wrong"
        RULE_RIGHT = "rule_right", "The rule was right"

    answer = models.ForeignKey(PhaseAnswer, on_delete=models.CASCADE, related_name="disputes")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="disputes"
    )
    revision = models.PositiveIntegerField(
        help_text="The answer's revision when the learner wrote their reason."
    )
    code = models.CharField(max_length=16, db_index=True)
    severity = models.CharField(max_length=8, choices=[(s.value, s.label) for s in Severity])
    field = models.CharField(max_length=120, blank=True)
    field_phase = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The phase the field is in, when not this one."
    )
    message = models.TextField()
    finding_key = models.CharField(
        max_length=64, help_text="Identifies the finding across saves (models.dispute_key)."
    )
    excerpt = models.JSONField(
        default=list,
        blank=True,
        help_text="The disputed field's values at that revision, as [path, text] pairs.",
    )
    reason = models.CharField(max_length=500)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.OPEN)
    reply = models.TextField(blank=True, help_text="The instructor's reply; the learner sees it.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decided_disputes",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Disputing a finding again while the first is open updates its reason.
            models.UniqueConstraint(
                fields=["answer", "finding_key"],
                condition=models.Q(verdict="open"),
                name="one_open_dispute_per_finding",
            )
        ]

    def __str__(self):
        return f"Dispute of {self.code} on {self.answer}"

    def get_absolute_url(self):
        return reverse("teach_dispute", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.verdict == self.Verdict.OPEN


class Job(models.Model):
    """A long-running instructor action (regrading a problem), with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32, default="regrade")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now,
        help_text="When it was queued or last made progress; stale ones are queued again.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} of {self.problem} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)

    @property
    def is_settled(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class LtiPlacement(models.Model):
    """What one link in an LMS course opens (a problem set, or one of its problems) and
    the gradebook column (AGS line item) its scores go to. Written at each launch of the
    link, from the claims the platform signed (tutor/lti.py)."""

    resource_link = models.OneToOneField(
        "lti_tool.LtiResourceLink", on_delete=models.CASCADE, related_name="placement"
    )
    problem_set = models.ForeignKey(
        ProblemSet, on_delete=models.CASCADE, related_name="lti_placements"
    )
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, null=True, blank=True, related_name="lti_placements"
    )
    lineitem_url = models.URLField(max_length=500, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.resource_link} → {self.problem or self.problem_set}"


class GradeSync(models.Model):
    """One learner's score for one LMS line item, and whether the platform has it.

    Written pending in the transaction that finishes the attempt (or regrades it), sent by
    a task; a platform that is down leaves it pending with the error, to be tried again,
    and after ``LTI_GRADE_TRIES`` failed tries it is failed until an instructor sends it
    again. One row per learner and line item: a newer score replaces the one not yet sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    placement = models.ForeignKey(LtiPlacement, on_delete=models.CASCADE, related_name="grades")
    lti_user = models.ForeignKey(
        "lti_tool.LtiUser", on_delete=models.CASCADE, related_name="grade_syncs"
    )
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="grade_syncs")
    score = models.FloatField()
    maximum = models.FloatField(default=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    revision = models.PositiveIntegerField(default=1, help_text="Counts the scores recorded.")
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    tried_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "lti_user"], name="one_grade_per_learner_and_line_item"
            )
        ]

    def __str__(self):
        return f"{self.score}/{self.maximum} for {self.lti_user} ({self.status})"


# The hot statements, planned once per connection (tutor/database.py, ``Statement``).
# PostgreSQL gives a parameter the type of what it is compared with, so a phase number
# would be a smallint and a phase 99999 in a URL an error: each is cast to bigint, which
# the smallint columns' indexes still serve. ``run`` answers no rows for an integer
# beyond bigint, as the ORM does.

# A row's version: where it lies and the transaction that wrote it (AttemptQuerySet.page_version).
_V = "{0}.ctid || {0}.xmin::text"
_OF_PHASE = (
    "JOIN {PhaseAnswer} w ON w.id = x.answer_id"
    " WHERE w.attempt_id = a.id AND w.phase = CAST(%(phase)s AS bigint)"
)
_PAGE_VERSION_SQL = f"""
SELECT concat_ws('|', {_V.format("a")}, {_V.format("p")}, {_V.format("s")}, {_V.format("u")},
  (SELECT string_agg({_V.format("w")}, ',' ORDER BY w.id) FROM {{PhaseAnswer}} w
     WHERE w.attempt_id = a.id),
  (SELECT string_agg({_V.format("x")}, ',' ORDER BY x.id) FROM {{Finding}} x {_OF_PHASE}),
  (SELECT string_agg({_V.format("x")}, ',') FROM {{Report}} x {_OF_PHASE}),
  (SELECT string_agg({_V.format("x")} || {_V.format("c")}, ',' ORDER BY x.id)
     FROM {{Comment}} x JOIN {{User}} c ON c.id = x.author_id
     WHERE x.attempt_id = a.id AND x.phase = CAST(%(phase)s AS bigint)),
  (SELECT string_agg({_V.format("x")} || coalesce({_V.format("d")}, ''), ',' ORDER BY x.id)
     FROM {{Dispute}} x LEFT JOIN {{User}} d ON d.id = x.decided_by_id {_OF_PHASE}),
  (SELECT max(n.id) FROM {{Attempt}} n WHERE n.learner_id = a.learner_id
     AND n.problem_id = a.problem_id AND n.state = %(in_progress)s))
FROM {{Attempt}} a JOIN {{Problem}} p ON p.id = a.problem_id
  JOIN {{ProblemSet}} s ON s.id = p.problem_set_id JOIN {{User}} u ON u.id = a.learner_id
WHERE a.id = %(attempt)s AND a.learner_id = %(learner)s
"""
_TABLES = {
    m.__name__: m._meta.db_table
    for m in (Attempt, Comment, Dispute, Finding, PhaseAnswer, Problem, ProblemSet, Report, User)
}
PAGE_VERSION = Statement("tutor_page_version", _PAGE_VERSION_SQL.format(**_TABLES))
ATTEMPT_FOR_PHASE = Statement(
    "tutor_attempt_for_phase",
    f"""SELECT {_columns(Attempt, "a")}, {_columns(Problem, "p")}, {_columns(ProblemSet, "s")},
      EXISTS (SELECT 1 FROM {Comment._meta.db_table} c
              WHERE c.attempt_id = a.id AND c.phase = CAST(%s AS bigint))
    FROM {Attempt._meta.db_table} a
      JOIN {Problem._meta.db_table} p ON p.id = a.problem_id
      JOIN {ProblemSet._meta.db_table} s ON s.id = p.problem_set_id
    WHERE a.id = %s""",
)
ANSWERS_FOR_PHASE = Statement(
    "tutor_answers_for_phase",
    f"""SELECT {_columns(PhaseAnswer, "w")},
      EXISTS (SELECT 1 FROM {Dispute._meta.db_table} d WHERE d.answer_id = w.id)
    FROM {PhaseAnswer._meta.db_table} w
    WHERE w.attempt_id = %s ORDER BY w.phase""",
)
REPORT_POLLED = Statement(
    "tutor_report_polled",
    f"""SELECT {_columns(Report, "r")}, t.learner_id FROM {Report._meta.db_table} r
      JOIN {PhaseAnswer._meta.db_table} a ON a.id = r.answer_id
      JOIN {Attempt._meta.db_table} t ON t.id = a.attempt_id
    WHERE a.attempt_id = %s AND a.phase = CAST(%s AS bigint)""",
)
_ASSIGNED = ", ".join(
    f'"{cast(models.Field, PhaseAnswer._meta.get_field(name)).column}" = %s'
    for name in WRITTEN_IN_PLACE
)
WRITE_IN_PLACE = Statement(  # PostgreSQL only: an UPDATE inside WITH
    "tutor_write_in_place",
    f"""WITH saved AS (
      UPDATE {PhaseAnswer._meta.db_table} SET {_ASSIGNED}, revision = revision + 1
      WHERE id = %s AND revision = %s AND findings_digest = %s RETURNING attempt_id)
    UPDATE {Attempt._meta.db_table} SET updated_at = %s
    WHERE id = (SELECT attempt_id FROM saved) RETURNING id""",
)
