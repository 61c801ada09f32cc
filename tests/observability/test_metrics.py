"""/metrics: closed to all but the token holder and the listed addresses, and the counters
it shows move with the work Crit does."""

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from exports.models import ExportJob
from tests.factories import make_api_token
from tests.observability.conftest import TOKEN, sample

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _token(settings):
    settings.CRIT_METRICS_TOKEN = TOKEN
    settings.CRIT_METRICS_ALLOW = []


def _unknown_url_404() -> bytes:
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    return response.content


def test_metrics_without_the_token_is_the_404_of_an_unknown_url():
    response = Client().get("/metrics")
    assert response.status_code == 404
    assert response.content == _unknown_url_404()


def test_metrics_with_a_wrong_token_is_404():
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert response.status_code == 404
    assert response.content == _unknown_url_404()


def test_metrics_with_the_token_in_another_scheme_is_404():
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 404


def test_metrics_from_an_address_not_on_the_allow_list_is_404(settings):
    settings.CRIT_METRICS_ALLOW = ["10.0.0.0/8", "192.0.2.7"]
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404


def test_metrics_is_404_to_everyone_when_neither_token_nor_list_is_set(settings):
    settings.CRIT_METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_post_without_the_token_is_404_not_405():
    assert Client().post("/metrics").status_code == 404


def test_metrics_answers_the_token_holder():
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE crit_http_requests_total counter" in response.content
    assert b"crit_export_jobs{" in response.content


def test_metrics_answers_an_address_on_the_allow_list(settings):
    settings.CRIT_METRICS_TOKEN = ""
    settings.CRIT_METRICS_ALLOW = ["10.0.0.0/8", "192.0.2.7"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200


def test_a_design_page_view_is_counted_under_its_route_name_with_its_queries(alice, design):
    client = Client()
    client.force_login(alice)
    labels = {"view": "designs:detail", "method": "GET", "status": "200"}
    before = sample("crit_http_requests_total", **labels)
    before_latency = sample("crit_http_request_duration_seconds_count", **labels)
    before_queries = sample("crit_http_request_db_queries_sum", view="designs:detail")

    assert client.get(design.get_absolute_url()).status_code == 200

    assert sample("crit_http_requests_total", **labels) == before + 1
    assert sample("crit_http_request_duration_seconds_count", **labels) == before_latency + 1
    assert sample("crit_http_request_db_queries_sum", view="designs:detail") > before_queries
    body = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'crit_http_requests_total{method="GET",status="200",view="designs:detail"}' in body
    assert f"/designs/{design.pk}/" not in body  # never the path


def test_the_page_card_and_thread_caches_count_hits_and_misses(alice, design):
    client = Client()
    client.force_login(alice)
    sections = design.sections.count()
    start = {
        (cache, result): sample("crit_cache_lookups_total", cache=cache, result=result)
        for cache in ("page", "card", "threads")
        for result in ("hit", "miss")
    }

    def moved(cache: str, result: str) -> float:
        value = sample("crit_cache_lookups_total", cache=cache, result=result)
        return value - start[(cache, result)]

    client.get(design.get_absolute_url())
    assert (moved("page", "miss"), moved("page", "hit")) == (1, 0)
    assert (moved("card", "miss"), moved("card", "hit")) == (sections, 0)
    assert moved("threads", "miss") == sections

    client.get(design.get_absolute_url())
    assert (moved("page", "miss"), moved("page", "hit")) == (1, 1)


def test_an_export_counts_its_task_run_queue_wait_and_duration(
    alice, design, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(alice)
    run = {"task": "exports.run", "outcome": "success"}
    before = (
        sample("crit_celery_task_runs_total", **run),
        sample("crit_celery_task_duration_seconds_count", **run),
        sample("crit_export_queue_wait_seconds_count", format="markdown"),
        sample("crit_export_duration_seconds_count", format="markdown", outcome="done"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports:design", args=[design.pk]), {"format": "markdown"}, **HTMX
        )

    assert response.status_code == 200
    assert ExportJob.objects.get().status == ExportJob.Status.DONE
    after = (
        sample("crit_celery_task_runs_total", **run),
        sample("crit_celery_task_duration_seconds_count", **run),
        sample("crit_export_queue_wait_seconds_count", format="markdown"),
        sample("crit_export_duration_seconds_count", format="markdown", outcome="done"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1]


def test_a_sign_in_refused_by_a_lockout_is_counted(alice, settings):
    settings.CRIT_SIGNIN_FAILURES_PER_ACCOUNT = 1
    login = reverse("accounts:login")
    Client().post(login, {"username": "alice", "password": "wrong"})
    before = sample("crit_signin_lockouts_total", scope="account")

    response = Client().post(login, {"username": "alice", "password": "wrong"})

    assert response.status_code == 429
    assert sample("crit_signin_lockouts_total", scope="account") == before + 1


def test_a_comment_refused_by_the_rate_limit_is_counted(alice, design, settings):
    settings.CRIT_COMMENTS_PER_MINUTE = 1
    client = Client()
    client.force_login(alice)
    section = design.sections.order_by("position").first()
    url = reverse("reviews:comment_add", args=[design.pk, section.key])
    assert client.post(url, {"body": "First."}, **HTMX).status_code == 200
    before = sample("crit_rate_limit_refusals_total", limit="comments")

    assert client.post(url, {"body": "Second."}, **HTMX).status_code == 429

    assert sample("crit_rate_limit_refusals_total", limit="comments") == before + 1


def test_an_api_write_refused_by_the_rate_limit_is_counted(alice, design, settings):
    settings.CRIT_API_WRITES_PER_MINUTE = 1
    secret = make_api_token(user=alice)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    section = design.sections.order_by("position").first()
    url = f"/api/v1/designs/{design.pk}/sections/{section.key}"

    def save(version: int):
        body = json.dumps({"body": "Text.", "base_version": version})
        return api.patch(url, data=body, content_type="application/json")

    assert save(section.version).status_code == 200
    before = sample("crit_rate_limit_refusals_total", limit="api_writes")

    assert save(section.version + 1).status_code == 429

    assert sample("crit_rate_limit_refusals_total", limit="api_writes") == before + 1


def test_an_export_refused_by_the_rate_limit_is_counted(alice, design, settings, tmp_path):
    settings.CRIT_EXPORTS_PER_HOUR = 1
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(alice)
    url = reverse("exports:design", args=[design.pk])
    assert client.post(url, {"format": "markdown"}, **HTMX).status_code == 200
    before = sample("crit_rate_limit_refusals_total", limit="exports")

    assert client.post(url, {"format": "pdf"}, **HTMX).status_code == 400

    assert sample("crit_rate_limit_refusals_total", limit="exports") == before + 1


def test_every_metric_the_dashboard_and_the_alerts_use_exists():
    root = Path(__file__).resolve().parents[2]
    used = set(re.findall(r"crit_[a-z_]+", (root / "docs/grafana-dashboard.json").read_text()))
    operations = (root / "docs/operations.md").read_text()
    section = operations.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    used |= set(re.findall(r"crit_[a-z_]+", section))
    body = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    declared = set(re.findall(r"^# TYPE (crit_[a-z_]+) ", body, flags=re.M))
    suffixes = ("_bucket", "_count", "_sum", "_total")
    missing = {
        name
        for name in used
        if name not in declared and not any(name.removesuffix(s) in declared for s in suffixes)
    }
    assert not missing


def test_review_requests_and_invitations_refused_by_their_limits_are_counted(
    alice, team, design, settings
):
    from accounts import services as account_services
    from accounts.services import InvitationRateLimited
    from reviews import services as review_services
    from reviews.services import ReviewRequestRateLimited
    from tests.factories import UserFactory

    settings.CRIT_REVIEW_REQUESTS_PER_MINUTE = 1
    settings.CRIT_INVITATIONS_PER_HOUR = 1
    first, second = UserFactory(username="first"), UserFactory(username="second")
    requests_before = sample("crit_rate_limit_refusals_total", limit="review_requests")
    invitations_before = sample("crit_rate_limit_refusals_total", limit="invitations")

    review_services.review_request(design=design, reviewer=first, requested_by=alice)
    with pytest.raises(ReviewRequestRateLimited) as refused:
        review_services.review_request(design=design, reviewer=second, requested_by=alice)
    assert refused.value.retry_after > 0 and "reviewer" in refused.value.message_dict
    account_services.team_invite(team=team, identifier="first", invited_by=alice)
    with pytest.raises(InvitationRateLimited) as refused_invite:
        account_services.team_invite(team=team, identifier="second", invited_by=alice)
    assert "Try again in" in refused_invite.value.message_dict["user"][0]

    assert sample("crit_rate_limit_refusals_total", limit="review_requests") == requests_before + 1
    assert sample("crit_rate_limit_refusals_total", limit="invitations") == invitations_before + 1
