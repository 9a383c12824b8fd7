"""计算 and 复核重算 of a large period as background work (``services.background``): checked at once,
queued, run afterwards by the same service as the manager who asked (and from where they asked), shown
on the ranking page while under way and after, and no other step taken on the period meanwhile.

The fixture is test_pages.py's 张家口-style quarters, with the background threshold lowered to 2
subjects (a real deployment: 2,000). Q2 rated like Q1: alice 95 A rank 1, bob 80 B 2, dave 80 B 2,
carol 60 C 4. Q1 re-reviewed with bob's leader score corrected 80 → 100: bob 88 B rank 2 (a new
version), dave 80 B moves 2 → 3 (rank only) — 2 of the 4 results change.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jiceng.assessment import services
from jiceng.assessment.choices import ComputationStatus, PeriodState
from jiceng.assessment.models import AssessmentPeriod, AssessmentResult, PeriodComputation
from jiceng.assessment.services.background import _ProgressWriter
from jiceng.assessment.tasks import COMPUTE_PERIOD
from jiceng.core.errors import ConflictError
from jiceng.core.models import AuditLog
from jiceng.people.choices import Role
from tests.assessment.test_api import API, as_user
from tests.assessment.test_pages import world  # noqa: F401  (the fixture)
from tests.assessment.test_publish_pages import bob_corrected, rate_and_close_q2
from tests.celery_worker import celery_worker, wait_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    settings.JICENG_ASSESSMENT_BACKGROUND_FROM = 2


def q2_results(world) -> list[tuple]:  # noqa: F811
    return sorted((r.subject.display_name, str(r.total), r.grade, r.rank)
                  for r in AssessmentResult.objects.filter(period=world.q2, current=True).select_related("subject"))


def test_a_large_period_is_computed_in_the_background_as_the_manager_who_asked(
        world, small_threshold, login, django_capture_on_commit_callbacks):  # noqa: F811
    rate_and_close_q2(world)
    client = login(world.manager)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(f"/assessment/periods/{world.q2.pk}/transition/", {"action": "compute"},
                             REMOTE_ADDR="10.1.2.3", follow=True)
    assert answer.status_code == 200
    assert "已开始在后台计算 4 个考核对象的结果，完成后在本页显示。" in answer.content.decode()
    job = PeriodComputation.objects.get(period=world.q2)
    assert (job.action, job.status, job.subjects, job.requested_by, job.request_ip) == (
        "compute", ComputationStatus.QUEUED, 4, world.manager, "10.1.2.3")
    assert q2_results(world) == []  # nothing computed in the request
    assert AuditLog.objects.filter(action="assessment.computation_queue", object_id=str(world.q2.pk)).count() == 1

    # While it waits: the page says so and refreshes itself; no step is offered, and none is taken.
    page = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert 'id="as-computation" data-status="queued"' in page
    assert f"4 个考核对象，{world.manager} 于 " in page  # who asked, by name
    assert '<meta http-equiv="refresh" content="5">' in page
    assert 'name="action" value="compute"' not in page
    api = as_user(world.manager)
    assert api.get(f"{API}/periods/{world.q2.pk}/computation").json()["status"] == "queued"
    assert api.get(f"{API}/periods/{world.q2.pk}").json()["actions"] == []
    refused = api.post(f"{API}/periods/{world.q2.pk}/transitions/compute", {}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["field"] == "state"
    assert refused.json()["message"].startswith(f"本考核期正在后台计算（{world.manager} 于 ")
    with pytest.raises(ConflictError):
        services.period_publish(actor=world.manager, period=world.q2)
    assert PeriodComputation.objects.filter(period=world.q2).count() == 1

    # The background work (the callback queued at the commit: the Celery task, eager here).
    for callback in queued:
        callback()
    job.refresh_from_db()
    assert (job.status, job.done, job.message) == (ComputationStatus.DONE, 4, "已计算 4 个考核对象的结果，尚未公布。")
    assert q2_results(world) == [("alice", "95.00", "A", 1), ("bob", "80.00", "B", 2), ("carol", "60.00", "C", 4),
                                 ("dave", "80.00", "B", 2)]
    assert AssessmentPeriod.objects.get(pk=world.q2.pk).state == PeriodState.COMPUTED
    record = AuditLog.objects.get(action="assessment.period_compute", object_id=str(world.q2.pk))
    assert (record.actor_id, record.ip, record.channel) == (world.manager.pk, "10.1.2.3", "web")
    assert record.at >= job.requested_at

    page = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert 'data-status="done"' in page and "已计算 4 个考核对象的结果，尚未公布。" in page
    assert 'http-equiv="refresh"' not in page
    assert f'href="/assessment/periods/{world.q2.pk}/publish/"' in page  # the next step is offered again
    assert services.computation_run(pk=job.pk) is None  # taken once


def test_a_recompute_is_checked_at_once_and_its_message_is_the_synchronous_ones(
        world, small_threshold, django_capture_on_commit_callbacks):  # noqa: F811
    bob_corrected(world)
    api = as_user(world.manager)
    url = f"{API}/periods/{world.q1.pk}/transitions/recompute"
    with django_capture_on_commit_callbacks(execute=True):
        no_reason = api.post(url, {}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert not PeriodComputation.objects.exists()  # refused before anything was queued
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(url, {"reason": "更正镇街评价分"}, content_type="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["message"] == "已开始在后台复核重算 4 个考核对象，完成后在本页显示。"
    assert (body["computation"]["action"], body["computation"]["subjects"]) == ("recompute", 4)
    job = api.get(f"{API}/periods/{world.q1.pk}/computation").json()
    assert (job["status"], job["done"], job["stale"]) == ("done", 4, False)
    assert job["message"] == ("已复核重算：4 个结果中 2 个有变化，复核后公布时生效。 "
                              "其中 1 个只是名次随之变化，总分和等次未变。")
    pending = {r.subject.display_name: (str(r.total), r.grade, r.rank, r.reason) for r in
               AssessmentResult.objects.filter(period=world.q1, published_at__isnull=True).select_related("subject")}
    assert pending == {"bob": ("88.00", "B", 2, "更正镇街评价分"), "dave": ("80.00", "B", 3, "更正镇街评价分")}


def test_a_small_period_is_still_computed_in_the_request(world, django_capture_on_commit_callbacks):  # noqa: F811
    rate_and_close_q2(world)
    api = as_user(world.manager)
    answer = api.post(f"{API}/periods/{world.q2.pk}/transitions/compute", {}, content_type="application/json")
    assert answer.status_code == 200
    assert (answer.json()["computation"], answer.json()["message"]) == (None, "已计算 4 个考核对象的结果，尚未公布。")
    assert len(q2_results(world)) == 4
    assert api.get(f"{API}/periods/{world.q2.pk}/computation").status_code == 404


def test_a_refusal_met_by_the_background_work_is_kept_on_the_row(world, small_threshold,  # noqa: F811
                                                                django_capture_on_commit_callbacks):
    rate_and_close_q2(world)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.period_transition(actor=world.manager, period=world.q2, action="compute")
    world.manager.is_active = False  # the manager left before the worker came to it
    world.manager.save(update_fields=["is_active"])
    for callback in queued:
        callback()
    job = PeriodComputation.objects.get(period=world.q2)
    assert job.status == ComputationStatus.FAILED and job.message
    assert q2_results(world) == [] and AssessmentPeriod.objects.get(pk=world.q2.pk).state == PeriodState.SCORING_CLOSED


def test_a_computation_that_stopped_moving_is_given_up_and_can_be_asked_again(
        world, small_threshold, login, django_capture_on_commit_callbacks):  # noqa: F811
    rate_and_close_q2(world)
    with django_capture_on_commit_callbacks(execute=False):
        services.period_transition(actor=world.manager, period=world.q2, action="compute")
    dead = PeriodComputation.objects.get(period=world.q2)
    PeriodComputation.objects.filter(pk=dead.pk).update(
        status=ComputationStatus.RUNNING, requested_at=timezone.now() - timedelta(minutes=40),
        progress_at=timezone.now() - timedelta(minutes=16))
    client = login(world.manager)
    page = client.get(f"/assessment/periods/{world.q2.pk}/").content.decode()
    assert 'data-status="stale"' in page and 'name="action" value="compute"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/assessment/periods/{world.q2.pk}/transition/", {"action": "compute"})
    dead.refresh_from_db()
    assert dead.status == ComputationStatus.FAILED and "已停止" in dead.message
    again = PeriodComputation.objects.filter(period=world.q2).exclude(pk=dead.pk).get()
    assert again.status == ComputationStatus.DONE and len(q2_results(world)) == 4


def test_only_the_schemes_managers_read_its_computation(world, county, small_threshold,  # noqa: F811
                                                        django_capture_on_commit_callbacks):
    rate_and_close_q2(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.period_transition(actor=world.manager, period=world.q2, action="compute")
    url = f"{API}/periods/{world.q2.pk}/computation"
    assert as_user(world.manager).get(url).status_code == 200
    assert as_user(world.secretaries["bob"]).get(url).status_code in (403, 404)
    assert as_user(make_user("erin", Role.STREET_STAFF, county.west)).get(url).status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="progress goes through a second connection on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_before_the_computation_commits(world):  # noqa: F811
    job = PeriodComputation.objects.create(period=world.q2, action="compute", requested_by=world.manager,
                                           requested_at=timezone.now(), subjects=4, status=ComputationStatus.RUNNING)
    writer = _ProgressWriter(job.pk)
    try:
        with transaction.atomic():  # the computation's own transaction, not committed yet
            AssessmentPeriod.objects.select_for_update().get(pk=world.q2.pk)
            writer(500)
            seen = writer.conn.cursor()
            seen.execute("SELECT done FROM assessment_periodcomputation WHERE id = %s", [job.pk])
            assert seen.fetchone()[0] == 500
    finally:
        writer.close()
    job.refresh_from_db()
    assert job.done == 500 and job.progress_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_computes_a_queued_period(world):  # noqa: F811
    with celery_worker() as send:
        rate_and_close_q2(world)
        job = PeriodComputation.objects.create(period=world.q2, action="compute", requested_by=world.manager,
                                               requested_at=timezone.now(), subjects=4, request_ip="10.1.2.3")
        send(COMPUTE_PERIOD, job.pk)
        wait_for(send, lambda: PeriodComputation.objects.get(pk=job.pk).finished)
    job.refresh_from_db()
    assert (job.status, job.message) == (ComputationStatus.DONE, "已计算 4 个考核对象的结果，尚未公布。")
    assert q2_results(world) == [("alice", "95.00", "A", 1), ("bob", "80.00", "B", 2), ("carol", "60.00", "C", 4),
                                 ("dave", "80.00", "B", 2)]
    record = AuditLog.objects.get(action="assessment.period_compute", object_id=str(world.q2.pk))
    assert (record.actor_id, record.ip) == (world.manager.pk, "10.1.2.3")
