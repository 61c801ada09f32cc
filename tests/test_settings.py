import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from config.logging import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent


def _check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # A production process never has the test runner's async escape hatch set.
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"DEBUG": "false", "ALLOWED_HOSTS": "crit.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _check({"DEBUG": "false", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "tF8q-Zr2vLx9pK4wNc7sYb1mHd6jGe3uQa5oRi0tWz8yXk2n-Lp4Ve7Bs9Cu1Dw3Ex5F",
            "ALLOWED_HOSTS": "crit.example.com",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_json_log_lines_carry_the_message_and_extra_fields():
    record = logging.makeLogRecord(
        {"name": "crit", "levelname": "INFO", "msg": "export %s done", "args": (7,), "job": 7}
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "export 7 done"
    assert entry["job"] == 7
    assert entry["level"] == "INFO"
