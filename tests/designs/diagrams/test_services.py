"""Recording which sections show which diagram, and drawing them after the save."""

from unittest import mock

import pytest

from designs.diagrams import blocks, renderer, services
from designs.diagrams.models import Diagram, DiagramUse
from designs.models import Section
from tests.designs.diagrams.conftest import FLOWCHART, fence, save
from tests.factories import make_design

pytestmark = pytest.mark.django_db


def test_a_save_records_the_diagram_once_and_its_use(section):
    save(section, "Intro.\n\n" + fence(FLOWCHART) + "\n" + fence(FLOWCHART))
    diagram = Diagram.objects.get()
    assert diagram.key == blocks.diagram_key(FLOWCHART)
    assert diagram.source == FLOWCHART
    assert diagram.status == Diagram.Status.PENDING
    assert list(DiagramUse.objects.values_list("section_id", "design_id")) == [
        (section.pk, section.design_id)
    ]


def test_the_same_diagram_elsewhere_is_stored_once(section):
    save(section, fence(FLOWCHART))
    other = make_design(title="Another")
    save(Section.objects.filter(design=other).first(), fence(FLOWCHART))
    assert Diagram.objects.count() == 1
    assert DiagramUse.objects.count() == 2


def test_removing_a_diagram_from_the_text_ends_its_use(section):
    save(section, fence(FLOWCHART))
    save(section, "No diagram any more.")
    assert DiagramUse.objects.count() == 0


def test_a_save_without_diagrams_costs_no_query_for_them(section, django_assert_num_queries):
    save(section, "First.")
    fresh = Section.objects.get(pk=section.pk)
    with django_assert_num_queries(0):
        services.diagram_uses_update(section=fresh, body_html="<p>a</p>", previous_html="<p>b</p>")


def test_a_design_shows_at_most_the_limit_of_diagrams(section, settings):
    settings.CRIT_DIAGRAMS_PER_DESIGN = 2
    body = "".join(fence(f"flowchart LR\n  a{n} --> b\n") + "\n" for n in range(4))
    saved = save(section, body)
    assert DiagramUse.objects.filter(design=section.design).count() == 2
    assert saved.version == 1  # the save itself went through


def test_a_diagram_over_the_size_limit_is_not_recorded(section, settings):
    settings.CRIT_DIAGRAM_MAX_CHARS = 10
    saved = save(section, fence(FLOWCHART))
    assert Diagram.objects.count() == 0
    assert saved.version == 1


def test_new_diagrams_are_drawn_after_commit_on_a_thread_in_the_embedded_default(
    section, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(services, "_in_process") as executor,
        mock.patch.object(renderer, "render") as render,
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            save(section, fence(FLOWCHART))
        executor.return_value.submit.assert_not_called()  # nothing before the commit
        for callback in callbacks:
            callback()
    executor.return_value.submit.assert_called_once_with(
        services._render_in_thread, [blocks.diagram_key(FLOWCHART)]
    )
    render.assert_not_called()  # not in the request


def test_new_diagrams_are_one_celery_task_each_with_a_worker(
    section, django_capture_on_commit_callbacks
):
    from config.celery import app as celery_app
    from designs.diagrams import tasks

    celery_app.conf.task_always_eager = False
    with (
        mock.patch.object(tasks.diagram_render, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        save(section, fence(FLOWCHART) + "\n" + fence("flowchart LR\n  x --> y\n"))
    assert delay.call_count == 2


def test_without_chromium_nothing_is_drawn_or_enqueued(
    section, no_chromium, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(services, "_in_process") as executor,
        django_capture_on_commit_callbacks(execute=True),
    ):
        save(section, fence(FLOWCHART))
    executor.assert_not_called()
    diagram = services.diagram_render(key=blocks.diagram_key(FLOWCHART))
    assert diagram.status == Diagram.Status.PENDING


def test_a_diagram_already_drawn_is_never_drawn_again(section):
    save(section, fence(FLOWCHART))
    Diagram.objects.update(status=Diagram.Status.READY, svg="<svg/>")
    with mock.patch.object(renderer, "render") as render:
        services.diagram_render(key=blocks.diagram_key(FLOWCHART))
        save(Section.objects.filter(design=section.design)[1], fence(FLOWCHART))
    render.assert_not_called()


def test_the_sweep_asks_again_for_diagrams_whose_task_was_lost(section):
    from datetime import timedelta

    from django.utils import timezone

    save(section, fence(FLOWCHART))
    Diagram.objects.create(key="f" * 64, source="flowchart LR\n  unused --> x\n")  # no use
    later = timezone.now() + timedelta(seconds=services.SWEEP_AFTER_SECONDS + 1)
    with mock.patch.object(services, "diagrams_render_later") as render_later:
        assert services.diagrams_sweep(now=timezone.now()) == 0  # too recent
        assert services.diagrams_sweep(now=later) == 1
        assert services.diagrams_sweep(now=later) == 0  # asked once, not every minute
    render_later.assert_called_once_with(keys=[blocks.diagram_key(FLOWCHART)])
