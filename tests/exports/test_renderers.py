import subprocess

import pytest
from weasyprint import HTML

from exports import services
from exports.models import ExportJob
from exports.renderers import markdown as markdown_renderer
from exports.renderers import pdf as pdf_renderer
from exports.selectors import export_source
from tests.exports.conftest import CODE, TABLE, TASKS, UNICODE
from tests.factories import add_comment, request_review

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def export_file(design, user, capture, fmt, **options) -> ExportJob:
    with capture(execute=True):
        job, _ = services.export_request(
            design=design, format=fmt, requested_by=user, options=options
        )
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    return job


def pdf_text(path, *pages: int) -> str:
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run(
        [*args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(row for row in info.stdout.splitlines() if row.startswith("Pages:"))
    return int(line.split()[1])


def test_markdown_export_keeps_every_section_body_byte_for_byte(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(seeded_design, alice, django_capture_on_commit_callbacks, "markdown")
    raw = job.file.read()
    text = raw.decode("utf-8")
    stored = {s.key: s.body for s in seeded_design.sections.all() if s.body}
    assert set(stored.values()) >= {TABLE, CODE, TASKS, UNICODE}
    assert markdown_renderer.section_bodies(text) == stored
    for body in stored.values():
        assert body.encode("utf-8") in raw
    assert "\r" not in text


def test_markdown_export_has_title_metadata_numbered_sections_and_na_reason(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(seeded_design, alice, django_capture_on_commit_callbacks, "markdown")
    text = job.file.read().decode("utf-8")
    assert text.startswith("# URL shortener\n")
    for line in (
        "- **Team:** Platform",
        "- **Authors:** alice, bob",
        "- **Status:** Draft",
        "- **Coverage:** 6 of 17 sections (35%)",
        "- **Last edited:** ",
    ):
        assert line in text
    for section in seeded_design.sections.all():
        assert f"\n## {section.position}. {section.title}\n" in text
    assert "> **Not applicable:** We run a single region on purpose." in text
    assert "Appendix: review record" not in text


def test_markdown_export_of_an_old_revision_uses_the_text_of_that_revision(seeded_design, alice):
    from designs import services as design_services

    section = seeded_design.sections.get(position=1)
    revision = {s.key: s.version for s in seeded_design.sections.all()}
    design_services.section_update(
        section=section, body="Rewritten later.", base_version=section.version, edited_by=alice
    )
    source = export_source(design=seeded_design, revision=revision)
    assert markdown_renderer.section_bodies(markdown_renderer.render(source))[section.key] == TABLE


def test_markdown_review_appendix_has_verdicts_issue_ledger_and_threads(
    seeded_design, alice, bob, django_capture_on_commit_callbacks
):
    from reviews import services as review_services

    carol = seeded_design.team.created_by.__class__.objects.create_user("carol", "c@example.com")
    request_review(design=seeded_design, reviewer=carol, requested_by=alice)
    section = seeded_design.sections.get(position=2)
    issue = add_comment(
        section=section, author=carol, body="The key space runs out.", raise_issue=True
    )
    review_services.comment_reply(parent=issue, author=alice, body="Widened to 8 chars.")
    review_services.issue_status_change(comment=issue, to_status="fixed", changed_by=alice)
    review_services.verdict_submit(
        design=seeded_design, reviewer=carol, kind="approve", summary="Good to go."
    )
    seeded_design.refresh_from_db()
    job = export_file(
        seeded_design, alice, django_capture_on_commit_callbacks, "markdown", include_review=True
    )
    text = job.file.read().decode("utf-8")
    appendix = text.split("## Appendix: review record\n", 1)[1]
    assert "| carol | alice | Approved (" in appendix
    assert "**carol**: Approved: Good to go." in appendix
    assert f"### 2. {section.title}" in appendix
    assert "| The key space runs out. | fixed | carol |" in appendix
    assert "open → fixed by alice" in appendix
    assert "> The key space runs out." in appendix
    assert "> > Widened to 8 chars." in appendix
    # The bodies above the appendix are untouched by it.
    assert markdown_renderer.section_bodies(text)[section.key] == CODE


def test_pdf_has_every_section_title_a_contents_page_and_several_pages(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(seeded_design, alice, django_capture_on_commit_callbacks, "pdf")
    path = job.file.path
    pages = pdf_pages(path)
    assert pages > 1
    text = " ".join(pdf_text(path).split())
    for section in seeded_design.sections.all():
        assert f"{section.position}. {section.title}" in text
    contents = pdf_text(path, 2)
    assert "Contents" in contents
    assert f"Page 2 of {pages}" in contents
    assert "URL shortener" in contents  # running header


def test_pdf_contents_page_numbers_point_at_the_pages_the_sections_start_on(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(seeded_design, alice, django_capture_on_commit_callbacks, "pdf")
    path = job.file.path
    entries = {}
    for line in pdf_text(path, 2).splitlines():
        parts = line.rsplit(None, 1)
        if len(parts) == 2 and parts[1].isdigit() and ". ." in parts[0] + " .":
            title = parts[0].rstrip(" .").strip()
            entries[title] = int(parts[1])
    first = seeded_design.sections.get(position=1)
    last = seeded_design.sections.get(position=17)
    first_page = entries[f"1. {first.title}"]
    assert f"1. {first.title}" in pdf_text(path, first_page)
    assert f"17. {last.title}" in " ".join(pdf_text(path, entries[f"17. {last.title}"]).split())
    assert first_page >= 3


def test_pdf_draws_tables_code_and_task_boxes(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    job = export_file(seeded_design, alice, django_capture_on_commit_callbacks, "pdf")
    text = pdf_text(job.file.path)
    assert "Segment" in text and "pay monthly" in text
    assert "def shorten(url: str) -> str:" in text
    words = " ".join(text.split())
    assert "✓ Load test at 2\u00d7 peak Runbook for the cache stampede" in words
    assert "Not applicable: We run a single region on purpose." in words


def test_pdf_html_highlights_code_and_turns_task_inputs_into_boxes(seeded_design):
    html = pdf_renderer.build_html(export_source(design=seeded_design))
    assert '<span class="hl-k">def</span>' in html
    assert ".highlight .hl-k" in html
    assert "<input" not in html
    assert html.count('class="checkbox checked"') == 1
    assert html.count('class="checkbox"') == 2


def test_pdf_has_one_bookmark_per_section(seeded_design):
    html = pdf_renderer.build_html(export_source(design=seeded_design))
    document = HTML(string=html, url_fetcher=pdf_renderer.LocalOnlyURLFetcher()).render()
    labels = [label for label, *_ in document.make_bookmark_tree()]
    assert labels == ["URL shortener", "Contents"]
    sections = [child[0] for child in document.make_bookmark_tree()[1][2]]
    assert sections == [f"{s.position}. {s.title}" for s in seeded_design.sections.all()]


def test_pdf_review_appendix_lists_the_review(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    carol = seeded_design.team.created_by.__class__.objects.create_user("carol", "c@example.com")
    request_review(design=seeded_design, reviewer=carol, requested_by=alice)
    add_comment(
        section=seeded_design.sections.get(position=1),
        author=carol,
        body="Who pays?",
        raise_issue=True,
    )
    job = export_file(
        seeded_design, alice, django_capture_on_commit_callbacks, "pdf", include_review=True
    )
    text = " ".join(pdf_text(job.file.path).split())
    assert "Appendix: review record" in text
    assert "Who pays?" in text
    assert "No verdicts yet." in text


def _two_rounds(design, alice):
    from reviews import services as review_services

    User = design.team.created_by.__class__
    carol = User.objects.create_user("carol", "c@example.com")
    dave = User.objects.create_user("dave", "d@example.com")
    request_review(design=design, reviewer=carol, requested_by=alice)
    request_review(design=design, reviewer=dave, requested_by=alice)
    review_services.verdict_submit(design=design, reviewer=carol, kind="request_changes")
    review_services.review_round_start(design=design, started_by=alice)
    review_services.verdict_submit(design=design, reviewer=carol, kind="approve")
    design.refresh_from_db()


def test_markdown_review_appendix_lists_each_round_with_its_verdicts(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    _two_rounds(seeded_design, alice)
    job = export_file(
        seeded_design, alice, django_capture_on_commit_callbacks, "markdown", include_review=True
    )
    appendix = job.file.read().decode("utf-8").split("## Appendix: review record\n", 1)[1]
    rounds = appendix.split("### Review rounds\n", 1)[1].split("###", 1)[0]
    lines = [line for line in rounds.splitlines() if line.startswith("- ")]
    assert len(lines) == 2
    assert lines[0].startswith("- **Round 2**") and "started by alice" in lines[0]
    assert "carol: Approved; dave: waiting" in lines[0]
    assert lines[1].startswith("- **Round 1**") and "carol: Changes requested" in lines[1]


def test_pdf_review_appendix_lists_each_round_with_its_verdicts(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    _two_rounds(seeded_design, alice)
    job = export_file(
        seeded_design, alice, django_capture_on_commit_callbacks, "pdf", include_review=True
    )
    text = " ".join(pdf_text(job.file.path).split())
    assert "Review rounds" in text
    assert "Round 2" in text and "carol: Approved" in text and "dave: waiting" in text
    assert "Round 1" in text and "carol: Changes requested" in text
