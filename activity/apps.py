from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "Activity and webhooks"

    def ready(self) -> None:
        from activity import receivers
        from designs import page

        del receivers  # imported for its signal receivers
        # A link to the design's activity in the page's header: the same for every viewer
        # who may see the page, so it needs no loader and no stamp.
        page.register(
            page="design",
            panels=(
                page.Panel(
                    page="design", slot="header", template="activity/design_panel.html", order=90
                ),
            ),
        )
