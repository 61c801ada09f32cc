"""Two real ASGI server processes of Crit, for tests of what crosses processes.

``asgi_pair`` starts two ``uvicorn config.asgi:application`` processes, each on a free port
(a socket bound here and handed over with ``--fd``: no port is guessed, none is raced for),
against the test's PostgreSQL database (the one pytest-django created, so the test must use
``transactional_db`` / ``django_db(transaction=True)`` for the servers to see its rows) and
the same Redis, with the test's channel layer prefix, so they fan out to each other and hear
``access.changed`` published by the test. Every ``CRIT_REALTIME_*`` setting the test has set
(through pytest-django's ``settings`` fixture, before it asks for this one) is passed on.

    @pytest.mark.django_db(transaction=True)
    def test_something(asgi_pair, settings):
        first, second = asgi_pair.urls      # "http://127.0.0.1:<port>"
        asgi_pair.ws_urls                   # the same with ws://
        asgi_pair.kill(0)                   # SIGKILL the first (no shutdown, no last save)
        asgi_pair.log(1)                    # what the second printed, for a failure message

Both run with DEBUG on (static files served) and answer ``/healthz`` before the fixture
returns; both are stopped (SIGTERM, so they save their rooms; SIGKILL after 10 s) when the
test ends, before the database is flushed. Browser tests sign in through
``tests/browser.py``'s ``sign_in`` against either URL: the session is in the shared database.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class AsgiPair:
    def __init__(self, env: dict[str, str], count: int = 2) -> None:
        self.processes: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.logs: list[Path] = []
        for index in range(count):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", 0))
            listener.listen(512)
            port = listener.getsockname()[1]
            log = Path(tempfile.mkstemp(prefix=f"asgi-{index}-", suffix=".log")[1])
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "config.asgi:application",
                        "--fd",
                        str(listener.fileno()),
                        "--lifespan",
                        "on",
                        "--log-level",
                        "warning",
                        "--ws-max-size",
                        "1048576",
                    ],
                    cwd=ROOT,
                    env=env,
                    pass_fds=[listener.fileno()],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            listener.close()
            self.processes.append(process)
            self.ports.append(port)
            self.logs.append(log)
        try:
            for index in range(count):
                self._wait_ready(index)
        except BaseException:
            self.stop()
            raise

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}" for port in self.ports]

    def log(self, index: int) -> str:
        return self.logs[index].read_text(errors="replace")

    def kill(self, index: int) -> None:
        """SIGKILL process ``index``: no shutdown, no last save."""
        process = self.processes[index]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for log in self.logs:
            log.unlink(missing_ok=True)

    def _wait_ready(self, index: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[index].poll() is not None:
                raise RuntimeError(f"ASGI server {index} exited:\n{self.log(index)}")
            try:
                with urllib.request.urlopen(f"{self.urls[index]}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"ASGI server {index} did not answer:\n{self.log(index)}")


def test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


def pair_env() -> dict[str, str]:
    """The environment of the servers: the test's database, Redis and realtime settings."""
    env = {**os.environ, "DATABASE_URL": test_database_url(), "DEBUG": "true"}
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["REDIS_URL"] = django_settings.REDIS_URL
    env["CONN_MAX_AGE"] = "0"
    layer = django_settings.CHANNEL_LAYERS["default"]
    if "prefix" in layer.get("CONFIG", {}):
        env["CRIT_CHANNEL_PREFIX"] = layer["CONFIG"]["prefix"]
    for name in dir(django_settings):
        if name.startswith("CRIT_REALTIME_"):
            env[name] = str(getattr(django_settings, name))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture
def asgi_pair(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("two processes share a database only on PostgreSQL")
    pair = AsgiPair(pair_env())
    try:
        yield pair
    finally:
        pair.stop()
