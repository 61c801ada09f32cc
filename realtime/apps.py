from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Live collaboration"

    def ready(self) -> None:
        from realtime import receivers

        del receivers  # imported for its signal receivers

        from designs import page

        presence = "realtime/presence.html"
        page.register(
            page="design",
            panels=(
                # Who else is here, and the page's live socket.
                page.Panel(
                    page="design", slot="header", template=f"{presence}#presence-bar", order=5
                ),
                # Who edits the section (filled in live; the card itself is the same for all).
                page.Panel(
                    page="design", slot="section_header", template=f"{presence}#section-editors"
                ),
            ),
        )
