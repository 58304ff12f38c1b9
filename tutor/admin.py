from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path
from lti_tool.models import LtiDeployment, LtiRegistration

from phases.engine.findings import Severity
from phases.engine.registry import RULES_BY_CODE
from tutor import lti, services
from tutor.models import (
    Attempt,
    Comment,
    Dispute,
    Enrollment,
    Finding,
    GradeSync,
    Job,
    LtiPlacement,
    PhaseAnswer,
    Problem,
    ProblemSet,
    Report,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Role", {"fields": ("role",)}))
    list_display = ("username", "email", "role", "is_active", "is_staff", "date_joined")
    list_filter = ("role", "is_active", "is_staff")


class ProblemInline(admin.TabularInline):
    model = Problem
    fields = ("position", "title", "slug", "is_published", "version")
    extra = 0
    show_change_link = True


@admin.register(ProblemSet)
class ProblemSetAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_published", "is_open", "join_code")
    list_filter = ("is_published", "is_open", "release_scores", "release_reference")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("instructors",)
    inlines = [ProblemInline]


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("title", "problem_set", "slug", "is_published", "version")
    list_filter = ("problem_set", "is_published")
    search_fields = ("title", "slug")
    list_select_related = ("problem_set",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("learner", "problem_set", "joined_at")
    list_filter = ("problem_set",)
    search_fields = ("learner__username",)
    list_select_related = ("learner", "problem_set")


class PhaseAnswerInline(admin.TabularInline):
    model = PhaseAnswer
    fields = ("phase", "status", "revision", "checked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("learner", "problem", "state", "problem_version", "started_at", "updated_at")
    list_filter = ("state", "problem__problem_set")
    search_fields = ("learner__username", "problem__title")
    list_select_related = ("learner", "problem")
    inlines = [PhaseAnswerInline]


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ("code", "severity", "field", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PhaseAnswer)
class PhaseAnswerAdmin(admin.ModelAdmin):
    list_display = ("attempt", "phase", "status", "revision", "checked_at")
    list_filter = ("phase", "status")
    list_select_related = ("attempt__learner", "attempt__problem")
    inlines = [FindingInline]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Findings are what the rules said, written with their answer's digest: shown, never
    edited or deleted by hand (a regrade recomputes them)."""

    list_display = ("code", "severity", "field", "answer")
    list_filter = ("severity", "code")
    search_fields = ("code", "message")
    list_select_related = ("answer__attempt__learner", "answer__attempt__problem")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("answer", "status", "computed_in", "revision", "runs", "completed_at")
    list_filter = ("status", "computed_in", "answer__phase")
    search_fields = ("answer__attempt__learner__username",)
    list_select_related = ("answer__attempt__learner", "answer__attempt__problem")
    readonly_fields = ("data",)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("kind", "problem", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("problem__title",)
    list_select_related = ("problem",)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("attempt", "phase", "author", "created_at")
    list_filter = ("phase",)
    search_fields = ("text", "author__username", "attempt__learner__username")
    list_select_related = ("attempt__learner", "attempt__problem", "author")


def dispute_rates() -> list[dict]:
    """Each rule's disputes against the times its findings are shown, highest rate first.

    "Shown" counts the stored findings with the rule's code (passes left out, since a
    pass claims nothing to dispute): one per answer whose latest check has it. Stored
    findings are replaced when an answer's findings change, so this is how many answers
    show the finding now, not how many times a page showed it. Two queries.
    """
    shown = dict(
        Finding.objects.exclude(severity=Severity.PASS.value)
        .values("code")
        .annotate(count=Count("pk"))
        .values_list("code", "count")
    )
    disputed = {
        row["code"]: row
        for row in Dispute.objects.values("code").annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(verdict=Dispute.Verdict.OPEN)),
            rule_wrong=Count("pk", filter=Q(verdict=Dispute.Verdict.RULE_WRONG)),
            rule_right=Count("pk", filter=Q(verdict=Dispute.Verdict.RULE_RIGHT)),
        )
    }
    rows = []
    for code in set(shown) | set(disputed):
        counts = disputed.get(code, {})
        times = shown.get(code, 0)
        total = counts.get("total", 0)
        rule = RULES_BY_CODE.get(code)
        rows.append(
            {
                "code": code,
                "title": rule.title if rule else "(a rule no longer in the rule table)",
                "shown": times,
                "total": total,
                "open": counts.get("open", 0),
                "rule_wrong": counts.get("rule_wrong", 0),
                "rule_right": counts.get("rule_right", 0),
                "rate": total / times if times else None,
                "wrong_rate": counts.get("rule_wrong", 0) / times if times else None,
            }
        )
    for row in rows:
        row["rate_shown"] = _percent(row["rate"])
        row["wrong_rate_shown"] = _percent(row["wrong_rate"])
    # Disputes of a rule none of whose findings is stored now come first: rate unknown.
    rows.sort(key=lambda r: (-(r["rate"] if r["rate"] is not None else float("inf")), r["code"]))
    return rows


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ("code", "verdict", "learner", "revision", "created_at", "decided_by")
    list_filter = ("verdict", "code")
    search_fields = ("code", "reason", "reply", "learner__username")
    list_select_related = ("learner", "decided_by")
    readonly_fields = (
        "answer",
        "learner",
        "revision",
        "code",
        "severity",
        "field",
        "field_phase",
        "message",
        "finding_key",
        "excerpt",
        "reason",
        "created_at",
        "updated_at",
    )
    change_list_template = "admin/tutor/dispute/change_list.html"

    def has_add_permission(self, request):
        return False  # a dispute is a learner's, made next to a finding

    def get_urls(self):
        rates = self.admin_site.admin_view(self.rates_view)
        return [path("rates/", rates, name="tutor_dispute_rates"), *super().get_urls()]

    def rates_view(self, request):
        """Each rule's dispute rate (``dispute_rates``), for staff."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Dispute rate per rule",
            "opts": self.model._meta,
            "rows": dispute_rates(),
        }
        return TemplateResponse(request, "admin/tutor/dispute/rates.html", context)


# -- LTI: platforms staff register, and the grades owed to them ------------------------------

# django-lti's own admin of registrations shows a registration's private key: replaced by
# one that never shows or takes a key (the tutor signs with its own keys, made by
# `manage.py rotate_keys` and published at /lti/jwks/).
admin.site.unregister(LtiRegistration)


class LtiDeploymentInline(admin.TabularInline):
    model = LtiDeployment
    fields = ("deployment_id", "is_active")
    extra = 1
    verbose_name = "deployment (the LMS gives its id when the tutor is installed)"


@admin.register(LtiRegistration)
class LtiRegistrationAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "client_id", "is_active", "datetime_created")
    list_filter = ("is_active",)
    search_fields = ("name", "issuer", "client_id")
    fields = (
        "name",
        "issuer",
        "client_id",
        "audience",
        "auth_url",
        "token_url",
        "keyset_url",
        "is_active",
    )
    inlines = [LtiDeploymentInline]
    # A URL typed without a scheme is taken as https (Django 6's default, said now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(LtiPlacement)
class LtiPlacementAdmin(admin.ModelAdmin):
    list_display = ("resource_link", "problem_set", "problem", "lineitem_url", "updated_at")
    list_filter = ("problem_set",)
    search_fields = ("resource_link__title", "problem_set__title", "problem__title")
    list_select_related = ("resource_link", "problem_set", "problem")
    raw_id_fields = ("resource_link",)


@admin.register(GradeSync)
class GradeSyncAdmin(admin.ModelAdmin):
    list_display = ("lti_user", "placement", "score", "status", "tries", "requested_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("lti_user__sub", "lti_user__name", "attempt__learner__username")
    list_select_related = ("lti_user", "placement__resource_link", "placement__problem_set")
    readonly_fields = (
        "placement",
        "lti_user",
        "attempt",
        "score",
        "maximum",
        "revision",
        "tries",
        "last_error",
        "requested_at",
        "tried_at",
        "sent_at",
    )
    actions = ["send_again"]

    @admin.action(description="Send the selected grades again (those not sent yet)")
    def send_again(self, request, queryset):
        for grade in queryset.exclude(status=GradeSync.Status.SENT):
            if lti.retry_grade(grade):
                services.enqueue_grade(grade.pk)
