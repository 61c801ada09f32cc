"""How pages should be served now that Crit has sockets: the design page on gunicorn's sync
workers (pages) beside a separate ASGI service for /ws/, or everything on uvicorn (ASGI).

    .venv/bin/python bench/serving.py [--seconds 15] [--warmup 3] [--rounds 3]

Seeds the benchmark database as ``make bench`` does (bench/run.py), then serves the design
page with 2 gunicorn sync workers and with 2 uvicorn workers (the ASGI application, which
also serves the sockets), production settings, alternating for a few rounds so the machine's
other load falls on both alike; prints each one's median req/s and p95 (wrk, 8 connections).
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_ENV, BIN, PYTHON, ROOT, Server, env, manage, wrk
from bench.run import page_stats


class AsgiServer(Server):
    """uvicorn with 2 workers: pages and sockets from one ASGI service. Django runs each
    request of a sync view in a thread of its own under ASGI, so persistent connections
    would pile up (one per thread, "too many clients"): CONN_MAX_AGE=0, as Django advises."""

    def __init__(self, **extra: str) -> None:
        super().__init__(CONN_MAX_AGE="0", **extra)

    def start(self) -> None:
        import time

        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-access-log",
                "--log-level",
                "warning",
                "--lifespan",
                "on",
            ],
            cwd=ROOT,
            env=env(**self.extra),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    database = BENCH_ENV["DATABASE_URL"].rsplit("/", 1)[-1]
    for command in ("dropdb", "createdb"):
        subprocess.run([command, "-h", "127.0.0.1", "-U", "postgres", database],
                       capture_output=True)  # fmt: skip
    manage("migrate", "--noinput")
    manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
    manage("collectstatic", "--noinput")
    subprocess.run([PYTHON, "-m", "bench.seed"], cwd=ROOT, env=env(), check=True,
                   capture_output=True)  # fmt: skip
    stats = page_stats()
    cookie = f"sessionid={stats['session']}"
    path = f"/designs/{stats['design']}/"
    results: dict[str, list[dict]] = {"gunicorn sync x2": [], "uvicorn ASGI x2": []}
    for _ in range(args.rounds):
        for name, kind in (("gunicorn sync x2", Server), ("uvicorn ASGI x2", AsgiServer)):
            server = kind(BENCH_PAGE_BYTES=str(stats["bytes"]))
            server.start()
            try:
                server.wait_for(path, cookie=cookie)
                wrk(server.base + path, headers={"Cookie": cookie}, seconds=args.warmup)
                results[name].append(
                    wrk(server.base + path, headers={"Cookie": cookie}, seconds=args.seconds)
                )
            finally:
                server.stop()
    print(f"design page, wrk c=8, {args.seconds}s after {args.warmup}s warm-up, "
          f"{args.rounds} alternating rounds (median):")  # fmt: skip
    medians = {}
    for name, runs in results.items():
        medians[name] = statistics.median(r["rps"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        errors = sum(r["non2xx"] for r in runs)
        rounds = ", ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"  {name:18} {medians[name]:8.1f} req/s  p95 {p95:7.2f} ms  errors {errors}"
              f"  (rounds: {rounds})")  # fmt: skip
    sync, asgi = medians["gunicorn sync x2"], medians["uvicorn ASGI x2"]
    print(f"  ASGI vs sync: {(asgi - sync) / sync:+.1%}")


if __name__ == "__main__":
    main()
