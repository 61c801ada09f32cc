"""How long the diff page's text diff (designs.diff.text_diff) takes on worst-case pairs of
bodies at the section size limit. Prints one line per case: sizes, lines shown, whether
some changed lines were shown whole (no word marks), and CPU seconds (worst of 3) for the
diff and for the diff with its rows rendered to HTML, as the page does.

    .venv/bin/python bench/diff_pathological.py
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from designs.diff import text_diff  # noqa: E402

SIZE = 200_000
WORDS = [
    *("the", "a", "service", "cache", "queue", "shard", "replica", "lease", "write", "read"),
    *("node", "leader", "follower", "log", "commit", "index", "page", "row", "lock", "retry"),
]


def prose(size: int, seed: int, *, words_a_line: int = 0) -> str:
    """``size`` characters of words, on one line or ``words_a_line`` words to a line."""
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        length += len(word) + 1
        end = "\n" if words_a_line and len(out) % words_a_line == words_a_line - 1 else " "
        out.append(word + end)
    return "".join(out)[:size]


def scatter(text: str, changes: int, seed: int = 1) -> str:
    """``text`` with ``changes`` words replaced, spread over it."""
    words = text.split(" ")
    for i in random.Random(seed).sample(range(len(words)), changes):
        words[i] = f"changed{i}"
    return " ".join(words)


def cases() -> dict[str, tuple[str, str]]:
    line = prose(SIZE, 1)
    short = prose(SIZE, 2, words_a_line=3)
    items = "\n\n".join(["- item"] * (SIZE // 8))[:SIZE]
    return {
        "one 21 KB line, 20 changes": (line[:21_000], scatter(line[:21_000], 20)),
        "one 200 KB line, 20 changes": (line, scatter(line, 20)),
        "one 200 KB line, 2,000 changes": (line, scatter(line, 2_000)),
        "short lines, 2,000 changes": (short, scatter(short, 2_000)),
        "short lines, all different": (short, prose(SIZE, 3, words_a_line=3)),
        "one line, all different": (line, prose(SIZE, 4)),
        "short lines vs one line": (short, prose(SIZE, 5)),
        "repeated lines, 5,000 changed": (items, "x\n" + items.replace("- item", "- iten", 5_000)),
        "short lines, other line count": (short, prose(SIZE, 6, words_a_line=5)),
        "100,000 blank lines vs 'x' lines": ("\n" * SIZE, "x\n" * (SIZE // 2)),
    }


def main() -> None:
    print(
        f"{'case':32} {'old KB':>7} {'new KB':>7} {'lines':>7} {'whole':>6}"
        f" {'diff s':>7} {'+rows s':>8}"
    )
    for name, (old, new) in cases().items():
        worst_diff = worst_page = 0.0
        for _ in range(3):
            start = time.process_time()
            lines = text_diff(old, new)
            worst_diff = max(worst_diff, time.process_time() - start)
            lines.as_html()
            worst_page = max(worst_page, time.process_time() - start)
        print(
            f"{name:32} {len(old) / 1000:7.0f} {len(new) / 1000:7.0f} {len(lines):7}"
            f" {'yes' if lines.whole_lines else 'no':>6} {worst_diff:7.2f} {worst_page:8.2f}"
        )


if __name__ == "__main__":
    main()
