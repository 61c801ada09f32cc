"""Every request has an id: in its response header, its log lines, the tasks it enqueues and
the error pages a user may need to quote it from."""

import io
import json
import logging
import re
from types import SimpleNamespace

import pytest
from celery import signals
from django.test import Client

from config import request_id
from config.logging import JsonFormatter

pytestmark = pytest.mark.django_db

GIVEN = "lb-2f9a.7_Q"


def test_a_request_without_an_id_gets_a_new_one_in_the_response():
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_valid_request_id_is_kept():
    assert Client().get("/healthz", HTTP_X_REQUEST_ID=GIVEN)["X-Request-ID"] == GIVEN


@pytest.mark.parametrize(
    "bad",
    ["", "has space", "<script>", "x" * 65, "naïve", "a/b", "id\r\nSet-Cookie: x=1"],
)
def test_an_invalid_request_id_is_replaced(bad):
    answered = Client().get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_an_id_of_64_characters_is_kept():
    given = "A" * 64
    assert Client().get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.fixture
def json_console():
    """The configured console handler (with its filters), writing JSON lines to a buffer."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous_stream, previous_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(JsonFormatter())
    yield buffer
    handler.setStream(previous_stream)
    handler.setFormatter(previous_formatter)


def test_the_requests_log_lines_carry_its_id(json_console):
    Client().get("/no-such-page", HTTP_X_REQUEST_ID=GIVEN)  # Django logs "Not Found"
    logging.getLogger("crit.test").warning("outside any request")

    lines = [json.loads(line) for line in json_console.getvalue().splitlines()]
    not_found = [entry for entry in lines if entry["message"].startswith("Not Found")]
    assert not_found and all(entry["request_id"] == GIVEN for entry in not_found)
    outside = [entry for entry in lines if entry["message"] == "outside any request"]
    assert outside and "request_id" not in outside[0]


@pytest.fixture
def failing_views(settings):
    settings.ROOT_URLCONF = "tests.observability.urls"


def test_the_500_page_shows_the_request_id(failing_views):
    response = Client(raise_request_exception=False).get("/test/boom", HTTP_X_REQUEST_ID=GIVEN)
    assert response.status_code == 500
    assert response["X-Request-ID"] == GIVEN
    assert f"<code>{GIVEN}</code>" in response.content.decode()


def test_the_503_page_shows_the_request_id(failing_views):
    response = Client().get("/test/database-gone", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert f"<code>{response['X-Request-ID']}</code>" in response.content.decode()


def test_the_503_notice_for_htmx_shows_the_request_id(failing_views):
    response = Client().get("/test/database-gone", HTTP_X_REQUEST_ID=GIVEN, HTTP_HX_REQUEST="true")
    assert response.status_code == 503
    assert f"<code>{GIVEN}</code>" in response.content.decode()


class _Task:
    """What the task signals read of a task: its name and its request (the headers)."""

    name = "exports.run"

    def __init__(self, request: SimpleNamespace) -> None:
        self.request = request


def test_a_task_published_during_a_request_carries_its_id_and_runs_under_it():
    headers: dict = {}
    token = request_id.request_id_var.set(GIVEN)
    try:
        signals.before_task_publish.send(sender="exports.run", headers=headers, body=())
    finally:
        request_id.request_id_var.reset(token)
    assert headers[request_id.TASK_HEADER] == GIVEN

    # The worker side: the header is restored before the task runs, and dropped after.
    task = _Task(SimpleNamespace(**headers))
    signals.task_prerun.send(sender=task, task_id="t-1", task=task)
    assert request_id.current() == GIVEN
    signals.task_postrun.send(sender=task, task_id="t-1", task=task, state="SUCCESS")
    assert request_id.current() is None


def test_a_task_published_outside_a_request_has_no_id():
    headers: dict = {}
    signals.before_task_publish.send(sender="exports.run", headers=headers, body=())
    assert request_id.TASK_HEADER not in headers
