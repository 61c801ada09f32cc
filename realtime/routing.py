"""WebSocket URLs. y-websocket's ``WebsocketProvider(origin + "/ws/designs/<id>/sections",
"<key>", doc)`` connects to ``/ws/designs/<id>/sections/<key>``."""

from django.urls import re_path

from realtime.consumers.design import LiveDesignConsumer, LiveUserConsumer
from realtime.consumers.document import DocumentConsumer

websocket_urlpatterns = [
    re_path(
        r"^ws/designs/(?P<design_id>[0-9]{1,18})/sections/(?P<section_key>[-a-zA-Z0-9_]{1,100})$",
        DocumentConsumer.as_asgi(),
    ),
    # The design page's live updates and presence; the inbox count on every other page.
    re_path(r"^ws/designs/(?P<design_id>[0-9]{1,18})/live$", LiveDesignConsumer.as_asgi()),
    re_path(r"^ws/live$", LiveUserConsumer.as_asgi()),
]
