"""The app's URLs plus the two baselines the benchmark compares against.

Served only by the benchmark (ROOT_URLCONF=bench.urls); production never routes here.
"""

import os

from django.http import HttpRequest, HttpResponse
from django.template import Context, Engine
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

_engine = Engine(debug=False)
_template = _engine.from_string(
    "<!DOCTYPE html><html><head><title>{{ title }}</title></head><body><main>"
    "{% for item in items %}<article class='section' id='s{{ forloop.counter }}'>"
    "<h2>{{ item.title }}</h2><div class='markdown'>{{ item.body }}</div></article>"
    "{% endfor %}</main></body></html>"
)


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def bare_template(request: HttpRequest) -> HttpResponse:
    """200 items rendered from a template, no database, about the design page's size."""
    page_bytes = int(os.environ.get("BENCH_PAGE_BYTES", "120000"))
    filler = "x" * max(page_bytes // 200 - 80, 1)
    items = [{"title": f"Item {i}", "body": filler} for i in range(200)]
    return HttpResponse(_template.render(Context({"title": "Baseline", "items": items})))


urlpatterns = [
    path("bench/ok", ok),
    path("bench/template", bare_template),
    *app_urlpatterns,
]
