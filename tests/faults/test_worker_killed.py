"""A worker killed with SIGKILL in the middle of an export: another worker finishes the job,
which ends done with exactly one file."""

import base64
import json
import os
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from exports import services
from exports.models import ExportJob
from tests.faults.conftest import created_database_url, kill_group, wait_for

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


def stored_files(media: Path, design_id: int) -> list[str]:
    folder = media / "exports" / str(design_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def unacked_deliveries(job_id: int) -> dict[bytes, dict]:
    """Messages of ``exports.run`` for the job that a worker took and never acknowledged."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        found = {}
        for tag, raw in client.hgetall("unacked").items():
            message = json.loads(raw)[0]
            args = json.loads(base64.b64decode(message["body"]))[0]
            if message["headers"].get("task") == "exports.run" and args == [job_id]:
                found[tag] = message
        return found
    finally:
        client.close()


def forget(tags) -> None:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        for tag in tags:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    finally:
        client.close()


def redeliver(tag: bytes, message: dict) -> None:
    """What Redis does for an unacknowledged message once the visibility timeout passes."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        with client.pipeline() as pipe:
            pipe.hdel("unacked", tag).zrem("unacked_index", tag)
            pipe.lpush("celery", json.dumps(message)).execute()
    finally:
        client.close()


@needs_redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_export_leaves_the_job_to_another_worker_that_finishes_it(
    processes, design, alice, settings, request
):
    settings.CRIT_EXPORT_STALE_SECONDS = 1
    media = Path(settings.MEDIA_ROOT)
    job, created = services.export_request(design=design, format="pdf", requested_by=alice)
    assert created
    job.refresh_from_db()
    assert job.enqueued_at is not None

    # Hold the teams table so the first worker stops right after claiming the job: it
    # loads the job with its design's team next. Nothing in the worker is faked.
    blocker = psycopg.connect(created_database_url())
    blocker.execute("LOCK TABLE accounts_team IN ACCESS EXCLUSIVE MODE")
    group = processes()
    first = group.worker("first", pool="prefork")
    try:
        wait_for(
            lambda: ExportJob.objects.filter(pk=job.pk, status="running").exists(),
            what="the first worker to claim the job",
        )
        kill_group(first)  # SIGKILL to the main process and its pool child
    finally:
        blocker.rollback()
        blocker.close()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    assert "succeeded" not in group.log("first")
    assert "exports.run" in group.log("first")
    lost = unacked_deliveries(job.pk)
    request.addfinalizer(lambda: forget(lost))
    assert len(lost) == 1  # acks_late: the killed worker never acknowledged the message

    # The sweep finds the job's heartbeat stopped, puts it back in the queue and enqueues
    # it; a second worker takes it.
    swept = wait_for(lambda: services.export_sweep().requeued_stale, what="the sweep")
    assert swept == 1
    group.worker("second")

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_for(finished, what="the second worker to finish the job")
    assert job.status == ExportJob.Status.DONE, job.error + group.log("second")[-2000:]
    assert job.attempts == 2
    assert stored_files(media, design.pk) == [Path(job.file.name).name]
    assert (media / job.file.name).read_bytes().startswith(b"%PDF")

    # The killed worker's message comes back after the visibility timeout: it is skipped.
    ((tag, message),) = lost.items()
    redeliver(tag, message)
    wait_for(lambda: group.log("second").count("'skipped'") == 1, what="the late redelivery")
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert stored_files(media, design.pk) == [Path(job.file.name).name]
    connection.close()


@pytest.mark.django_db
def test_a_file_stored_by_a_worker_that_died_before_finishing_is_removed_when_the_job_ends(
    design, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    job, _ = services.export_request(design=design, format="markdown", requested_by=alice)
    # The first attempt stores its file, then its worker dies before marking the job done.
    attempt = services._claim(job.pk)
    assert attempt == 1
    job.refresh_from_db()
    orphan = services._render(job, attempt)
    assert default_storage.exists(orphan)
    long_ago = timezone.now() - services.stale_heartbeat() * 2
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)

    result = services.export_sweep()  # tasks run in-process here

    assert result.requeued_stale == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert stored_files(tmp_path / "media", design.pk) == [Path(job.file.name).name]
    assert not default_storage.exists(orphan)


@pytest.mark.django_db
def test_the_stale_heartbeat_threshold_comes_from_settings(settings):
    settings.CRIT_EXPORT_STALE_SECONDS = 7
    assert services.stale_heartbeat() == timedelta(seconds=7)
