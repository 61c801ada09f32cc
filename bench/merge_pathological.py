"""How long the three-way merge of a stale save (designs.merge.merge_text) takes on bodies
at the section size limit. Prints one line per case: sizes, whether it merged, and CPU
seconds (worst of 3).

    .venv/bin/python bench/merge_pathological.py
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from designs.merge import merge_text

SIZE = 200_000


def lines(count: int, seed: int, width: int = 60) -> list[str]:
    rng = random.Random(seed)
    words = ["cache", "queue", "shard", "lease", "write", "read", "node", "log", "retry"]
    out = []
    for _ in range(count):
        text = " ".join(rng.choice(words) for _ in range(width // 6))
        out.append(text[:width] + "\n")
    return out


def edit_every(base: list[str], step: int, offset: int, mark: str) -> str:
    return "".join(f"{mark} {line}" if n % step == offset else line for n, line in enumerate(base))


def cases():
    prose = lines(SIZE // 61, 1)
    yield "200 KB prose, every 4th line each, apart", prose, 4, (0, 2)
    yield "200 KB prose, every 2nd line each, adjacent", prose, 2, (0, 1)
    blank = ["\n"] * (SIZE // 2 - 10)
    yield "100,000 blank lines, every 4th", blank, 4, (0, 2)
    short = [f"{n}\n" for n in range(SIZE // 7)]
    yield "28,000 distinct short lines, every 4th", short, 4, (0, 2)


def main() -> None:
    for name, base_lines, step, (mine_at, theirs_at) in cases():
        base = "".join(base_lines)
        mine = edit_every(base_lines, step, mine_at, "M")
        theirs = edit_every(base_lines, step, theirs_at, "T")
        worst = 0.0
        result = None
        for _ in range(3):
            start = time.process_time()
            result = merge_text(base, mine, theirs)
            worst = max(worst, time.process_time() - start)
        merged = "merged" if result is not None else "conflict"
        print(f"{name:48} base {len(base):>7,} B  {merged:8}  {worst * 1000:7.1f} ms")
    rng = random.Random(2)
    noise = "".join(rng.choice("ab\n") for _ in range(SIZE))
    other = "".join(rng.choice("ab\n") for _ in range(SIZE))
    start = time.process_time()
    result = merge_text(noise, other, noise[::-1])
    took = time.process_time() - start
    merged = "merged" if result is not None else "conflict"
    print(f"{'200 KB random a/b lines, all three unrelated':48} {merged:8}  {took * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
