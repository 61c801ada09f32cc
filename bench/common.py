"""Helpers shared by the benchmark scripts: environment, gunicorn, sign-in, wrk."""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

DESIGN_TITLE = "Benchmark: URL shortener at scale"

BENCH_ENV = {
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crit_bench"
    ),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    "DEBUG": "false",
    "SECRET_KEY": "bench-Kq7wVx2pLm9sTz4rNc8yHb3jGd6fEa1uQo5iWk0tRy7eXu2nPm4",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "ROOT_URLCONF": "bench.urls",
    "LOG_LEVEL": "WARNING",
    # The save benchmark writes far faster than one person may; the limit is still counted.
    "CRIT_API_WRITES_PER_MINUTE": "1000000",
}


def env(**extra: str) -> dict[str, str]:
    merged = dict(os.environ)
    merged.update(BENCH_ENV)
    merged.update(extra)
    return merged


def manage(*args: str, **extra: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env(**extra), capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers and production settings."""

    def __init__(self, workers: int = 2, log: Path | None = None, **extra: str):
        self.log = log  # where gunicorn's output goes; the terminal if None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra = extra
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env(**self.extra),
            stdout=self.log.open("a") if self.log else None,
            stderr=subprocess.STDOUT if self.log else None,
        )

    def wait_for(self, path: str, cookie: str = "", timeout: float = 30) -> float:
        """Seconds from start until ``path`` first answers 200."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                request = urllib.request.Request(self.base + path, headers={"Cookie": cookie})
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started_at
            except OSError:
                time.sleep(0.02)
        raise SystemExit(f"{path} did not answer within {timeout}s")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def sign_in(base: str, username: str, password: str) -> str:
    """Sign in through the login form; returns a Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/accounts/login/") as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        base + "/accounts/login/",
        data=data,
        headers={"Referer": base + "/accounts/login/", "Cookie": f"csrftoken={csrf}"},
    )
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit("sign-in failed")
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d %d\\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""


def wrk(
    url: str,
    *,
    headers: dict[str, str],
    seconds: int,
    connections: int = 8,
    threads: int = 2,
    script: str = "",
) -> dict:
    """Drive ``url`` with wrk (and ``script``'s Lua: request, response...); returns req/s,
    p50/p95 (ms) and the non-2xx/3xx count."""
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + WRK_SCRIPT)
    args = [wrk_bin, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    args += ["-s", lua.name]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)", output)
    if match is None:
        raise SystemExit("wrk printed no result:\n" + output)
    requests, duration, p50, p95, non2xx, socket_errors = match.groups()
    return {
        "rps": int(requests) / float(duration),
        "p50": float(p50),
        "p95": float(p95),
        "non2xx": int(non2xx) + int(socket_errors),
        "requests": int(requests),
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
