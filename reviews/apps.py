from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from designs import page
        from reviews import page_panels, receivers, rounds_panels, signoff_panels

        del receivers  # imported for its signal receivers
        page.register(
            page="design",
            loader=page_panels.design_page_loader,
            panels=page_panels.DESIGN_PANELS,
            section_part=page_panels.SECTION_PART,
            stamp_parts=page_panels.STAMP_PARTS,
        )
        page.register(
            page="design",
            panels=rounds_panels.ROUNDS_PANELS,
            stamp_parts=rounds_panels.ROUNDS_STAMP_PARTS,
        )
        page.register(
            page="dashboard",
            loader=page_panels.dashboard_loader,
            panels=page_panels.DASHBOARD_PANELS,
            stamp_parts=page_panels.DASHBOARD_STAMP_PARTS,
        )
        page.register(
            page="design",
            loader=signoff_panels.design_page_loader,
            panels=signoff_panels.DESIGN_PANELS,
            section_part=signoff_panels.SECTION_PART,
            stamp_parts=signoff_panels.STAMP_PARTS,
        )
        page.register(
            page="dashboard",
            loader=signoff_panels.dashboard_loader,
            panels=signoff_panels.DASHBOARD_PANELS,
            stamp_parts=signoff_panels.DASHBOARD_STAMP_PARTS,
        )
