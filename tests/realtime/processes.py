"""Crit served by real ASGI processes (uvicorn), for browser tests of live collaboration:
``asgi_processes(2)`` starts two processes on free ports that share the test database and
Redis, like two replicas behind a load balancer. Each process is a ``AsgiProcess`` with
``url``, ``kill()`` (SIGKILL: no shutdown hook runs) and ``stop()``.

Each listening socket is bound here to port 0 and handed to uvicorn (``--fd``), so no port is
ever guessed. The processes use tests/realtime/process_settings.py (a channel and cache
prefix of their own). Tests that use them are transactional: the processes see only
committed rows.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
UVICORN = Path(sys.executable).with_name("uvicorn")


class AsgiProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                str(UVICORN),
                "config.asgi:application",
                "--fd",
                str(self.sock.fileno()),
                "--ws-max-size",
                "1048576",
                "--log-level",
                "warning",
                "--lifespan",
                "on",
            ],
            cwd=ROOT,
            env=env,
            pass_fds=[self.sock.fileno()],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ASGI process ended early:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"ASGI process not ready:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL, as a crashed machine: no lifespan shutdown, no final save."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.sock.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.sock.close()
        self._log.close()


def _database_url() -> str:
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@pytest.fixture
def asgi_processes(transactional_db, tmp_path) -> Iterator[Callable[[int], list[AsgiProcess]]]:
    started: list[AsgiProcess] = []

    def start(count: int = 2) -> list[AsgiProcess]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.realtime.process_settings",
            "DATABASE_URL": _database_url(),
            "CRIT_TEST_PREFIX": f"t{uuid.uuid4().hex[:12]}",
            "DEBUG": "true",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        processes = [
            AsgiProcess(env, tmp_path / f"asgi-{len(started) + i}.log") for i in range(count)
        ]
        started.extend(processes)
        for process in processes:
            process.wait_ready()
        return processes

    yield start
    for process in started:
        process.stop()
