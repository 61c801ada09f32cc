import logging

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        # WeasyPrint logs every layout step at INFO; only its warnings are worth keeping.
        logging.getLogger("weasyprint").setLevel(logging.WARNING)

        from designs import page
        from exports.models import ExportJob
        from exports.panels import design_page_loader

        page.register(
            page="design",
            loader=design_page_loader,
            panels=(
                page.Panel(page="design", slot="header", template="exports/panel_menu.html"),
                page.Panel(page="design", slot="sidebar", template="exports/panel_list.html"),
            ),
            # Every change of a job's state or progress saves its updated_at.
            stamp_parts=(page.StampPart(model=ExportJob, column="design", of="design"),),
        )
