"""A request's size is limited before its body is read: an announced body over the limit
is a 413 at once, a streamed one is cut off at the limit, and a flood of fields is a 400,
for anonymous callers too."""

import asyncio
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from config.limits import BodyLimit

LIMIT = 1_000_000


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "crit-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db
def test_an_anonymous_multipart_body_over_the_limit_is_413(client):
    body, content_type = _multipart(2 * LIMIT)
    response = client.generic("POST", "/accounts/signup/", body, content_type=content_type)
    assert response.status_code == 413
    assert "at most 1,000,000 bytes" in response.content.decode()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_a_form_body_over_the_limit_is_413_signed_in(client, alice):
    client.force_login(alice)
    response = client.post("/teams/", {"name": "x" * (LIMIT + 1)})
    assert response.status_code == 413


@pytest.mark.django_db
def test_an_api_body_over_the_limit_is_413_with_json(client):
    response = client.post(
        "/api/v1/designs", json.dumps({"title": "x" * LIMIT}), content_type="application/json"
    )
    assert response.status_code == 413
    assert "at most 1,000,000 bytes" in response.json()["detail"]


@pytest.mark.django_db
def test_a_body_within_the_limit_is_read_as_usual(client, alice):
    client.force_login(alice)
    response = client.post("/teams/", {"name": "Search"})
    assert response.status_code in (200, 302)
    assert alice.teams.filter(name="Search").exists()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/designs"])
@pytest.mark.django_db
def test_more_query_fields_than_allowed_is_a_400_with_a_message(client, settings, debug, path):
    settings.DEBUG = debug
    query = "&".join(f"f{n}=1" for n in range(1_001))
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "too many fields: at most 1,000" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.django_db
def test_more_form_fields_than_allowed_is_a_400_with_a_message(client, settings, debug):
    settings.DEBUG = debug
    response = client.post("/accounts/login/", {f"f{n}": "1" for n in range(1_001)})
    assert response.status_code == 400
    assert "too many fields" in response.content.decode()


def test_a_body_announced_over_the_limit_is_refused_before_it_is_sent(live_server):
    """Only the headers go out; the server answers 413 without waiting for the body."""
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/signup/ HTTP/1.1\r\n"
            + f"Host: {address.hostname}\r\n".encode()
            + b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413"


def _run_asgi(app, *, chunks, headers=()):
    sent = []
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]
    received = []

    async def receive():
        message = incoming.pop(0) if incoming else {"type": "http.disconnect"}
        received.append(message)
        return message

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in
    # this one, and asyncio.run() refuses to start a second.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent, received


def test_a_streamed_body_past_the_limit_is_cut_off_with_413():
    called = []

    async def app(scope, receive, send):
        called.append(scope)

    chunk = b"x" * 100_000
    sent, received = _run_asgi(BodyLimit(app), chunks=[chunk] * 50)  # 5 MB, no length
    assert sent[0]["status"] == 413
    assert b"at most 1,000,000 bytes" in sent[1]["body"]
    assert len(received) == 11  # read up to the limit, not on to the end
    assert called == []


def test_an_announced_body_past_the_limit_is_refused_by_the_asgi_wrapper_unread():
    async def app(scope, receive, send):
        raise AssertionError("the application must not run")

    sent, received = _run_asgi(
        BodyLimit(app), chunks=[b"x"], headers=[(b"content-length", b"5000000")]
    )
    assert sent[0]["status"] == 413
    assert received == []


def test_a_streamed_body_within_the_limit_reaches_the_application_whole():
    bodies = []

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        bodies.append(body)

    _run_asgi(BodyLimit(app), chunks=[b"a" * 1000, b"b" * 1000, b""])
    assert bodies == [b"a" * 1000 + b"b" * 1000]
