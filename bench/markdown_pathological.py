"""How long designs.markdown takes on pathological input, each case at the section size
limit or below. Prints one line per case: input size, output size, and the best of 3 runs
in wall-clock seconds and in CPU seconds of this process (the figure to trust on a busy
machine).

    .venv/bin/python bench/markdown_pathological.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from designs.markdown import render_markdown  # noqa: E402

CASES = {
    "10,000 nested lists": "".join("  " * i + "- x\n" for i in range(200)) * 50,
    "10,000 nested list markers": "- " * 10_000 + "x\n",
    "10,000 nested quotes": ">" * 10_000 + " x\n",
    "50,000 backticks": "`" * 50_000,
    "25,000 backtick pairs": "`a` " * 25_000,
    "unclosed fences": "```\n" * 40_000,
    "huge table (2,000 rows x 10)": "|"
    + "h|" * 10
    + "\n|"
    + "-|" * 10
    + "\n"
    + ("|" + "cell|" * 10 + "\n") * 2_000,
    "wide table (1 row x 5,000)": "|"
    + "h|" * 5_000
    + "\n|"
    + "-|" * 5_000
    + "\n"
    + "|"
    + "c|" * 5_000
    + "\n",
    "tall table (40,000 rows x 1)": "|h|\n|-|\n" + "|c|\n" * 40_000,
    "padded table (100 cols, bare lines)": "|"
    + "h|" * 100
    + "\n|"
    + "-|" * 100
    + "\n"
    + "x\n" * 99_000,
    "400 tables of 500 cells": ("|" + "h|" * 10 + "\n|" + "-|" * 10 + "\n" + "x\n" * 49 + "\n")
    * 400,
    "2,400 small tables (6 cells)": "|a|b|\n|-|-|\n|1|2|\n|3|4|\n\n" * 2_400,
    "100,000 short lines": "x\n" * 100_000,
    "50,000 emphasis openers": "*a " * 50_000,
    "nested brackets": "[" * 50_000 + "x" + "]" * 50_000,
    "20,000 link references": "".join(f"[r{i}]: https://example.com/{i}\n" for i in range(5_000))
    + "[r1] " * 15_000,
    "100,000 entities": "&amp;" * 40_000,
    "200 KB of autolinks": "https://example.com/a " * 9_000,
}


def main() -> None:
    limit = 200_000
    print(f"{'case':36} {'in KB':>7} {'out KB':>8} {'seconds':>8} {'CPU s':>8}")
    for name, text in CASES.items():
        text = text[:limit]
        best = best_cpu = float("inf")
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            out = render_markdown(text)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
        print(
            f"{name:36} {len(text) / 1000:7.1f} {len(out) / 1000:8.1f} {best:8.3f} {best_cpu:8.3f}"
        )


if __name__ == "__main__":
    main()
