from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tutor.models import (
    Attempt,
    Comment,
    Enrollment,
    Finding,
    Job,
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
    list_display = ("code", "severity", "field", "answer")
    list_filter = ("severity", "code")
    search_fields = ("code", "message")
    list_select_related = ("answer__attempt__learner", "answer__attempt__problem")


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
