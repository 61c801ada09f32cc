"""Evaluate a design with 200 calc lines and 100 references (target: under 20 ms).

    .venv/bin/python bench/calc.py

Prints the time to compute the design's values and fill the HTML of its sections: cold (the
first time this process reads the lines) and warm (the lines' parses remembered, as in a
process that served the design before), median of 50 runs.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from designs import calc  # noqa: E402
from designs.calc import engine  # noqa: E402
from designs.markdown import render_markdown  # noqa: E402


def design(lines: int = 200, references: int = 100) -> list[tuple[str, str]]:
    calc_lines = ["base = 40 million / day", "size = 500 B"]
    for n in range(lines - 2):
        previous = "base" if n == 0 else f"v{n // 2}"  # a tree of dependencies
        calc_lines.append(
            f"v{n} = {previous} * 1.2 + base * {n % 7 + 1} -> /s   # line {n}"
            if n % 2
            else f"v{n} = {previous} * 3 * size * 5 years / (size * 1 year) + 20% * base"
        )
    estimates = "Numbers:\n\n```calc\n" + "\n".join(calc_lines) + "\n```\n"
    text = "\n\n".join(
        f"Paragraph {n} quotes {{{{ v{n * 2 % (lines - 2)} }}}} and {{{{ size -> KiB }}}}."
        for n in range(references // 2)
    )
    return [("estimates", estimates), ("text", text)]


def run(sections) -> None:
    evaluation = calc.evaluate(sections)
    for key, body in sections:
        calc.fill(render_markdown(body), key, evaluation)


def main() -> None:
    sections = design()
    for _key, body in sections:
        render_markdown(body)  # Markdown is remembered by the save path too
    engine.parse_definition.cache_clear()
    engine.parse_target.cache_clear()
    started = time.perf_counter()
    run(sections)
    cold = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(50):
        started = time.perf_counter()
        run(sections)
        times.append((time.perf_counter() - started) * 1000)
    evaluation = calc.evaluate(sections)
    errors = sum(1 for line in evaluation.lines if line.error)
    print(f"lines: {len(evaluation.lines)}, references: 100, lines with an error: {errors}")
    print(f"cold (lines parsed): {cold:.1f} ms")
    print(
        f"warm (parses remembered): median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
