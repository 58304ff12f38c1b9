from django.contrib import admin
from django.urls import include, path

from tutor import views

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
    path("attempts/<int:attempt_id>/phases/<int:number>/", views.phase, name="phase"),
    path("rules/", views.rules, name="rules"),
    path("reference/", views.reference, name="reference"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("admin/", admin.site.urls),
]
