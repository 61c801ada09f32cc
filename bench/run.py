"""The design-page benchmark: Crit's pages beside a bare Django view and a bare template.

    make bench        (or: .venv/bin/python bench/run.py [--seconds 30] [--warmup 5])

Seeds PostgreSQL (database crit_bench) with a long reviewed design and 1,000 others, serves
Crit with gunicorn (2 sync workers, production settings, Redis cache), drives each target
with wrk at 8 connections after a warm-up, and prints one table.
"""

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_ENV, PYTHON, ROOT, Server, env, manage, percentile, wrk

STATS_SCRIPT = """
import json, time
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from designs.models import Design
alice = User.objects.get(username="alice")
design = Design.objects.get(title="Benchmark: URL shortener at scale")
session = SessionStore()
session[SESSION_KEY] = str(alice.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = alice.get_session_auth_hash()
session.save()
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(alice)
url = f"/designs/{design.pk}/"
client.get(url)
with CaptureQueriesContext(connection) as ctx:
    response = client.get(url)
queries = len(ctx.captured_queries)  # read now: every request resets the query log
renders = []
for _ in range(20):
    start = time.perf_counter()
    client.get(url)
    renders.append(time.perf_counter() - start)
renders.sort()
# The same page rendered anew every time (the page itself not cached; its section cards and
# thread panels cached), and its queries with nothing cached at all but the session.
from django.core.cache import cache
from designs import page
page.cached_page = lambda page_request, render, **kwargs: render(None, None).encode()
uncached = []
for _ in range(20):
    start = time.perf_counter()
    client.get(url)
    uncached.append(time.perf_counter() - start)
uncached.sort()
cache.clear()
client.get("/teams/")
with CaptureQueriesContext(connection) as ctx:
    client.get(url)
cold_queries = len(ctx.captured_queries)
print(json.dumps({
    "design": design.pk, "session": session.session_key, "queries": queries,
    "cold_queries": cold_queries,
    "status": response.status_code, "bytes": len(response.content),
    "render_ms": renders[len(renders) // 2] * 1000,
    "uncached_ms": uncached[len(uncached) // 2] * 1000,
    "sections": [s.key for s in design.sections.order_by("position")],
}))
"""


def page_stats() -> dict:
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", STATS_SCRIPT],
        cwd=ROOT,
        env=env(DEBUG="false"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def api_save_load(base: str, token: str, design: int, keys: list[str], seconds: int) -> dict:
    """8 threads, each saving its own section through the API with fresh base versions."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker(key: str) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        path = f"/api/v1/designs/{design}/sections/{key}"
        conn.request("GET", f"/api/v1/designs/{design}", headers=headers)
        doc = json.loads(conn.getresponse().read())
        version = next(s["version"] for s in doc["sections"] if s["key"] == key)
        body = next(s["body"] for s in doc["sections"] if s["key"] == key)
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            payload = json.dumps({"body": f"{body}\n\nSave {n}.", "base_version": version})
            start = time.perf_counter()
            conn.request("PATCH", path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - start
            with lock:
                if response.status == 200:
                    latencies.append(elapsed)
                    version = json.loads(data)["version"]
                else:
                    failures[0] += 1
                    if response.status == 429:
                        time.sleep(float(response.getheader("Retry-After", "1")))

    threads = [threading.Thread(target=worker, args=(key,)) for key in keys[:8]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "non2xx": failures[0],
        "requests": len(latencies) + failures[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "crit_bench"],
                   capture_output=True)  # fmt: skip
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    print(subprocess.run([PYTHON, "-m", "bench.seed"], cwd=ROOT, env=env(), check=True,
                         capture_output=True, text=True).stdout.strip())  # fmt: skip
    stats = page_stats()
    token = manage("create_api_token", "alice", "--name", f"bench-{time.time():.0f}").strip()
    token = token.splitlines()[-1].strip()

    server = Server(BENCH_PAGE_BYTES=str(stats["bytes"]))
    cookie = f"sessionid={stats['session']}"
    server.start()
    try:
        first_page = server.wait_for(f"/designs/{stats['design']}/", cookie=cookie)
        targets = [
            ("bare view (ok)", "/bench/ok", {}),
            ("bare template", "/bench/template", {}),
            ("design page", f"/designs/{stats['design']}/", {"Cookie": cookie}),
            ("dashboard (1,000 designs)", "/", {"Cookie": cookie}),
            (
                "API design GET",
                f"/api/v1/designs/{stats['design']}",
                {"Authorization": f"Bearer {token}"},
            ),
        ]
        results = {}
        for name, path, headers in targets:
            wrk(server.base + path, headers=headers, seconds=args.warmup)
            results[name] = wrk(server.base + path, headers=headers, seconds=args.seconds)
        results["API section save"] = api_save_load(
            server.base, token, stats["design"], stats["sections"], args.seconds
        )
    finally:
        server.stop()

    baseline = results["bare template"]["rps"]
    print()
    print(f"Crit benchmark: gunicorn 2 sync workers, wrk c=8, {args.seconds}s after "
          f"{args.warmup}s warm-up, {BENCH_ENV['DATABASE_URL']}")  # fmt: skip
    print(f"{'target':28} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'non-2xx':>8} {'vs tmpl':>8}")
    for name, r in results.items():
        print(f"{name:28} {r['rps']:9.1f} {r['p50']:8.2f} {r['p95']:8.2f} {r['non2xx']:8d} "
              f"{r['rps'] / baseline:8.0%}")  # fmt: skip
    print()
    print(f"design page: {stats['bytes']:,} bytes; warm (page cached): {stats['queries']} queries, "
          f"{stats['render_ms']:.1f} ms; rendered anew from cached cards: "
          f"{stats['uncached_ms']:.1f} ms; nothing cached: {stats['cold_queries']} queries "
          "(medians of 20, in-process)")  # fmt: skip
    print(f"first design page {first_page:.2f} s after starting gunicorn")


if __name__ == "__main__":
    main()
