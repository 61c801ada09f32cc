import base64
import socket

import pytest
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from designs import services as design_services
from exports.renderers import pdf as pdf_renderer
from exports.selectors import export_source


@pytest.fixture
def listener():
    """A TCP listener on loopback that records whether anything connected to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)
    port = sock.getsockname()[1]

    def connections() -> int:
        count = 0
        while True:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                return count
            conn.close()
            count += 1

    yield port, connections
    sock.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/image.png",
        "https://127.0.0.1:{port}/style.css",
        "http://localhost:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "ftp://127.0.0.1:{port}/x",
        "file:///etc/passwd",
        "file:///proc/self/environ",
        "https://example.com/logo.png",
        "crit-static:../../config/settings.py",
        "crit-static:/etc/passwd",
    ],
)
def test_fetcher_refuses_network_files_and_paths_outside_static(url, listener):
    port, connections = listener
    with pytest.raises(pdf_renderer.FetchRefused):
        pdf_renderer.LocalOnlyURLFetcher().fetch(url.format(port=port))
    assert connections() == 0


def test_fetcher_serves_our_print_stylesheet_and_data_urls():
    fetcher = pdf_renderer.LocalOnlyURLFetcher()
    css = fetcher.fetch("crit-static:exports/print.css")
    assert css.content_type == "text/css"
    assert b"target-counter" in css.read()
    pixel = base64.b64encode(b"GIF89a-not-really").decode()
    data = fetcher.fetch(f"data:image/gif;base64,{pixel}")
    assert data.content_type == "image/gif"
    assert data.read() == b"GIF89a-not-really"


@pytest.mark.django_db
def test_rendering_a_design_that_links_to_loopback_and_files_makes_no_request(
    design, alice, listener, tmp_path
):
    port, connections = listener
    section = design.sections.get(position=1)
    body = (
        f"![tracker](http://127.0.0.1:{port}/pixel.png)\n\n"
        f"[a link](http://127.0.0.1:{port}/link) is fine to print.\n\n"
        "![local](file:///etc/hostname) ![relative](../../etc/passwd)\n"
    )
    design_services.section_update(
        section=section, body=body, base_version=0, edited_by=alice, state="answered"
    )
    html = pdf_renderer.build_html(export_source(design=design))
    html += f'<link rel="stylesheet" href="http://127.0.0.1:{port}/evil.css">'
    html += f'<img src="http://127.0.0.1:{port}/direct.png">'
    target = tmp_path / "out.pdf"
    pdf_renderer.render_html(html, target)
    assert target.read_bytes().startswith(b"%PDF")
    assert connections() == 0


def test_default_weasyprint_fetcher_would_have_connected(listener):
    """The control: without our fetcher the same HTML reaches the listener."""
    port, connections = listener
    html = f'<img src="http://127.0.0.1:{port}/direct.png">'
    HTML(string=html, url_fetcher=URLFetcher(timeout=0.5)).render()
    assert connections() >= 1
