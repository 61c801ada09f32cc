"""How long sign-up and password reset answer, with an email address Crit knows and one it
does not: the two should match, so timing tells nobody who has an account.

    .venv/bin/python bench/signup_timing.py [--rounds 15]

Runs in-process on a fresh SQLite database under a temporary directory, with the real
password hasher, mail to the dummy backend and tasks in-process. Prints the median and the
spread of each kind of request.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    workdir = tempfile.mkdtemp(prefix="crit-signup-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        EMAIL_URL="dummymail://",
        REDIS_URL="",
        LOG_LEVEL="WARNING",
        CRIT_SIGNUPS_PER_ADDRESS="0",
        CRIT_SIGNUPS_PER_EMAIL="0",
        CRIT_RESETS_PER_ADDRESS="0",
        CRIT_RESETS_PER_EMAIL="0",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.services import user_create

    call_command("migrate", verbosity=0)
    user_create(username="jane", email="jane@example.com", password="x-pass-1", email_verified=True)

    def timed(post, *args) -> float:
        start = time.perf_counter()
        response = post(*args)
        elapsed = time.perf_counter() - start
        assert response.status_code == 302, response.status_code
        return elapsed

    def sign_up(n: int, email: str):
        data = {
            "username": f"u{n}",
            "email": email,
            "password1": "Pw-long-981",
            "password2": "Pw-long-981",
        }
        return Client(HTTP_HOST="localhost").post("/accounts/signup/", data)

    def reset(email: str):
        return Client(HTTP_HOST="localhost").post("/accounts/password/reset/", {"email": email})

    results: dict[str, list[float]] = {
        k: [] for k in ("signup taken", "signup new", "reset known", "reset unknown")
    }
    for n in range(rounds):
        results["signup taken"].append(timed(sign_up, 2 * n, "jane@example.com"))
        results["signup new"].append(timed(sign_up, 2 * n + 1, f"new{n}@example.com"))
        results["reset known"].append(timed(reset, "jane@example.com"))
        results["reset unknown"].append(timed(reset, f"nobody{n}@example.com"))
    print(f"{'request':<16}{'median ms':>10}{'min ms':>9}{'max ms':>9}   ({rounds} rounds)")
    for name, times in results.items():
        ms = [t * 1000 for t in times]
        print(f"{name:<16}{statistics.median(ms):>10.1f}{min(ms):>9.1f}{max(ms):>9.1f}")


if __name__ == "__main__":
    main()
