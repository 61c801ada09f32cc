"""Export timings for a design: the whole PDF export beside a bare WeasyPrint render of the
same HTML, and the whole Markdown export.

    DATABASE_URL=postgres://... python bench/export.py [--runs 5] [--design TITLE] [--review]

Uses the database in DATABASE_URL (SQLite under var/ without it), migrated, and a temporary
MEDIA_ROOT. Without --design it seeds the demo and measures its design; ``make bench`` runs
it on the benchmark's design, with its review record (comments and verdicts) included.
Each export is a fresh job run through ``exports.services.export_run`` in this process: it
loads the design, builds the HTML, lays it out, writes a temporary file and moves it into
storage, updating the job's progress as it goes.
"""

import argparse
import io
import os
import statistics
import subprocess
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


CPU_TIMES: dict[int, list[float]] = {}


def timed(function, runs: int) -> list[float]:
    """Wall times of ``runs`` calls; their CPU times (this process) go to CPU_TIMES."""
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    CPU_TIMES[id(times)] = cpu
    return times


def summary(times: list[float]) -> str:
    """Wall median, min and max; then the median CPU time, which a busy machine bends less."""
    cpu = CPU_TIMES.get(id(times), [])
    cpu_text = f"   cpu {statistics.median(cpu) * 1000:8.1f} ms" if cpu else ""
    return (
        f"median {statistics.median(times) * 1000:8.1f} ms   "
        f"min {min(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms{cpu_text}"
    )


def seed_design_only() -> None:
    """The demo users, team and design exactly as seed_demo writes them, without extras."""
    from django.db import transaction

    from demo.management.commands.seed_demo import DESIGNS, USERS, Command

    command = Command(stdout=io.StringIO())
    with transaction.atomic():
        users = {name: command._user(name, email) for name, email in USERS.items()}
        team = command._team(owner=users["alice"], member=users["bob"])
        title, summary, folder = DESIGNS[0]
        command._design(
            team=team, author=users["alice"], title=title, summary=summary, folder=folder
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--design", help="the title of a design already in the database")
    parser.add_argument("--review", action="store_true", help="include the review record")
    args = parser.parse_args()
    runs = args.runs

    import django

    django.setup()
    from django.core.management import call_command
    from weasyprint import HTML

    from designs.models import Design
    from exports import services
    from exports.models import ExportJob
    from exports.renderers import pdf as pdf_renderer
    from exports.selectors import export_source, source_digest

    call_command("migrate", verbosity=0)
    if args.design:
        design = Design.objects.select_related("team", "created_by").get(title=args.design)
    else:
        try:
            call_command("seed_demo", force=True, verbosity=0, stdout=io.StringIO())
        except Exception as exc:  # the demo's optional parts must not stop the measurement
            print(f"seed_demo failed ({type(exc).__name__}: {exc}); seeding only the design.")
            seed_design_only()
        design = Design.objects.select_related("team", "created_by").get(
            title="URL shortener", team__name="Platform"
        )
    options = {"include_review": args.review}
    source = export_source(design=design, include_review=args.review)
    html = pdf_renderer.build_html(source)

    def run_export(fmt: str) -> ExportJob:
        job = ExportJob.objects.create(
            design=design,
            format=fmt,
            options=options,
            requested_by=design.created_by,
            revision=source.revision,
            source_digest=source_digest(source=source, format=fmt, options=options),
            status=ExportJob.Status.QUEUED,
        )
        # Finished jobs keep their file; only one job per source may be active at a time.
        finished = services.export_run(job_id=job.pk)
        assert finished is not None and finished.status == ExportJob.Status.DONE, finished
        return finished

    def bare_weasyprint() -> bytes:
        return HTML(string=html, url_fetcher=pdf_renderer.LocalOnlyURLFetcher()).write_pdf()

    # Warm up: imports, fonts and the template cache.
    last_pdf = run_export("pdf")
    bare_weasyprint()
    run_export("markdown")

    pdf_times = timed(lambda: run_export("pdf"), runs)
    bare_times = timed(bare_weasyprint, runs)
    md_times = timed(lambda: run_export("markdown"), runs)

    pdf_path = Path(os.environ["MEDIA_ROOT"]) / last_pdf.file.name
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True).stdout
    pages = next((line.split()[1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    answered = sum(1 for s in source.sections if s.body)
    print(
        f"Design “{design.title}”{' with its review record' if args.review else ''}: "
        f"{len(source.sections)} sections ({answered} written), "
        f"{sum(len(s.body.encode()) for s in source.sections):,} bytes of Markdown, "
        f"PDF of {pages} pages, {pdf_path.stat().st_size:,} bytes. {runs} runs each."
    )
    print(f"PDF export (export_run)      {summary(pdf_times)}")
    print(f"bare WeasyPrint, same HTML   {summary(bare_times)}")
    overhead = statistics.median(pdf_times) - statistics.median(bare_times)
    ratio = statistics.median(pdf_times) / statistics.median(bare_times)
    print(f"  export overhead over bare  {overhead * 1000:8.1f} ms (median), {ratio:.2f} x bare")
    print(f"Markdown export (export_run) {summary(md_times)}")
    print("(cpu: CPU seconds of this process, median; WeasyPrint runs on one core)")
    ExportJob.objects.filter(design=design, requested_by=design.created_by).delete()


if __name__ == "__main__":
    main()
