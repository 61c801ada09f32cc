"""Where a section save's time goes: the save load of ``make bench``, with the CPU each kind
of process spent per save (gunicorn's workers, PostgreSQL, Redis, wrk) and what was left idle.

    .venv/bin/python bench/save_cpu.py [--seconds 20]

Uses the database ``make bench`` seeded (run that first); adds saves to its design. Reads
/proc, so Linux only.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DESIGN_TITLE, Server, manage
from bench.run import api_save_load

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[str, float]:
    """CPU seconds so far of every running process, summed by kind."""
    seconds: dict[str, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        kind = "gunicorn" if "gunicorn" in command else name
        seconds[kind] = seconds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()

    title = repr(DESIGN_TITLE)
    find = f"from designs.models import Design; print(Design.objects.get(title={title}).pk)"
    design = int(manage("shell", "-c", find).split()[-1])
    token = manage("create_api_token", "alice", "--name", f"save-cpu-{time.time():.0f}")
    token = token.strip().splitlines()[-1].strip()
    server = Server()
    server.start()
    try:
        server.wait_for("/bench/ok")
        api_save_load(server.base, token, design, 5)  # warm-up
        before, children = cpu_by_process(), resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = api_save_load(server.base, token, design, args.seconds)
        elapsed = time.perf_counter() - started
        after, wrk_done = cpu_by_process(), resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        server.stop()

    saves = result["requests"]
    spent = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
    # wrk has exited by now: its CPU is in this process's children's usage.
    spent["wrk"] = (wrk_done.ru_utime + wrk_done.ru_stime) - (children.ru_utime + children.ru_stime)
    available = elapsed * (os.cpu_count() or 1)
    print(
        f"API section save: {result['rps']:.1f} req/s, p50 {result['p50']:.2f} ms, "
        f"p95 {result['p95']:.2f} ms, non-2xx {result['non2xx']} ({saves} saves)"
    )
    print(f"{'process':24} {'CPU s':>7} {'ms/save':>8}")
    for kind, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        if seconds >= 0.05:
            print(f"{kind[:24]:24} {seconds:7.2f} {1000 * seconds / saves:8.2f}")
    used = sum(seconds for seconds in spent.values() if seconds > 0)
    print(f"{'idle':24} {available - used:7.2f} {1000 * (available - used) / saves:8.2f}")


if __name__ == "__main__":
    main()
