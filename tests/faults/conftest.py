"""Real processes for the fault tests: gunicorn, Celery workers and a Redis of the test's
own, all pointed at the database pytest created. Each runs in its own process group so a
test can kill it the hard way."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def created_database_url() -> str:
    """DATABASE_URL with the name of the database pytest created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def wait_for(predicate: Callable[[], Any], timeout: float = 45.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(timeout=20)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_group(proc)


class Processes:
    """Starts the app's processes with one environment; stops them all at the end."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": created_database_url(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.started: list[subprocess.Popen] = []

    def spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("a")
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def worker(self, name: str, *, pool: str = "solo", **env: str) -> subprocess.Popen:
        return self.spawn(
            name,
            [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}",
             "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO",
             f"--hostname={name}-{os.getpid()}@%h"],
            **env,
        )  # fmt: skip

    def web(self, name: str = "web", **env: str) -> str:
        """gunicorn with one sync worker that keeps its database connection; returns the
        base URL once it answers."""
        port = free_port()
        self.spawn(
            name,
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "30"],
            **{"CONN_MAX_AGE": "600", **env},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                return requests.get(base + "/healthz", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(answers, what=f"gunicorn ({self.log(name)[-1000:]})")
        return base

    def manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            stop(proc)


@pytest.fixture
def processes(tmp_path, settings) -> Iterator[Callable[..., Processes]]:
    settings.MEDIA_ROOT = tmp_path / "media"
    made: list[Processes] = []

    def make(**env: str) -> Processes:
        made.append(Processes(tmp_path, **env))
        return made[-1]

    yield make
    for group in made:
        group.stop_all()


class RedisServer:
    """A redis-server of the test's own on a free port, with no persistence."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path / "redis"
        self.dir.mkdir(exist_ok=True)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=(self.dir / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(ready, timeout=10, what="redis-server to start")

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc, signal.SIGTERM)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def sign_in(base: str, username: str, password: str = "pw-for-tests-1") -> requests.Session:  # noqa: S107
    """A browser-like session signed in through the login form."""
    session = requests.Session()
    session.headers["Accept"] = "text/html"
    page = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = session.post(
        base + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def csrf_post(session: requests.Session, url: str, data: dict[str, Any], **kwargs: Any):
    """POST a form the way the browser does: CSRF token from the cookie, same-origin Referer."""
    return session.post(
        url,
        data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": url, **kwargs.pop("headers", {})},
        timeout=kwargs.pop("timeout", 10),
        **kwargs,
    )
