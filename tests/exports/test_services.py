import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from designs import services as design_services
from exports import services
from exports.models import ExportJob
from exports.tasks import MAX_RETRIES, export_run_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def request_export(design, user, capture, fmt="markdown", **options):
    with capture(execute=True):
        job, created = services.export_request(
            design=design, format=fmt, requested_by=user, options=options
        )
    job.refresh_from_db()
    return job, created


def stored_files(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def test_new_export_is_enqueued_after_commit_and_ends_done_with_a_file(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, created = services.export_request(
            design=seeded_design, format="markdown", requested_by=alice
        )
    assert created
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.QUEUED
    # The enqueue, telling open design pages (realtime), the activity event's webhooks.
    assert len(callbacks) == 3
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.progress == 100
    assert job.file.name.endswith(".md")
    assert job.enqueued_at is not None
    assert job.revision == {s.key: s.version for s in seeded_design.sections.all()}


def test_asking_again_for_the_same_revision_returns_the_finished_file(
    seeded_design, alice, bob, django_capture_on_commit_callbacks, _media
):
    first, _ = request_export(seeded_design, alice, django_capture_on_commit_callbacks, "pdf")
    again, created = request_export(seeded_design, bob, django_capture_on_commit_callbacks, "pdf")
    assert not created
    assert again.pk == first.pk
    assert again.file.name == first.file.name
    assert ExportJob.objects.count() == 1
    assert len(stored_files(_media)) == 1


def test_a_queued_job_is_returned_instead_of_a_second_one(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first, _ = services.export_request(design=seeded_design, format="pdf", requested_by=alice)
        second, created = services.export_request(
            design=seeded_design, format="pdf", requested_by=alice
        )
    assert not created
    assert second.pk == first.pk


def test_a_new_section_version_or_other_options_make_a_new_export(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    first, _ = request_export(seeded_design, alice, django_capture_on_commit_callbacks)
    with_review, created = request_export(
        seeded_design, alice, django_capture_on_commit_callbacks, include_review=True
    )
    assert created and with_review.pk != first.pk
    section = seeded_design.sections.get(position=1)
    design_services.section_update(
        section=section, body="Changed.", base_version=section.version, edited_by=alice
    )
    after_edit, created = request_export(seeded_design, alice, django_capture_on_commit_callbacks)
    assert created and after_edit.pk != first.pk
    assert after_edit.revision[section.key] == section.version + 1


def test_unknown_format_or_option_is_refused_and_nothing_is_saved(seeded_design, alice):
    with pytest.raises(ValidationError):
        services.export_request(design=seeded_design, format="docx", requested_by=alice)
    with pytest.raises(ValidationError):
        services.export_request(
            design=seeded_design, format="pdf", requested_by=alice, options={"evil": 1}
        )
    assert not ExportJob.objects.exists()


def queued_job(design, user, fmt="markdown"):
    from exports.selectors import export_source, source_digest

    source = export_source(design=design)
    return ExportJob.objects.create(
        design=design,
        format=fmt,
        options={"include_review": False},
        requested_by=user,
        revision=source.revision,
        source_digest=source_digest(source=source, format=fmt, options={"include_review": False}),
    )


def test_a_task_delivered_twice_runs_the_job_once(seeded_design, alice, _media):
    job = queued_job(seeded_design, alice)
    assert export_run_task.apply(args=[job.pk]).get() == "done"
    job.refresh_from_db()
    finished_at, name = job.finished_at, job.file.name
    assert export_run_task.apply(args=[job.pk]).get() == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1
    assert (job.finished_at, job.file.name) == (finished_at, name)
    assert stored_files(_media) == [name.rsplit("/", 1)[1]]


def test_a_second_delivery_while_another_worker_runs_the_job_does_nothing(
    seeded_design, alice, _media
):
    job = queued_job(seeded_design, alice)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, attempts=1, heartbeat_at=now, started_at=now
    )
    assert export_run_task.apply(args=[job.pk]).get() == "skipped"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING
    assert job.attempts == 1
    assert stored_files(_media) == []


def test_failure_is_recorded_with_a_readable_message_after_bounded_retries(
    seeded_design, alice, settings, tmp_path
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("storage cannot create folders under a file")
    settings.MEDIA_ROOT = blocker
    job = queued_job(seeded_design, alice)
    export_run_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.attempts == MAX_RETRIES + 1
    assert job.error.startswith("The Markdown file could not be made: ")
    assert "Traceback" not in job.error
    assert job.finished_at is not None
    assert not job.file


def test_a_job_whose_worker_died_is_taken_over(seeded_design, alice):
    job = queued_job(seeded_design, alice)
    long_ago = timezone.now() - services.stale_heartbeat() * 2
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, attempts=1, heartbeat_at=long_ago, progress=40
    )
    assert export_run_task.apply(args=[job.pk]).get() == "done"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.attempts == 2


def test_sweep_requeues_stale_running_jobs_and_enqueues_forgotten_queued_ones(seeded_design, alice):
    stale = queued_job(seeded_design, alice, "markdown")
    forgotten = queued_job(seeded_design, alice, "pdf")
    long_ago = timezone.now() - services.stale_heartbeat() * 2
    ExportJob.objects.filter(pk=stale.pk).update(
        status=ExportJob.Status.RUNNING, attempts=1, heartbeat_at=long_ago
    )
    ExportJob.objects.filter(pk=forgotten.pk).update(created_at=long_ago, enqueued_at=None)
    result = services.export_sweep()
    assert result.requeued_stale == 1
    assert result.reenqueued == 2
    stale.refresh_from_db()
    forgotten.refresh_from_db()
    assert stale.status == ExportJob.Status.DONE
    assert stale.attempts == 2
    assert forgotten.status == ExportJob.Status.DONE


def test_sweep_leaves_jobs_with_a_live_worker_alone(seeded_design, alice):
    job = queued_job(seeded_design, alice)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, attempts=1, heartbeat_at=now, enqueued_at=now
    )
    result = services.export_sweep()
    assert (result.requeued_stale, result.reenqueued, result.given_up) == (0, 0, 0)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING


def test_sweep_gives_up_on_a_job_that_keeps_losing_its_worker(seeded_design, alice):
    job = queued_job(seeded_design, alice)
    long_ago = timezone.now() - services.stale_heartbeat() * 2
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, attempts=services.MAX_CLAIMS, heartbeat_at=long_ago
    )
    assert services.export_sweep().given_up == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "kept stopping" in job.error


def test_export_sweep_command_reports_what_it_did(seeded_design, alice, capsys):
    job = queued_job(seeded_design, alice)
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - services.STALE_QUEUED * 2
    )
    call_command("export_sweep")
    assert "1 queued job(s) handed to the workers" in capsys.readouterr().out
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE


def test_a_finished_export_whose_file_is_gone_is_made_again(
    seeded_design, alice, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    first, _ = request_export(seeded_design, alice, django_capture_on_commit_callbacks)
    default_storage.delete(first.file.name)
    again, created = request_export(seeded_design, alice, django_capture_on_commit_callbacks)
    assert created and again.pk != first.pk
    assert again.status == ExportJob.Status.DONE
    assert default_storage.exists(again.file.name)
