"""A design as a PDF, laid out by WeasyPrint from HTML and a print stylesheet.

The cover, a contents page whose page numbers come from CSS ``target-counter``, one PDF
bookmark per section, "Page N of M" footers and the title as running header are all in
``exports/static/exports/print.css``. WeasyPrint fetches resources only through
``LocalOnlyURLFetcher``: our own static files and data: URLs, never the network or the
file system, whatever a section body links to.
"""

import base64
import binascii
import logging
import mimetypes
import posixpath
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from designs.diagrams import page as diagrams_page
from designs.markdown import highlight_css
from exports.renderers import ExportSource

logger = logging.getLogger(__name__)

STATIC_SCHEME = "crit-static:"
MAX_DATA_URL_BYTES = 2_000_000
TEMPLATE = "exports/pdf/document.html"

Progress = Callable[[int], None]


class FetchRefused(ValueError):
    """A resource the export may not load (network, file system, anything not ours)."""


class LocalOnlyURLFetcher(URLFetcher):
    """Serves ``crit-static:<path>`` from our static files and decodes ``data:`` URLs.

    Everything else (http, https, ftp, file, and so loopback and cloud metadata addresses)
    is refused before any connection is made.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return self._data(url)
        if url.startswith(STATIC_SCHEME):
            return self._static(url)
        logger.warning("export refused to fetch %s", url[:200])
        raise FetchRefused(f"Exports do not fetch {url[:200]!r}")

    def _data(self, url: str) -> URLFetcherResponse:
        header, comma, payload = url[len("data:") :].partition(",")
        if not comma or len(payload) > MAX_DATA_URL_BYTES * 2:
            raise FetchRefused("Malformed or oversized data: URL")
        params = header.split(";")
        mime = params[0] or "text/plain"
        try:
            if "base64" in params[1:]:
                body = base64.b64decode(payload, validate=False)
            else:
                body = urllib.parse.unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as exc:
            raise FetchRefused("Malformed data: URL") from exc
        if len(body) > MAX_DATA_URL_BYTES:
            raise FetchRefused("Oversized data: URL")
        return URLFetcherResponse(url, body, {"Content-Type": mime})

    def _static(self, url: str) -> URLFetcherResponse:
        raw = urllib.parse.unquote(url[len(STATIC_SCHEME) :].split("?")[0].split("#")[0])
        path = posixpath.normpath(raw.lstrip("/"))
        if path.startswith((".", "/")) or "\\" in path or "\x00" in path:
            raise FetchRefused(f"Not a static file: {raw[:200]!r}")
        found = finders.find(path)
        if not found or isinstance(found, list):
            raise FetchRefused(f"No static file {path!r}")
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": mime})


_CHECKBOX = re.compile(r"<input\b[^>]*>")


def _task_boxes(body_html: str) -> str:
    """Task-list inputs become drawn boxes: print has no form controls."""

    def box(match: re.Match[str]) -> str:
        tag = match[0]
        if 'type="checkbox"' not in tag:
            return ""
        if "checked" in tag:
            return '<span class="checkbox checked" aria-label="done">✓</span>'
        return '<span class="checkbox" aria-label="to do"></span>'

    return _CHECKBOX.sub(box, body_html)


def build_html(source: ExportSource) -> str:
    """The complete HTML document WeasyPrint lays out."""
    bodies = diagrams_page.print_html([section.body_html for section in source.sections])
    sections = [
        (section, mark_safe(_task_boxes(body)))  # noqa: S308 - sanitised on save
        for section, body in zip(source.sections, bodies, strict=True)
    ]
    return render_to_string(
        TEMPLATE,
        {
            "source": source,
            "sections": sections,
            "review": source.review,
            "stylesheet": f"{STATIC_SCHEME}exports/print.css",
            "highlight_css": mark_safe(highlight_css()),  # noqa: S308 - Pygments output
        },
    )


def render_html(html: str, target: str | Path, *, progress: Progress | None = None) -> None:
    """Lay ``html`` out and write the PDF to ``target``."""
    document = HTML(string=html, url_fetcher=LocalOnlyURLFetcher(), base_url=None).render()
    if progress:
        progress(85)
    document.write_pdf(target)


def render(source: ExportSource, target: str | Path, *, progress: Progress | None = None) -> None:
    """Write the design as a PDF to the file ``target``."""
    html = build_html(source)
    if progress:
        progress(40)
    render_html(html, target, progress=progress)
