"""Phase 2 in the site: the form, the findings at once, the report after the worker."""

import copy

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from tests.tutor.helpers import GOOD_ESTIMATE, estimation_post, renders_of
from tutor import celery_app
from tutor.models import PhaseAnswer, Report
from tutor.services import run_report


@pytest.fixture
def in_process_tasks():
    """Run tasks in process, as the embedded default does."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def url(attempt):
    return reverse("phase", args=[attempt.pk, 2])


def report_poll(client, attempt):
    return client.get(url(attempt), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report")


def with_slip():
    document = copy.deepcopy(GOOD_ESTIMATE)
    document["results"]["writes_per_s"] = "27,800/s"  # 100M/day ÷ 3,600
    return document


def test_phase_two_shows_the_form(alice_client, attempt):
    html = alice_client.get(url(attempt)).content.decode()
    assert 'name="assumptions__writes"' in html
    assert 'name="results__storage_with_overhead"' in html
    assert 'name="conclusion__pressure"' in html
    assert "extra_assumptions-TOTAL_FORMS" in html


def test_saving_shows_findings_at_once_and_the_report_as_pending(alice_client, attempt):
    response = alice_client.post(url(attempt), estimation_post(with_slip()), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="EST-001"' in html
    assert "hours mixed up with days" in html
    assert "Computing the report" in html
    assert 'hx-trigger="load delay:1s"' in html
    report = Report.objects.get(answer__attempt=attempt)
    assert report.status == Report.Status.PENDING
    assert report.revision == 1


def test_polling_returns_the_report_partial_until_it_is_done(alice_client, attempt):
    alice_client.post(url(attempt), estimation_post(with_slip()), HTTP_HX_REQUEST="true")
    pending = report_poll(alice_client, attempt).content.decode()
    assert "<html" not in pending and 'id="report"' in pending
    assert "hx-get" in pending

    report = Report.objects.get(answer__attempt=attempt)
    run_report(report.pk, report.revision, where=Report.Where.WORKER)

    done = report_poll(alice_client, attempt).content.decode()
    assert "Estimate report" in done
    assert "by a background worker" in done
    assert "hx-get" not in done  # polling stops
    assert "27,800/s" in done and "1,157/s" in done
    assert "Likely slip" in done


def test_a_computing_report_is_drawn_once_then_kept_until_it_settles(
    alice_client, attempt, monkeypatch
):
    """Every poll of a report still computing answers the same partial: drawn once and
    kept; the settled report is drawn each time."""
    drawn = renders_of(monkeypatch, "tutor/phase.html#report")
    caches["template_fragments"].clear()
    alice_client.post(url(attempt), estimation_post(with_slip()), HTTP_HX_REQUEST="true")
    first = report_poll(alice_client, attempt).content.decode()
    again = report_poll(alice_client, attempt).content.decode()
    assert again == first and "Computing the report" in first
    assert len(drawn) == 1
    report = Report.objects.get(answer__attempt=attempt)
    run_report(report.pk, report.revision, where=Report.Where.WORKER)
    for _ in range(2):
        done = report_poll(alice_client, attempt).content.decode()
        assert "Estimate report" in done and "hx-get" not in done
    assert len(drawn) == 3
    # Another learner's poll of this attempt finds nothing, kept partial or not.
    report.status = Report.Status.PENDING
    report.save()
    intruder = Client()
    intruder.force_login(make_user("mallory"))
    assert report_poll(intruder, attempt).status_code == 404


def test_without_a_broker_the_report_is_computed_in_process(
    alice_client, attempt, in_process_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url(attempt), estimation_post(GOOD_ESTIMATE))
    assert response.status_code == 302
    html = alice_client.get(url(attempt)).content.decode()
    assert "Estimate report" in html
    assert "in process (this site runs without a background worker)" in html
    report = Report.objects.get(answer__attempt=attempt)
    assert report.status == Report.Status.DONE
    assert report.computed_in == Report.Where.INLINE
    assert report.data["headroom"][0]["resource"] == "storage"


def test_a_newer_save_supersedes_the_pending_report(alice_client, attempt):
    alice_client.post(url(attempt), estimation_post(with_slip()))
    first = Report.objects.get(answer__attempt=attempt)
    alice_client.post(url(attempt), estimation_post(GOOD_ESTIMATE, base_revision=1))
    run_report(first.pk, 1, where=Report.Where.WORKER)  # the stale task arrives late
    report = Report.objects.get(answer__attempt=attempt)
    assert report.revision == 2 and report.status == Report.Status.PENDING
    run_report(report.pk, 2, where=Report.Where.WORKER)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and report.runs == 1


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "object_size",
            "2OO B",
            "Size of one object: &#x27;2OO B&#x27; has the letter O where the digit 0 belongs",
        ),
        ("object_size", "5 years", "Size of one object: Expected a size"),
        ("writes", "lots", "Writes (events created): Enter a rate"),
        (
            "object_size",
            "1e308 B",
            "Size of one object: 1e308 B is larger than any system this tutor can reason "
            "about (at most 1,000 EB, a zettabyte)",
        ),
        (
            "writes",
            "1e308/day",
            "Writes (events created): 1e308/day is larger than any system this tutor can "
            "reason about (at most a trillion a second)",
        ),
        ("cache_fraction", "9" * 400 + "%", "Hot set cached (share of a day&#x27;s reads): 99"),
    ],
)
def test_unreadable_quantities_are_field_errors_and_keep_the_text(
    alice_client, attempt, field, typed, message
):
    document = copy.deepcopy(GOOD_ESTIMATE)
    document["assumptions"][field] = typed
    response = alice_client.post(url(attempt), estimation_post(document))
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html
    assert f'value="{typed}"' in html
    assert not PhaseAnswer.objects.filter(attempt=attempt).exists()
    assert not Report.objects.exists()


def test_a_good_estimate_passes(alice_client, attempt):
    alice_client.post(url(attempt), estimation_post(GOOD_ESTIMATE))
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=2)
    assert answer.status == PhaseAnswer.Status.PASSED
    assert list(answer.findings.values_list("code", flat=True)) == ["EST-009"]
