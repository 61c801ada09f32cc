"""The review record in Markdown and PDF exports shows each section's sign-offs."""

import pytest

from designs import services as design_services
from reviews import services as review_services
from tests.exports.test_renderers import export_file, pdf_text
from tests.factories import MembershipFactory, UserFactory, make_team_role, require_signoff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed_design(seeded_design, alice):
    sam = MembershipFactory(team=seeded_design.team, user=UserFactory(username="sam")).user
    sre = make_team_role(team=seeded_design.team, name="SRE", holders=(sam,))
    section = seeded_design.sections.get(position=1)
    require_signoff(section=section, roles=[sre], owner=sam)
    review_services.signoff_give(section=section, given_by=sam, role=sre)
    section = design_services.section_update(
        section=seeded_design.sections.get(position=1),
        body=section.body + "\n\nOne more line.",
        base_version=section.version,
        edited_by=alice,
    )
    review_services.signoff_give(section=section, given_by=sam, role=sre)
    return seeded_design, section


def test_markdown_record_lists_owner_requirements_and_each_signoff(
    signed_design, alice, django_capture_on_commit_callbacks
):
    design, section = signed_design
    job = export_file(
        design, alice, django_capture_on_commit_callbacks, "markdown", include_review=True
    )
    appendix = job.file.read().decode("utf-8").split("## Appendix: review record\n", 1)[1]
    assert "### Sign-offs" in appendix
    assert f"**1. {section.title}** (version {section.version}); owner sam" in appendix
    assert "required: any SRE (given)" in appendix
    assert f"**sam** as SRE signed off version {section.version - 1}: reset" in appendix
    assert f"**sam** as SRE signed off version {section.version}: valid" in appendix


def test_pdf_record_lists_the_signoffs(signed_design, alice, django_capture_on_commit_callbacks):
    design, _ = signed_design
    job = export_file(design, alice, django_capture_on_commit_callbacks, "pdf", include_review=True)
    text = " ".join(pdf_text(job.file.path).split())
    record = text.split("Sign-offs", 1)[1]  # a table: columns interleave in the text
    for shown in ("any SRE", "(given)", "sam as SRE, version", ": valid", ": reset"):
        assert shown in record
