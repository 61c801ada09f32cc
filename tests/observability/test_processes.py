"""Metrics and request ids across real processes: gunicorn workers and a Celery worker
writing to one PROMETHEUS_MULTIPROC_DIR, the web adding them up."""

import json
import os
import re
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from exports.models import ExportJob
from tests.faults.conftest import Processes, csrf_post, free_port, sign_in, wait_for
from tests.observability.conftest import TOKEN

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]

REQUEST_ID = "follow-me.7f3a_e2e"


def gunicorn(group: Processes, *, workers: int, max_requests: int = 0) -> str:
    """gunicorn with Crit's hooks (config.gunicorn); returns the base URL once it answers."""
    port = free_port()
    group.spawn(
        "web",
        [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "config.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "30",
         "--max-requests", str(max_requests)],
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(answers, what=f"gunicorn ({group.log('web')[-1000:]})")
    return base


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(
        base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text[:500]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_dir(tmp_path) -> Path:
    folder = tmp_path / "metrics"
    folder.mkdir()
    return folder


def test_request_counts_add_up_across_gunicorn_workers_that_come_and_go(
    processes, metrics_dir, alice, design
):
    group = processes(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), CRIT_METRICS_TOKEN=TOKEN)
    # Two workers, each replaced after 5 requests: the views below are served by several
    # processes, some of them gone by the time /metrics is read.
    base = gunicorn(group, workers=2, max_requests=5)
    session = sign_in(base, "alice")
    views = 24
    for _ in range(views):
        assert session.get(base + design.get_absolute_url(), timeout=10).status_code == 200

    samples = scrape(base)

    labels = {"view": "designs:detail", "method": "GET", "status": "200"}
    assert value(samples, "crit_http_requests_total", **labels) == views
    assert value(samples, "crit_http_request_duration_seconds_count", **labels) == views
    assert value(samples, "crit_http_request_db_queries_count", view="designs:detail") == views
    hits = value(samples, "crit_cache_lookups_total", cache="page", result="hit")
    misses = value(samples, "crit_cache_lookups_total", cache="page", result="miss")
    assert hits + misses == views
    writers = {re.sub(r"^\w+?_", "", path.stem) for path in metrics_dir.glob("*.db")}
    assert len(writers) >= 4, writers  # 24+ requests, 5 per process


def test_an_export_on_a_real_worker_is_counted_and_logged_under_the_requests_id(
    processes, metrics_dir, alice, design
):
    group = processes(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        CRIT_METRICS_TOKEN=TOKEN,
        LOG_FORMAT="json",
        CONN_MAX_AGE="0",
    )
    base = gunicorn(group, workers=1)
    group.worker("worker")
    session = sign_in(base, "alice")

    response = csrf_post(
        session,
        base + f"/designs/{design.pk}/exports/",
        {"format": "markdown"},
        headers={"X-Request-ID": REQUEST_ID},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["X-Request-ID"] == REQUEST_ID

    job = ExportJob.objects.get()

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_for(finished, timeout=90, what=f"the export: {group.log('worker')[-2000:]}")
    assert job.status == ExportJob.Status.DONE, job.error

    # The worker's log lines for the task carry the id of the request that asked for it.
    def task_lines() -> list[dict]:
        entries = [
            json.loads(line) for line in group.log("worker").splitlines() if line.startswith("{")
        ]
        return [e for e in entries if e.get("request_id") == REQUEST_ID]

    lines = wait_for(task_lines, timeout=20, what="the task's log lines")
    assert any(
        e["logger"] == "celery.app.trace"
        and re.match(r"Task exports\.run\[.+\] succeeded", e["message"])
        for e in lines
    ), lines

    # The web's /metrics adds the worker's counts to its own.
    samples = wait_for(
        lambda: (
            s
            if value(s := scrape(base), "crit_celery_task_runs_total", task="exports.run",
                     outcome="success") == 1
            else None
        ),
        timeout=20,
        what="the task run to show in /metrics",
    )  # fmt: skip
    assert value(samples, "crit_export_queue_wait_seconds_count", format="markdown") == 1
    assert value(samples, "crit_export_duration_seconds_count", format="markdown",
                 outcome="done") == 1  # fmt: skip
    assert value(samples, "crit_export_jobs", status="queued") == 0
    assert (
        value(
            samples, "crit_http_requests_total", view="exports:design", method="POST", status="302"
        )
        == 1
    )
