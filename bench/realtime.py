"""The live-collaboration benchmark: fan-out, idle sockets, memory per document, saves.

    .venv/bin/python bench/realtime.py [--viewers 200] [--idle 2000] [--documents 100]

Creates a fresh PostgreSQL database (crit_bench_rt, dropped and created again; Redis
database 10), a team, one design with enough sections, and signed-in sessions; starts
uvicorn processes of Crit (tests/asgi_pair.py's AsgiPair, production-like: DEBUG off is not
needed for sockets, so DEBUG stays on for the origin check on 127.0.0.1) and drives them with
the ``websockets`` client from this process. Prints:

- fan-out: one writer on process 1, viewers spread over processes 1 and 2; p50/p95 from
  the writer's send to each viewer's receipt, 10 updates a second;
- idle sockets: open sockets on one process up to --idle (50 a section, as the clients per
  document limit allows), the server's RSS per connection, and /healthz and a new socket's
  handshake latency with all of them open;
- memory per open document: --documents sections of ~10,000 characters opened by one
  client each, the server's RSS growth per document;
- saves per second: 20 typists on 20 sections, each typing 10 characters a second, with the
  default debounce (what is saved) and with a 50 ms debounce (how fast saves can go).
"""

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_RT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crit_bench_rt"
)
REDIS_URL = os.environ.get("BENCH_RT_REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ.update(
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    DJANGO_SETTINGS_MODULE="config.settings",
    LOG_LEVEL="WARNING",
    CRIT_CHANNEL_PREFIX=f"bench-rt-{os.getpid()}",
)

import websockets  # noqa: E402


def setup_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
    )


def seed(section_count: int) -> tuple[int, list[str], list[str]]:
    """A design with ``section_count`` sections of ~10,000 characters; the socket paths,
    and the session cookies of 20 team members."""
    import django

    django.setup()
    from django.test import Client

    from designs.models import Section, Template, TemplateSection
    from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design

    template = Template.objects.create(name="Bench", slug="bench-rt")
    TemplateSection.objects.bulk_create(
        TemplateSection(template=template, position=i, key=f"s{i}", title=f"Section {i}")
        for i in range(1, section_count + 1)
    )
    owner = UserFactory(username="owner")
    team = TeamFactory(name="Bench", created_by=owner)
    users = [MembershipFactory(team=team, user=UserFactory()).user for _ in range(20)]
    design = make_design(team=team, author=owner, template=template, title="Bench")
    paragraph = "The quick brown fox jumps over the lazy dog, again and again. " * 10 + "\n\n"
    Section.objects.filter(design=design).update(body=paragraph * 16, state="draft")
    sessions = []
    for user in users:
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    paths = [f"/ws/designs/{design.pk}/sections/s{i}" for i in range(1, section_count + 1)]
    return design.pk, paths, sessions


def server_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "true", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    env.update(
        CRIT_REALTIME_CLIENTS_PER_DOCUMENT="1000",
        CRIT_REALTIME_MESSAGES_PER_SECOND="1000",
        CONN_MAX_AGE="0",
    )
    env.update(extra)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def connect(base: str, path: str, session: str):
    return await websockets.connect(
        base + path,
        origin="http://127.0.0.1",
        additional_headers={"Cookie": f"sessionid={session}"},
        max_size=2**21,
        open_timeout=60,
        ping_interval=None,
    )


def update_message(text, doc, chars: str) -> bytes:
    from realtime.ydoc import SYNC_UPDATE, sync_message

    before = doc.get_state()
    text.insert(len(str(text).encode()), chars)
    return sync_message(SYNC_UPDATE, doc.get_update(before))


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms  (n={len(values)})"


async def fan_out(pair, paths, sessions, viewers: int, updates: int = 50) -> None:
    """Viewers live in VIEWER_PROCESSES processes of their own (one Python process cannot
    read 200 sockets at 10 messages a second without adding its own delay); each prints
    when it got which update, by the update's digest."""
    import hashlib
    import json

    from pycrdt import Doc, Text

    path = paths[0]
    seconds = updates / 10 + 8
    children = []
    per_child = viewers // VIEWER_PROCESSES
    for index in range(VIEWER_PROCESSES):
        spec = json.dumps(
            {
                "bases": pair.ws_urls,
                "path": path,
                "sessions": sessions,
                "count": per_child,
                "offset": index,
                "seconds": seconds,
            }
        )
        children.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--viewer-child",
                spec,
                stdout=asyncio.subprocess.PIPE,
                env=os.environ,
            )
        )
    writer = await connect(pair.ws_urls[0], path, sessions[0])
    await asyncio.sleep(5)  # the viewers connect meanwhile
    doc = Doc()
    text = doc.get("body", type=Text)
    sent: dict[str, float] = {}
    for n in range(updates):
        message = update_message(text, doc, f" w{n}")
        sent[hashlib.sha1(message).hexdigest()] = time.time()  # noqa: S324 (a digest, not security)
        await writer.send(message)
        await asyncio.sleep(0.1)
    latencies: list[float] = []
    connected = 0
    for child in children:
        out, _ = await child.communicate()
        result = json.loads(out.decode().strip().splitlines()[-1])
        connected += result["connected"]
        for digest, at in result["received"]:
            if digest in sent:
                latencies.append((at - sent[digest]) * 1000)
    await writer.close()
    print(
        f"fan-out, 1 writer -> {viewers} viewers on 2 processes ({connected} connected, read by "
        f"{VIEWER_PROCESSES} client processes), {updates} updates at 10/s:"
    )
    print(f"  {percentiles(latencies)}; delivered {len(latencies) / (viewers * updates):.1%}")


VIEWER_PROCESSES = 4


async def viewer_child(spec: dict) -> None:
    import hashlib
    import json

    received: list[tuple[str, float]] = []

    async def view(ws) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in ws:
                now = time.time()
                if isinstance(message, bytes) and message[:2] == b"\x00\x02":
                    received.append((hashlib.sha1(message).hexdigest(), now))  # noqa: S324

    sockets = []
    for i in range(spec["count"]):
        base = spec["bases"][(spec["offset"] + i) % 2]
        session = spec["sessions"][i % len(spec["sessions"])]
        sockets.append(await connect(base, spec["path"], session))
    tasks = [asyncio.create_task(view(ws)) for ws in sockets]
    await asyncio.sleep(spec["seconds"])
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    print(json.dumps({"connected": len(sockets), "received": received}))


async def idle_sockets(pair, paths, sessions, count: int) -> None:
    pid = pair.processes[0].pid
    base = pair.ws_urls[0]
    await asyncio.sleep(1)
    start_rss = rss_kib(pid)
    sockets = []
    per_section = 50
    opened_at = time.perf_counter()
    for i in range(count):
        path = paths[(i // per_section) % len(paths)]
        sockets.append(await connect(base, path, sessions[i % len(sessions)]))
    open_seconds = time.perf_counter() - opened_at
    await asyncio.sleep(3)
    rooms = min(len(paths), (count + per_section - 1) // per_section)
    rss = rss_kib(pid)
    cpu_before = cpu_seconds(pid)
    health, handshakes = [], []
    for _ in range(20):
        started = time.perf_counter()
        await asyncio.to_thread(_get, pair.urls[0] + "/healthz")
        health.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        ws = await connect(base, paths[0], sessions[0])
        handshakes.append((time.perf_counter() - started) * 1000)
        await ws.close()
        await asyncio.sleep(0.25)
    cpu_idle = (cpu_seconds(pid) - cpu_before) / 5 * 100
    print(
        f"idle sockets: {count} on one process ({rooms} sections), opened in {open_seconds:.1f} s"
    )
    per_connection = (rss - start_rss) / count
    print(
        f"  RSS {start_rss / 1024:.0f} MiB -> {rss / 1024:.0f} MiB: {per_connection:.1f} KiB a "
        f"connection (rooms of {rooms} sections included); server CPU while idle {cpu_idle:.0f}%"
    )
    print(f"  /healthz with them open: {percentiles(health)}")
    print(f"  a new socket's handshake:  {percentiles(handshakes)}")
    for ws in sockets:
        await ws.close()


def _get(url: str) -> None:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()


async def memory_per_document(pair, paths, sessions, documents: int) -> None:
    pid = pair.processes[1].pid
    base = pair.ws_urls[1]
    await asyncio.sleep(1)
    # One socket on each of ``documents`` sections, then as many more sockets on one of
    # them: the difference is what the open documents cost. Both only grow the process.
    before = rss_kib(pid)
    spread = [await connect(base, path, sessions[0]) for path in paths[:documents]]
    await asyncio.sleep(3)
    with_documents = rss_kib(pid)
    same = [await connect(base, paths[0], sessions[0]) for _ in range(documents)]
    await asyncio.sleep(3)
    with_connections = rss_kib(pid)
    per_connection = (with_connections - with_documents) / documents
    per_document = (with_documents - before) / documents - per_connection
    print(f"memory per open document (~10,000 characters, loaded from PostgreSQL), {documents}:")
    print(
        f"  {per_document:.0f} KiB a document beyond its connection "
        f"({per_connection:.0f} KiB a connection)"
    )
    for ws in spread + same:
        await ws.close()


async def typists(pair, paths, sessions, seconds: int, label: str) -> None:
    import django

    django.setup()
    from asgiref.sync import sync_to_async
    from pycrdt import Doc, Text

    from designs.models import Revision

    count = sync_to_async(lambda: Revision.objects.count(), thread_sensitive=False)
    revisions_before = await count()
    cpus_before = [cpu_seconds(p.pid) for p in pair.processes]

    async def typist(i: int) -> None:
        ws = await connect(pair.ws_urls[i % 2], paths[20 + i], sessions[i])
        doc = Doc()
        text = doc.get("body", type=Text)
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            await ws.send(update_message(text, doc, "abcdefghij"[n % 10]))
            n += 1
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        await ws.close()

    started = time.perf_counter()
    await asyncio.gather(*(typist(i) for i in range(20)))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2)
    saves = await count() - revisions_before
    cpu = sum(cpu_seconds(p.pid) for p in pair.processes) - sum(cpus_before)
    print(f"saves, 20 typists x 10 characters/s for {seconds} s, two processes ({label}):")
    print(
        f"  {saves} revisions, {saves / elapsed:.1f} saves/s; servers' CPU "
        f"{cpu / elapsed * 100:.0f}% of one core"
    )


async def main_async(args, paths: list[str], sessions: list[str]) -> None:
    from tests.asgi_pair import AsgiPair

    only = args.only
    pair = AsgiPair(server_env())
    try:
        if only in (None, "memory"):  # first, on processes nothing else has grown
            await memory_per_document(pair, paths, sessions, args.documents)
        if only in (None, "fanout"):
            await fan_out(pair, paths, sessions, args.viewers)
        if only in (None, "idle"):
            await idle_sockets(pair, paths, sessions, args.idle)
        if only in (None, "saves"):
            await typists(pair, paths, sessions, args.seconds, "default: 2 s idle, 10 s max")
    finally:
        pair.stop()
    if only not in (None, "saves"):
        return
    pair = AsgiPair(
        server_env(CRIT_REALTIME_SAVE_IDLE_SECONDS="0.05", CRIT_REALTIME_SAVE_MAX_SECONDS="0.1")
    )
    try:
        await typists(pair, paths, sessions, args.seconds, "50 ms debounce: as fast as saves go")
    finally:
        pair.stop()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--viewer-child":
        import json

        asyncio.run(viewer_child(json.loads(sys.argv[2])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--only", choices=["fanout", "idle", "memory", "saves"], help="one part alone"
    )
    args = parser.parse_args()
    setup_database()
    _design, paths, sessions = seed(max(args.documents, 40 + 20))
    asyncio.run(main_async(args, paths, sessions))


if __name__ == "__main__":
    main()
