"""manage.py diagrams_render: diagrams saved before Crit drew them, or without Chromium."""

from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from designs.diagrams import renderer
from designs.diagrams.models import Diagram, DiagramUse
from tests.designs.diagrams.conftest import FLOWCHART, fence, save

pytestmark = pytest.mark.django_db


def test_it_records_and_draws_diagrams_saved_before(section, capsys):
    save(section, fence(FLOWCHART))
    Diagram.objects.all().delete()  # as if saved before diagrams were drawn
    drawn = renderer.Rendered('<svg xmlns="http://www.w3.org/2000/svg"/>', 5)
    with mock.patch.object(renderer, "render", return_value=drawn):
        call_command("diagrams_render")
    assert Diagram.objects.get().status == Diagram.Status.READY
    assert DiagramUse.objects.filter(section=section).count() == 1
    assert "1 ready" in capsys.readouterr().out


def test_without_chromium_it_says_what_to_install(no_chromium):
    with pytest.raises(CommandError, match="install it"):
        call_command("diagrams_render")
