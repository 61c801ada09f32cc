"""Redis stopped: pages still serve, the cache degrades, export requests answer at once with
the job queued; once Redis is back the sweep completes every queued job."""

import logging
from datetime import timedelta

import pytest
import redis
import requests
from django.db.models import F

from api.services import token_create
from config.cache import DegradingRedisCache
from exports.models import ExportJob
from tests.faults.conftest import RedisServer, csrf_post, free_port, sign_in, wait_for


def api_save(base: str, token: str, design_id: int, key: str, body: str, base_version: int):
    return requests.patch(
        f"{base}/api/v1/designs/{design_id}/sections/{key}",
        json={"body": body, "state": "answered", "base_version": base_version},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_stopped_pages_serve_and_exports_wait_until_the_sweep_after_it_returns(
    processes, own_redis, design, alice
):
    group = processes(REDIS_URL=own_redis.url)
    base = group.web()
    group.worker("worker")
    browser = sign_in(base, "alice")
    token = token_create(user=alice, name="faults").secret
    section = design.sections.order_by("position").first()
    assert browser.get(f"{base}/designs/{design.pk}/", timeout=10).status_code == 200
    saved = api_save(base, token, design.pk, section.key, "Before the outage.", section.version)
    assert saved.status_code == 200, saved.text
    version = saved.json()["version"]

    own_redis.stop()

    for path in ["/", f"/designs/{design.pk}/", f"/designs/{design.pk}/exports/"]:
        response = browser.get(base + path, timeout=10)
        assert response.status_code == 200, (path, response.text[:500])
    assert browser.get(base + "/healthz", timeout=10).json()["redis"] == "down"
    assert sign_in(base, "alice").get(base + "/", timeout=10).status_code == 200
    # An API write counts against the rate limit in the cache: it goes through without it.
    saved = api_save(base, token, design.pk, section.key, "During the outage.", version)
    assert saved.status_code == 200, saved.text
    version = saved.json()["version"]
    assert "cache unavailable" in group.log("web")

    for format in ["markdown", "pdf"]:
        response = csrf_post(browser, f"{base}/designs/{design.pk}/exports/", {"format": format})
        assert response.status_code == 200, response.text[:500]
        assert "task queue cannot be reached" in response.text
    jobs = ExportJob.objects.filter(design=design)
    assert sorted(jobs.values_list("format", "status")) == [
        ("markdown", "queued"),
        ("pdf", "queued"),
    ]
    assert not jobs.filter(enqueued_at__isnull=False).exists()

    own_redis.start()
    jobs.update(created_at=F("created_at") - timedelta(minutes=1))  # the outage lasted a while
    assert "2 queued job(s) handed to the workers" in group.manage("export_sweep")

    wait_for(
        lambda: jobs.filter(status=ExportJob.Status.DONE).count() == 2,
        what=f"the exports to finish: {group.log('worker')[-2000:]}",
    )
    assert all(job.file for job in jobs)

    # The cache is used again once Redis answers (after the backend's short back-off).
    client = redis.Redis.from_url(own_redis.url)

    def counted() -> bool:
        nonlocal version
        saved = api_save(base, token, design.pk, section.key, f"After {version}.", version)
        assert saved.status_code == 200, saved.text
        version = saved.json()["version"]
        return bool(client.keys("*api-writes*"))

    wait_for(counted, what="the cache to be used again")
    client.close()


def test_the_cache_answers_misses_and_drops_writes_while_redis_is_unreachable(caplog):
    cache = DegradingRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {}})
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert cache.get("key", "default") == "default"
        cache.set("key", "value")
        assert cache.add("key", "value") is False
        assert cache.get_many(["key"]) == {}
        assert cache.has_key("key") is False
        assert cache.delete("key") is False
        with pytest.raises(ValueError):
            cache.incr("key")
    assert [r.message.split(" (")[0] for r in caplog.records] == ["cache unavailable"]


def test_rate_limit_windows_are_open_while_redis_is_unreachable(caplog):
    cache = DegradingRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {}})
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert cache.window_hit("api-writes:1", 60) is None
        assert cache.window_peek("api-writes:1") is None
    assert [r.message.split(" (")[0] for r in caplog.records] == ["cache unavailable"]


def test_the_cache_tries_redis_again_after_its_back_off(tmp_path):
    server = RedisServer(tmp_path)
    cache = DegradingRedisCache(server.url, {"OPTIONS": {"RETRY_AFTER": 0}})
    assert cache.get("key") is None  # not started yet
    server.start()
    try:
        cache.set("key", "value")
        assert cache.get("key") == "value"
        assert cache.add("counter", 0)
        assert cache.incr("counter") == 1
        assert cache.window_hit("window", 60) == (1, 60.0)
    finally:
        server.stop()
