"""The soak: mixed reads and writes at a fixed rate against gunicorn on PostgreSQL.

    .venv/bin/python bench/soak.py [--seconds 600] [--rate 20] [--threads 32]

Seeds PostgreSQL (database crit_bench) like bench/run.py, serves Crit with gunicorn
(2 sync workers, production settings, Redis cache), creates a design of its own to write
to, then sends requests on a fixed schedule (open loop: a slow answer does not slow the
schedule down):

- reads: the long reviewed design page, the dashboard (1,000 designs), a section
  fragment, the design through the API;
- writes: section saves through the API with the last version seen as base_version,
  saves through the API from a version known to be stale (must be refused with 409),
  section saves through the page form, and comments through the API.

Every answer is recorded. Afterwards the database is read back: every acknowledged write
must be there, and every refused one must have been answered 409/4xx and be absent.
Prints requests by kind with status counts and p50/p95, and exits 1 on any 5xx, any
connection error or timeout, any acknowledged write missing or refused write present.
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_ENV, PYTHON, ROOT, Server, env, manage, percentile, sign_in

# Kind, weight. About a third of the requests write.
MIX = [
    ("design page", 22),
    ("dashboard", 10),
    ("section fragment", 14),
    ("API design", 14),
    ("API save", 16),
    ("API stale save", 4),
    ("form save", 10),
    ("API comment", 10),
]
WRITES = {"API save", "API stale save", "form save", "API comment"}
TIMEOUT = 30

BODY = """{marker}

| shard | region | replicas |
|---|---|---:|
| a | eu-west | 3 |
| b | us-east | {n} |

```python
def route(key: str) -> str:
    return SHARDS[hash(key) % {n}]
```

- [x] failover drill
- [ ] capacity review"""

READ_BACK = """
import json, os
from designs.models import Revision
from reviews.models import Comment
design = int(os.environ["SOAK_DESIGN"])
revisions = [
    {"key": key, "version": version, "body": body, "author": author}
    for key, version, body, author in Revision.objects.filter(section__design_id=design)
    .values_list("section__key", "version", "body", "author__username")
]
comments = list(Comment.objects.filter(design_id=design).values("id", "body"))
print(json.dumps({"revisions": revisions, "comments": comments}))
"""


@dataclass
class Outcome:
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    seconds: float  # from when the request was due until its answer
    write: dict | None = None  # what was sent, for the read-back
    service: float = 0.0  # from sending it until its answer
    at: float = 0.0  # when it was due, in seconds from the start


@dataclass
class Soak:
    base: str
    design: int  # the long design, read
    target: int  # the soak's own design, written
    keys: list[str]
    alice_token: str
    bob_token: str
    bob_cookie: str
    run: str
    versions: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: list[Outcome] = field(default_factory=list)
    started: float = 0.0

    def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, bytes, float]:
        host, port = urllib.parse.urlsplit(self.base).netloc.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, data, time.perf_counter() - start
        except OSError:
            return 0, b"", time.perf_counter() - start
        finally:
            conn.close()

    def api(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def version_of(self, key: str) -> int:
        with self.lock:
            return self.versions[key]

    def saw_version(self, key: str, version: int) -> None:
        with self.lock:
            self.versions[key] = max(self.versions[key], version)

    def one(self, n: int, kind: str, due: float) -> None:
        key = random.choice(self.keys)
        marker = f"soak {self.run} #{n}"
        write: dict | None = None
        if kind == "design page":
            status, _, took = self.request(
                "GET", f"/designs/{self.design}/", headers={"Cookie": self.bob_cookie}
            )
        elif kind == "dashboard":
            status, _, took = self.request("GET", "/", headers={"Cookie": self.bob_cookie})
        elif kind == "section fragment":
            status, _, took = self.request(
                "GET",
                f"/designs/{self.target}/sections/{key}/",
                headers={"Cookie": self.bob_cookie, "HX-Request": "true"},
            )
        elif kind == "API design":
            status, _, took = self.request(
                "GET", f"/api/v1/designs/{self.target}", headers=self.api(self.alice_token)
            )
        elif kind in {"API save", "API stale save"}:
            known = self.version_of(key)
            base = known if kind == "API save" else (known - 1 if known > 0 else known + 1000)
            body = BODY.format(marker=marker, n=n % 7 + 2)
            payload = {"body": body, "state": "answered", "base_version": base}
            status, data, took = self.request(
                "PATCH",
                f"/api/v1/designs/{self.target}/sections/{key}",
                headers=self.api(self.alice_token),
                body=json.dumps(payload).encode(),
            )
            write = {"key": key, "body": body, "base": base}
            if status == 200:
                write["version"] = json.loads(data)["version"]
                self.saw_version(key, write["version"])
            elif status == 409:
                self.saw_version(key, json.loads(data)["current"]["version"])
        elif kind == "form save":
            body = BODY.format(marker=marker, n=n % 7 + 2)
            csrf = self.bob_cookie.split("csrftoken=")[1].split(";")[0]
            form = {
                "body": body,
                "state": "answered",
                "na_reason": "",
                "base_version": self.version_of(key),
                "csrfmiddlewaretoken": csrf,
            }
            status, _, took = self.request(
                "POST",
                f"/designs/{self.target}/sections/{key}/edit/",
                headers={
                    "Cookie": self.bob_cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"{self.base}/designs/{self.target}/",
                },
                body=urllib.parse.urlencode(form).encode(),
            )
            write = {"key": key, "body": body, "base": form["base_version"]}
            if status == 302:  # the page redirects after a save
                write["version"] = None
        else:  # API comment
            body = f"{marker}: what happens to p99 latency when shard b fails over?"
            status, data, took = self.request(
                "POST",
                f"/api/v1/designs/{self.target}/sections/{key}/comments",
                headers=self.api(self.bob_token),
                body=json.dumps({"body": body}).encode(),
            )
            write = {"key": key, "body": body}
            if status == 201:
                write["id"] = json.loads(data)["id"]
        # Measured from when the request was due, not from when a thread got to send it,
        # so time spent queueing on our side counts too.
        outcome = Outcome(
            kind=kind, status=status, seconds=time.perf_counter() - due, write=write,
            service=took, at=due - self.started,
        )  # fmt: skip
        with self.lock:
            self.outcomes.append(outcome)

    def drive(self, seconds: int, rate: float, threads: int) -> float:
        """Send requests on a fixed schedule; returns the achieved duration."""
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        start = self.started = time.perf_counter()
        total = int(seconds * rate)
        with ThreadPoolExecutor(threads) as pool:
            for n in range(total):
                due = start + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self.one, n, random.choices(kinds, weights)[0], due)
        return time.perf_counter() - start


def prepare() -> dict:
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "crit_bench"],
                   capture_output=True)  # fmt: skip
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    seeded = subprocess.run([PYTHON, "-m", "bench.seed"], cwd=ROOT, env=env(), check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    design = int(seeded.split("design=")[1].split()[0])
    stamp = f"{time.time():.0f}"
    tokens = {
        user: manage("create_api_token", user, "--name", f"soak-{stamp}").strip().splitlines()[-1]
        for user in ("alice", "bob")
    }
    return {"design": design, "tokens": tokens, "run": stamp}


def create_target(server: Server, token: str, run: str) -> tuple[int, dict[str, int]]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    host, port = urllib.parse.urlsplit(server.base).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    conn.request("GET", "/api/v1/teams", headers=headers)
    teams = json.loads(conn.getresponse().read())["items"]
    team = next(t["id"] for t in teams if t["name"] == "Bench")
    payload = json.dumps({"team_id": team, "title": f"Soak {run}"}).encode()
    conn.request("POST", "/api/v1/designs", body=payload, headers=headers)
    response = conn.getresponse()
    created = json.loads(response.read())
    if response.status != 201:
        raise SystemExit(f"could not create the soak design: {response.status} {created}")
    conn.close()
    return created["id"], {s["key"]: s["version"] for s in created["sections"]}


def read_back(target: int) -> dict:
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", READ_BACK],
        cwd=ROOT,
        env=env(SOAK_DESIGN=str(target)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def check_writes(outcomes: list[Outcome], stored: dict) -> dict[str, int]:
    """Every acknowledged write is stored; every refused one is absent."""
    revisions = {(r["key"], r["body"]): r for r in stored["revisions"]}
    comments = {c["id"]: c["body"] for c in stored["comments"]}
    comment_bodies = set(comments.values())
    figures: Counter[str] = Counter()
    for o in outcomes:
        if o.kind not in WRITES or o.write is None:
            continue
        w = o.write
        acknowledged = o.status in {200, 201, 302}
        if o.kind == "API comment":
            present = w["body"] in comment_bodies
            if acknowledged:
                present = comments.get(w.get("id")) == w["body"]
        else:
            found = revisions.get((w["key"], w["body"]))
            present = found is not None
            if acknowledged and o.kind != "form save":
                present = present and found["version"] == w["version"]
            if acknowledged and o.kind == "form save":
                present = present and found["author"] == "bob"
        if acknowledged:
            figures["acknowledged"] += 1
            figures["acknowledged and found"] += present
        elif 400 <= o.status < 500:
            figures["refused"] += 1
            figures[f"refused {o.status}"] += 1
            figures["refused but found"] += present
        else:
            figures["no clear answer"] += 1
    return dict(figures)


def report(soak: Soak, seconds: int, rate: float, took: float, figures: dict) -> bool:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in soak.outcomes:
        by_kind[o.kind].append(o)
    print()
    print(f"Soak: {seconds} s at {rate:g} req/s (sent over {took:.1f} s) against gunicorn, "
          f"2 sync workers, production settings, {BENCH_ENV['DATABASE_URL']}")  # fmt: skip
    header = f"{'kind':18} {'sent':>6} {'2xx/3xx':>8} {'409':>5} {'4xx':>5} {'5xx':>5} "
    print(header + f"{'no answer':>9} {'p50 ms':>8} {'p95 ms':>8} {'server p50':>10}")
    rows = [(kind, by_kind[kind]) for kind, _ in MIX] + [("all", soak.outcomes)]
    for kind, outcomes in rows:
        counts = Counter(o.status for o in outcomes)
        ok = sum(v for k, v in counts.items() if 200 <= k < 400)
        other4xx = sum(v for k, v in counts.items() if 400 <= k < 500 and k != 409)
        five = sum(v for k, v in counts.items() if k >= 500)
        times = [o.seconds for o in outcomes if o.status]
        service = [o.service for o in outcomes if o.status]
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        server_p50 = percentile(service, 50) * 1000
        print(f"{kind:18} {len(outcomes):6d} {ok:8d} {counts[409]:5d} {other4xx:5d} {five:5d} "
              f"{counts[0]:9d} {p50:8.1f} {p95:8.1f} {server_p50:10.1f}")  # fmt: skip
    print("p50/p95: from when a request was due to its answer (queueing included); "
          "server p50: from sending it")  # fmt: skip
    minutes: dict[int, list[float]] = defaultdict(list)
    for o in soak.outcomes:
        if o.status:
            minutes[int(o.at // 60)].append(o.service)
    print("server p50/p95 ms by minute: " + ", ".join(
        f"{m + 1}: {percentile(t, 50) * 1000:.0f}/{percentile(t, 95) * 1000:.0f}"
        for m, t in sorted(minutes.items())
    ))  # fmt: skip
    statuses = Counter(o.status for o in soak.outcomes)
    print("status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(
        f"writes acknowledged {figures.get('acknowledged', 0)}, found in the database "
        f"{figures.get('acknowledged and found', 0)}; refused {figures.get('refused', 0)} ("
        + ", ".join(f"{k.split()[1]}: {v}" for k, v in sorted(figures.items())
                    if k.startswith("refused ") and k.split()[1].isdigit())
        + f"), found in the database {figures.get('refused but found', 0)}; "
        f"no clear answer {figures.get('no clear answer', 0)}"
    )  # fmt: skip
    stale = by_kind["API stale save"]
    healthy = (
        not any(o.status >= 500 or o.status == 0 for o in soak.outcomes)
        and figures.get("acknowledged", 0) == figures.get("acknowledged and found", 0)
        and not figures.get("refused but found", 0)
        and not figures.get("no clear answer", 0)
        and all(o.status == 409 for o in stale)
    )
    print("PASS" if healthy else "FAIL")
    return healthy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--seed", type=int, default=None, help="random seed for the mix")
    args = parser.parse_args()
    random.seed(args.seed)

    prepared = prepare()
    log = Path(tempfile.gettempdir()) / f"crit-soak-{prepared['run']}.log"
    # The soak checks that writes are kept, not the per-user limits (tests cover those): one
    # user writing at this rate would otherwise be refused most of the time.
    server = Server(
        log=log,
        CRIT_API_WRITES_PER_MINUTE=os.environ.get("SOAK_API_WRITES", "100000"),
        CRIT_COMMENTS_PER_MINUTE=os.environ.get("SOAK_COMMENTS", "100000"),
    )
    server.start()
    try:
        server.wait_for("/healthz")
        target, versions = create_target(server, prepared["tokens"]["alice"], prepared["run"])
        soak = Soak(
            base=server.base,
            design=prepared["design"],
            target=target,
            keys=sorted(versions),
            alice_token=prepared["tokens"]["alice"],
            bob_token=prepared["tokens"]["bob"],
            bob_cookie=sign_in(server.base, "bob", "bench"),
            run=prepared["run"],
            versions=versions,
        )
        took = soak.drive(args.seconds, args.rate, args.threads)
    finally:
        server.stop()
    figures = check_writes(soak.outcomes, read_back(target))
    healthy = report(soak, args.seconds, args.rate, took, figures)
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
