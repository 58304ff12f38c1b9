from django.contrib import admin
from django.urls import include, path
from lti_tool.views import jwks

from tutor import views, views_cohort, views_lti, views_teach

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("sets/", views.problem_sets, name="problemsets"),
    path("sets/<slug:slug>/", views.problem_set_detail, name="problemset"),
    path("sets/<slug:slug>/join/", views.join, name="join"),
    path("sets/<slug:set_slug>/<slug:slug>/", views.problem_detail, name="problem"),
    path("sets/<slug:set_slug>/<slug:slug>/start/", views.start_attempt, name="start_attempt"),
    path("attempts/<int:attempt_id>/", views.attempt_overview, name="attempt"),
    path("attempts/<int:attempt_id>/finish/", views.finish, name="finish"),
    path("attempts/<int:attempt_id>/export.md", views.export, name="export"),
    path(
        "attempts/<int:attempt_id>/reference/<int:number>/",
        views.attempt_reference,
        name="attempt_reference",
    ),
    path("attempts/<int:attempt_id>/phases/<int:number>/", views.phase, name="phase"),
    path(
        "attempts/<int:attempt_id>/phases/<int:number>/report/",
        views.phase_report,
        name="phase_report",
    ),
    path("attempts/<int:attempt_id>/phases/5/diagram/", views.phase_diagram, name="phase_diagram"),
    path(
        "attempts/<int:attempt_id>/phases/5/<slug:key>.svg",
        views.phase_diagram,
        name="phase_diagram_svg",
    ),
    path(
        "attempts/<int:attempt_id>/phases/<int:number>/disputes/",
        views.phase_dispute,
        name="phase_dispute",
    ),
    path("teach/", views_teach.home, name="teach_home"),
    path("teach/preview/", views_teach.preview, name="teach_preview"),
    path("teach/sets/new/", views_teach.set_new, name="teach_set_new"),
    path("teach/sets/<slug:slug>/", views_teach.set_edit, name="teach_set"),
    path("teach/sets/<slug:slug>/export.yaml", views_teach.set_export, name="teach_set_export"),
    path("teach/sets/<slug:slug>/import/", views_teach.set_import, name="teach_set_import"),
    path("teach/sets/<slug:slug>/cohort/", views_cohort.cohort, name="teach_cohort"),
    path("teach/sets/<slug:slug>/gradebook.csv", views_cohort.gradebook, name="teach_gradebook"),
    path("teach/sets/<slug:slug>/problems/new/", views_teach.problem_new, name="teach_problem_new"),
    path(
        "teach/sets/<slug:set_slug>/problems/<slug:slug>/",
        views_teach.problem_edit,
        name="teach_problem",
    ),
    path(
        "teach/sets/<slug:set_slug>/problems/<slug:slug>/test/",
        views_teach.problem_test,
        name="teach_problem_test",
    ),
    path(
        "teach/sets/<slug:set_slug>/problems/<slug:slug>/regrade/",
        views_teach.problem_regrade,
        name="teach_problem_regrade",
    ),
    path("teach/attempts/<int:attempt_id>/", views_cohort.review, name="teach_review"),
    path(
        "teach/attempts/<int:attempt_id>/comments/",
        views_cohort.comment,
        name="teach_comment",
    ),
    path("teach/disputes/<int:dispute_id>/", views_cohort.dispute, name="teach_dispute"),
    path("teach/sets/<slug:slug>/roster/", views_lti.pull_roster, name="teach_roster"),
    path(
        "teach/sets/<slug:slug>/grades/<int:grade_id>/retry/",
        views_lti.retry_grade,
        name="teach_grade_retry",
    ),
    path("lti/", views_lti.setup, name="lti_setup"),
    path("lti/jwks/", jwks, name="lti_jwks"),
    path("lti/login/", views_lti.login_initiation, name="lti_login"),
    path("lti/launch/", views_lti.launch, name="lti_launch"),
    path("lti/deep-link/", views_lti.deep_link, name="lti_deep_link"),
    path("rules/", views.rules, name="rules"),
    path("reference/", views.reference, name="reference"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("admin/", admin.site.urls),
]

# 403 and 404 use Django's views with templates/403.html and 404.html; a server error
# renders without the database, and a database outage gives the 503 page.
handler500 = "tutor.middleware.server_error"
