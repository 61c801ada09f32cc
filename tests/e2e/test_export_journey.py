"""Export a design as a PDF from its page, watch a real worker finish it, download it."""

import os

import pytest

from tests.exports.conftest import CODE, TABLE, TASKS, fill
from tests.exports.test_worker import worker  # noqa: F401 - a real Celery worker
from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


def test_export_a_pdf_from_the_design_page_and_download_it(
    sign_in,
    live_server,
    worker,  # noqa: F811
    tmp_path,
):
    from playwright.sync_api import expect

    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="URL shortener")
    fill(design, alice, {1: TABLE, 2: CODE, 3: TASKS})

    page = sign_in("alice", accept_downloads=True)
    page.set_default_timeout(30_000)

    page.goto(live_server.url + design.get_absolute_url())
    expect(page.locator("#export-list")).to_contain_text("No exports yet.")
    page.locator(".export-menu summary", has_text="Export").click()
    page.locator(".export-menu input[name=format][value=pdf]").check()
    page.locator(".export-menu [data-export-submit]").click()

    # The job shows up at once, polls, and ends with a download link.
    job = page.locator("#export-list .export-job").first
    expect(job).to_contain_text("PDF")
    expect(job).to_have_attribute("data-status", "done")
    expect(job.locator(".export-status")).to_have_text("Done")
    expect(job).not_to_have_attribute("hx-trigger", "every 1s")

    with page.expect_download() as download_info:
        job.locator("a.export-download").click()
    download = download_info.value
    assert download.suggested_filename == "URL shortener.pdf"
    target = tmp_path / "download.pdf"
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")

    # The export stays in the design's list after a reload.
    page.reload()
    expect(page.locator("#export-list .export-job").first).to_have_attribute("data-status", "done")
