"""Evaluate a design with 200 calc lines and 100 references (target: under 20 ms).

    .venv/bin/python bench/calc.py

Prints the time to compute the design's values and fill them into the sections' rendered
HTML (the Markdown itself is rendered by every save, estimates or not): cold (the first time
this process reads these lines) and warm (the lines' parses remembered, as in a process that
saved the design before), median of 50 runs; wall time and the CPU time of this process,
which a busy machine bends less.
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


def run(sections, rendered) -> None:
    evaluation = calc.evaluate(sections)
    for (key, _body), html in zip(sections, rendered, strict=True):
        calc.fill(html, key, evaluation)


def main() -> None:
    sections = design()
    # A save renders the Markdown whatever it holds; what estimates add is computing the
    # values and filling them into the HTML.
    rendered = [render_markdown(body) for _key, body in sections]
    run(sections, rendered)  # the process's one-time costs (regexes, Decimal) out of the way
    engine.parse_definition.cache_clear()
    engine.parse_target.cache_clear()
    engine._literal.cache_clear()
    started, cpu = time.perf_counter(), time.process_time()
    run(sections, rendered)
    cold = (time.perf_counter() - started) * 1000
    cold_cpu = (time.process_time() - cpu) * 1000
    times, cpu_times = [], []
    for _ in range(50):
        started, cpu = time.perf_counter(), time.process_time()
        run(sections, rendered)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
    evaluation = calc.evaluate(sections)
    errors = sum(1 for line in evaluation.lines if line.error)
    print(f"lines: {len(evaluation.lines)}, references: 100, lines with an error: {errors}")
    print(f"cold (lines parsed): {cold:.1f} ms wall, {cold_cpu:.1f} ms CPU")
    print(
        f"warm (parses remembered): median {statistics.median(times):.1f} ms wall, "
        f"{statistics.median(cpu_times):.1f} ms CPU; max {max(times):.1f} ms wall"
    )


if __name__ == "__main__":
    main()
