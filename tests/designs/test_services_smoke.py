import pytest

from designs import services
from designs.models import Section


@pytest.mark.django_db
def test_design_gets_the_seventeen_checklist_sections_in_order(design):
    titles = list(design.sections.order_by("position").values_list("title", flat=True))
    assert len(titles) == 17
    assert titles[0] == "Who is your customer?"
    assert titles[-1] == "Resource Estimation"


@pytest.mark.django_db
def test_stale_base_version_is_refused_and_keeps_the_winner(design, alice):
    section = design.sections.get(position=1)
    services.section_update(section=section, body="first", base_version=0, edited_by=alice)
    with pytest.raises(services.SectionConflict) as caught:
        services.section_update(section=section, body="second", base_version=0, edited_by=alice)
    assert caught.value.current.body == "first"
    assert Section.objects.get(pk=section.pk).body == "first"
