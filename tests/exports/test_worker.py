"""Exports through a real Celery worker and the real Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings

from exports import services
from exports.models import ExportJob
from exports.tasks import export_run_task

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


def _test_database_url() -> str:
    """DATABASE_URL with the name of the database pytest created, for the worker."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


@pytest.fixture
def worker(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CONN_MAX_AGE": "0",
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=INFO",
         f"--hostname=exports-test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def wait_for(predicate, timeout: float = 90.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def queue_drained() -> bool:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        return client.llen("celery") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


def test_a_real_worker_runs_the_export_and_the_job_ends_done_with_a_file(
    worker, seeded_design, alice, tmp_path
):
    job, created = services.export_request(design=seeded_design, format="pdf", requested_by=alice)
    assert created
    job.refresh_from_db()
    assert job.enqueued_at is not None  # handed to Redis, not run in-process

    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_for(finished, what="the worker to finish the export")
    log = (tmp_path / "worker.log").read_text()
    assert job.status == ExportJob.Status.DONE, job.error + log[-2000:]
    assert job.attempts == 1
    assert job.file.name.endswith(".pdf")
    assert (tmp_path / "media" / job.file.name).read_bytes().startswith(b"%PDF")
    assert "Task exports.run[" in log

    # The same task delivered twice more: the worker skips it, the job is not run again.
    export_run_task.apply_async(args=[job.pk])
    export_run_task.apply_async(args=[job.pk])
    wait_for(queue_drained, what="the worker to take the duplicate deliveries")
    wait_for(lambda: (tmp_path / "worker.log").read_text().count("'skipped'") >= 2,
             what="the duplicates to be skipped")  # fmt: skip
    finished_at = job.finished_at
    job.refresh_from_db()
    assert job.attempts == 1
    assert job.finished_at == finished_at
