"""How long finding passages again takes on a save (reviews.anchoring), the CPU a section
save spends in ``reviews.services.anchors_follow`` besides its two queries. Prints one line
per case: text size, passages, how many were found / carried / removed, CPU seconds (worst
of 3).

    .venv/bin/python bench/passages.py
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviews.anchoring import Edits, Span, locate, quote_of

WORDS = ["cache", "queue", "shard", "lease", "write", "read", "node", "log", "retry", "tenant"]


def text(size: int, seed: int) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS) + (". " if rng.random() < 0.1 else " ")
        out.append(word)
        length += len(word)
    return "".join(out)[:size]


def follow_all(old: str, new: str, spans: list[Span]) -> tuple[int, int, int]:
    """The work of anchors_follow for these passages: (found word for word, carried
    through the diff, removed)."""
    found = carried = removed = 0
    edits: Edits | None = None
    for span in spans:
        quote = quote_of(old, span)
        if quote.exact in new:
            locate(
                new, exact=quote.exact, prefix=quote.prefix, suffix=quote.suffix, hint=span.start
            )
            found += 1
            continue
        edits = edits or Edits(old, new)
        if edits.follow(span) is None:
            removed += 1
        else:
            carried += 1
    return found, carried, removed


def cases():
    for size, count in ((10_000, 50), (100_000, 300), (200_000, 1000)):
        old = text(size, 1)
        rng = random.Random(2)
        spans = []
        for _ in range(count):
            start = rng.randrange(0, size - 80)
            spans.append(Span(start, start + rng.randrange(8, 80)))
        # An edit elsewhere (a paragraph added at the top), and one touching every 10th
        # passage (a word inserted in it).
        yield f"{size // 1000} KB, {count} passages, intro added", old, "Intro.\n\n" + old, spans
        touched = old
        for span in sorted(spans[::10], key=lambda s: -s.start):
            middle = (span.start + span.end) // 2
            touched = touched[:middle] + " really" + touched[middle:]
        yield f"{size // 1000} KB, {count} passages, every 10th edited", old, touched, spans


def main() -> None:
    for name, old, new, spans in cases():
        worst = 0.0
        result = (0, 0, 0)
        for _ in range(3):
            started = time.process_time()
            result = follow_all(old, new, spans)
            worst = max(worst, time.process_time() - started)
        found, carried, removed = result
        print(f"{name:45} found {found:4} carried {carried:4} removed {removed:4}  {worst:.3f} s")


if __name__ == "__main__":
    main()
