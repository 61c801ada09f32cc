"""The design-page benchmark: Crit's pages beside a bare Django view and a bare template.

    make bench        (or: .venv/bin/python bench/run.py [--seconds 30] [--warmup 5])
    .venv/bin/python bench/run.py --metrics-only [--rounds 3]   (the metrics comparison alone)

Seeds a new PostgreSQL database (crit_bench, dropped and created again on every run, with the
bench's Redis database cleared) with a long reviewed design and 1,000 others, serves
Crit with gunicorn (2 sync workers, production settings, Redis cache), drives each target
with wrk at 8 connections after a warm-up, and prints one table. Then the design page again
with metrics off (CRIT_METRICS=false) and on (multi-process mode, as in production), a fresh
server for each run, the two alternating for a few rounds; it prints each one's median.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_ENV, DESIGN_TITLE, PYTHON, ROOT, Server, env, manage, wrk

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
design = Design.objects.get(title="{DESIGN_TITLE}")
session = SessionStore()
session[SESSION_KEY] = str(alice.pk)
session[BACKEND_SESSION_KEY] = "accounts.backends.ThrottledModelBackend"
session[HASH_SESSION_KEY] = alice.get_session_auth_hash()
session.save()
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(alice)
url = f"/designs/{design.pk}/"
client.get(url)
with CaptureQueriesContext(connection) as ctx:
    response = client.get(url)
queries = len(ctx.captured_queries)  # read now: every request resets the query log


def median_ms(runs=20):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return sorted(times)[runs // 2] * 1000


render_ms = median_ms()

# One section save through the API, in-process: its SQL statements and its time.
from api.services import token_create
secret = token_create(user=alice, name="bench-stats").secret
api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
section = design.sections.order_by("position").last()  # not one the save load writes
save_url = f"/api/v1/designs/{design.pk}/sections/{section.key}"
saves = [section.version]


def save():
    text = f"{section.body}\\n\\nSave {len(saves)}."
    body = json.dumps({"body": text, "base_version": saves[-1]})
    response = api.patch(save_url, data=body, content_type="application/json")
    saves.append(response.json()["version"])


save()
with CaptureQueriesContext(connection) as ctx:
    save()
save_queries = len(ctx.captured_queries)
save_times = []
for _ in range(50):
    start = time.perf_counter()
    save()
    save_times.append(time.perf_counter() - start)
save_ms = sorted(save_times)[25] * 1000
# The same page rendered anew every time (the page itself not cached; its section cards and
# thread panels cached), and its queries with nothing cached at all but the session.
from django.core.cache import cache
from designs import page
page.cached_page = lambda page_request, render, **kwargs: render(None, None).encode()
uncached_ms = median_ms()
cache.clear()
client.get("/teams/")
with CaptureQueriesContext(connection) as ctx:
    client.get(url)
cold_queries = len(ctx.captured_queries)
print(json.dumps({
    "design": design.pk, "session": session.session_key, "queries": queries,
    "cold_queries": cold_queries,
    "status": response.status_code, "bytes": len(response.content),
    "render_ms": render_ms,
    "save_queries": save_queries,
    "save_ms": save_ms,
    "uncached_ms": uncached_ms,
    "sections": [s.key for s in design.sections.order_by("position")],
}))
"""


def page_stats() -> dict:
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", STATS_SCRIPT.replace("{DESIGN_TITLE}", DESIGN_TITLE)],
        cwd=ROOT,
        env=env(DEBUG="false"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


SAVE_SCRIPT = r"""
-- One connection per thread; each thread saves its own section, with the version the last
-- save answered as the next save's base version.
local sections = {SECTIONS}
local next_section = 1
function setup(thread)
  local section = sections[next_section]
  next_section = next_section + 1
  thread:set("path", section[1])
  thread:set("prefix", section[2])
  thread:set("version", section[3])
end
function init(args)
  saves = 0
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  saves = saves + 1
  local body = prefix .. "\\n\\nSave " .. saves .. ".\", \"base_version\": " .. version .. "}"
  return wrk.format("PATCH", path, nil, body)
end
function response(status, headers, body)
  -- 200: the section as saved; 409: the section as saved by another request (say one
  -- wrk sent again after a dropped connection). Either way its version is the next base.
  if status == 200 or status == 409 then
    version = string.match(body, '"version":%s*(%d+)') or version
  end
end
"""


def api_save_load(base: str, token: str, design: int, seconds: int) -> dict:
    """wrk, 8 threads of one connection, each saving its own section with fresh base
    versions (read from each save's answer)."""
    headers = {"Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection(*base.removeprefix("http://").split(":"), timeout=10)
    conn.request("GET", f"/api/v1/designs/{design}", headers=headers)
    sections = json.loads(conn.getresponse().read())["sections"][:8]
    rows = [
        (
            _lua_string(f"/api/v1/designs/{design}/sections/{s['key']}"),
            _lua_string('{"body": ' + json.dumps(s["body"])[:-1]),
            _lua_string(str(s["version"])),
        )
        for s in sections
    ]
    lua = "{" + ", ".join("{" + ", ".join(row) + "}" for row in rows) + "}"
    return wrk(
        f"{base}/",
        headers=headers,
        seconds=seconds,
        connections=8,
        threads=8,
        script=SAVE_SCRIPT.replace("{SECTIONS}", lua),
    )


def _lua_string(text: str) -> str:
    """A Lua long string: no escapes inside, so JSON's own escapes pass as they are."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def metrics_cost(stats: dict, *, seconds: int, warmup: int, rounds: int) -> None:
    """The design page with metrics off and on, alternating (off, on, off, on...) so that
    the machine's other load falls on both alike; prints each side's median req/s."""
    path, cookie = f"/designs/{stats['design']}/", f"sessionid={stats['session']}"
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            with tempfile.TemporaryDirectory(prefix="crit-bench-metrics-") as folder:
                extra = {"BENCH_PAGE_BYTES": str(stats["bytes"]), "CRIT_METRICS": "false"}
                if mode == "on":
                    extra.update(CRIT_METRICS="true", PROMETHEUS_MULTIPROC_DIR=folder)
                server = Server(**extra)
                server.start()
                try:
                    server.wait_for(path, cookie=cookie)
                    wrk(server.base + path, headers={"Cookie": cookie}, seconds=warmup)
                    assert server.proc is not None
                    cpu = _workers_cpu_seconds(server.proc.pid)
                    result = wrk(server.base + path, headers={"Cookie": cookie}, seconds=seconds)
                    cpu = _workers_cpu_seconds(server.proc.pid) - cpu
                    result["cpu_ms"] = cpu * 1000 / max(result["requests"], 1)
                    runs[mode].append(result)
                finally:
                    server.stop()
    off = statistics.median(r["rps"] for r in runs["off"])
    on = statistics.median(r["rps"] for r in runs["on"])
    cpu_off = statistics.median(r["cpu_ms"] for r in runs["off"])
    cpu_on = statistics.median(r["cpu_ms"] for r in runs["on"])
    print(f"design page, metrics off vs on (multi-process files), {rounds} alternating rounds "
          f"of {seconds}s after {warmup}s warm-up, a fresh gunicorn each:")  # fmt: skip
    for mode, median in (("off", off), ("on", on)):
        each = " ".join(f"{r['rps']:.1f}" for r in runs[mode])
        p95 = statistics.median(r["p95"] for r in runs[mode])
        cpu = statistics.median(r["cpu_ms"] for r in runs[mode])
        print(f"  metrics {mode:3}  median {median:8.1f} req/s  p95 {p95:7.2f} ms  "
              f"{cpu:6.2f} ms CPU/request  ({each})")  # fmt: skip
    print(f"  cost of metrics: {(off - on) / off:+.1%} of the design page's throughput, "
          f"{(cpu_on - cpu_off) / cpu_off:+.1%} of its workers' CPU per request (the steadier "
          "figure on a busy machine)")  # fmt: skip


def _workers_cpu_seconds(master: int) -> float:
    """User and system CPU seconds spent so far by gunicorn's workers (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="metrics off/on pairs")
    parser.add_argument(
        "--metrics-only", action="store_true", help="only the metrics off/on comparison"
    )
    args = parser.parse_args()

    # Every run starts from an empty database and cache: the saves and exports of earlier
    # runs would otherwise pile up in the design it measures.
    database = BENCH_ENV["DATABASE_URL"].rsplit("/", 1)[-1]  # BENCH_DATABASE_URL's, if set
    for command in ("dropdb", "createdb"):
        subprocess.run([command, "-h", "127.0.0.1", "-U", "postgres", database],
                       capture_output=True)  # fmt: skip
    manage("migrate", "--noinput")
    manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
    manage("collectstatic", "--noinput")
    print(subprocess.run([PYTHON, "-m", "bench.seed"], cwd=ROOT, env=env(), check=True,
                         capture_output=True, text=True).stdout.strip())  # fmt: skip
    stats = page_stats()
    if args.metrics_only:
        metrics_cost(stats, seconds=args.seconds, warmup=args.warmup, rounds=args.rounds)
        return
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
        api_save_load(server.base, token, stats["design"], args.warmup)
        results["API section save"] = api_save_load(
            server.base, token, stats["design"], args.seconds
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
    print(f"API section save: {stats['save_queries']} statements (BEGIN, COMMIT included), "
          f"{stats['save_ms']:.1f} ms (median of 50, in-process)")  # fmt: skip
    print(f"first design page {first_page:.2f} s after starting gunicorn")
    print()
    export = subprocess.run(
        [PYTHON, "bench/export.py", "--runs", "5", "--design", DESIGN_TITLE, "--review"],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    print(export.stdout.strip())
    print()
    metrics_cost(stats, seconds=args.seconds, warmup=args.warmup, rounds=args.rounds)


if __name__ == "__main__":
    main()
