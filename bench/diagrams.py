"""Diagram timings: the renderer's cold start, first and warm Mermaid renders (p50/p95), the
browser's memory, and the PDF export of the demo design with its diagrams beside a bare
WeasyPrint render of the same HTML.

    DATABASE_URL=postgres://... python bench/diagrams.py [--renders 40] [--runs 5]

Uses the database in DATABASE_URL (SQLite under var/ without it), migrated, and a temporary
MEDIA_ROOT; seeds the demo (``seed_demo --force``) and draws its diagrams first. Renders go
straight to the renderer (``designs.diagrams.renderer.render``) and the sanitiser, with a
different source each time, so nothing is reused from the store.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="crit-bench-media-")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.pop("REDIS_URL", None)  # tasks in-process: the seed's diagrams are drawn here


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sources(count: int) -> list[str]:
    """Distinct diagrams shaped like the demo's: flowcharts and sequence diagrams."""
    made = []
    for n in range(count):
        if n % 2:
            made.append(
                f"sequenceDiagram\n  participant B as Browser {n}\n  participant R as Redirect\n"
                "  participant C as Redis\n  participant D as Links DB\n"
                f"  B->>R: GET /code{n}\n  R->>C: GET link\n  C-->>R: miss\n"
                "  R->>D: SELECT by code\n  D-->>R: row\n  R-->>B: 302 Location\n"
            )
        else:
            made.append(
                f"flowchart LR\n  create[create {n}] --> link[Link svc]\n"
                "  link --> outbox[(outbox)]\n  outbox --> kafka[[Kafka]]\n"
                "  kafka --> warm[cache warmers]\n"
                "  link --> db[(Links DB)]\n  db -- replicas --> redirect[Redirect svc]\n"
                "  redirect --> clicks[[clicks]] --> ch[(ClickHouse)]\n"
            )
    return made


def browser_rss_mb(marker: str) -> float:
    """Resident memory of the renderer's Chromium processes, in MB."""
    from designs.diagrams.renderer import _pids_with

    total = 0
    for pid in _pids_with(marker):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from weasyprint import HTML

    from designs.diagrams import renderer, services
    from designs.diagrams.models import Diagram
    from designs.diagrams.sanitize import sanitize_svg
    from designs.models import Design
    from exports import services as export_services
    from exports.models import ExportJob
    from exports.renderers import pdf as pdf_renderer
    from exports.selectors import export_source, source_digest

    if not renderer.available():
        sys.exit(f"No Chromium at {renderer.chromium_path()}: nothing to measure.")
    call_command("migrate", verbosity=0)

    # Renderer: cold start with the first diagram, then warm renders.
    batch = sources(args.renders + 2)
    started = time.perf_counter()
    renderer.render(batch[0])
    cold = time.perf_counter() - started
    started = time.perf_counter()
    renderer.render(batch[1])
    second = time.perf_counter() - started
    warm, sizes = [], []
    for source in batch[2:]:
        started = time.perf_counter()
        svg = sanitize_svg(renderer.render(source).svg)
        warm.append(time.perf_counter() - started)
        sizes.append(len(svg))
    worker = renderer._worker
    rss = browser_rss_mb(worker.marker) if worker else 0.0
    print(f"Mermaid {renderer.mermaid_version()}, Chromium at {renderer.chromium_path()}")
    print(f"cold start + first diagram   {cold * 1000:8.0f} ms")
    print(f"second diagram               {second * 1000:8.0f} ms")
    print(
        f"warm render + sanitise       p50 {statistics.median(warm) * 1000:6.0f} ms   "
        f"p95 {percentile(warm, 0.95) * 1000:6.0f} ms   max {max(warm) * 1000:6.0f} ms   "
        f"({len(warm)} diagrams, SVG {statistics.median(sizes) / 1000:.0f} KB median)"
    )
    print(f"renderer's Chromium memory   {rss:8.0f} MB resident (all its processes)")

    # The demo design, its diagrams drawn.
    call_command("seed_demo", force=True, verbosity=0, stdout=io.StringIO())
    for key in Diagram.objects.filter(status=Diagram.Status.PENDING).values_list("key", flat=True):
        services.diagram_render(key=key)
    design = Design.objects.select_related("team", "created_by").get(
        title="URL shortener", team__name="Platform"
    )
    source = export_source(design=design)
    html = pdf_renderer.build_html(source)
    diagrams = html.count('<figure class="diagram">')
    options = {"include_review": False}

    def run_export() -> None:
        job = ExportJob.objects.create(
            design=design,
            format="pdf",
            options=options,
            requested_by=design.created_by,
            revision=source.revision,
            source_digest=source_digest(source=source, format="pdf", options=options),
            status=ExportJob.Status.QUEUED,
        )
        finished = export_services.export_run(job_id=job.pk)
        assert finished is not None and finished.status == ExportJob.Status.DONE, finished

    def bare(document: str) -> None:
        HTML(string=document, url_fetcher=pdf_renderer.LocalOnlyURLFetcher()).write_pdf()

    import re

    without = re.sub(r'<figure class="diagram">.*?</figure>', "", html, flags=re.DOTALL)
    run_export()
    bare(html)
    times: dict[str, list[float]] = {"export": [], "bare": [], "bare_without": []}
    for _ in range(args.runs):
        for name, function in (
            ("export", run_export),
            ("bare", lambda: bare(html)),
            ("bare_without", lambda: bare(without)),
        ):
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    export, plain = statistics.median(times["export"]), statistics.median(times["bare"])
    print(
        f"Demo design “{design.title}”: {diagrams} diagrams in the PDF, "
        f"{args.runs} runs each (median)"
    )
    print(f"PDF export (export_run)                 {export * 1000:8.0f} ms")
    print(f"bare WeasyPrint, same HTML              {plain * 1000:8.0f} ms")
    print(f"  export / bare                         {export / plain:8.2f} x (target ≤ 1.3)")
    without_ms = statistics.median(times["bare_without"]) * 1000
    print(f"bare WeasyPrint, diagrams left out      {without_ms:8.0f} ms")
    ExportJob.objects.filter(design=design, requested_by=design.created_by).delete()
    renderer.shutdown()


if __name__ == "__main__":
    main()
