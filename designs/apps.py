from django.apps import AppConfig


class DesignsConfig(AppConfig):
    name = "designs"
    verbose_name = "Design documents"

    def ready(self) -> None:
        from designs import page, page_panels

        page.register(
            page="design",
            loader=page_panels.design_page_loader,
            panels=page_panels.DESIGN_PANELS,
            stamp_parts=page_panels.STAMP_PARTS,
        )
        page.register(page="dashboard", stamp_parts=page_panels.DASHBOARD_STAMP_PARTS)
