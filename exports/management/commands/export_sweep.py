from django.core.management.base import BaseCommand

from exports.services import export_sweep


class Command(BaseCommand):
    help = (
        "Re-queue exports left behind: running jobs whose worker died and queued jobs "
        "that never reached a worker. Celery beat runs it every minute."
    )

    def handle(self, *args, **options) -> None:
        result = export_sweep()
        self.stdout.write(
            f"{result.requeued_stale} stale running job(s) re-queued, "
            f"{result.reenqueued} queued job(s) handed to the workers, "
            f"{result.given_up} given up."
        )
