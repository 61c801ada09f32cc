"""The 503 for a lost database: a notice for htmx requests, a page for browsers, JSON else."""

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from config.middleware import DatabaseUnavailableMiddleware


def _answer(**headers):
    """What the middleware answers when the view raised a lost-connection error."""
    request = RequestFactory().post("/designs/1/sections/a/edit/", headers=headers)
    HtmxMiddleware(lambda r: HttpResponse())(request)  # sets request.htmx, as in the stack
    middleware = DatabaseUnavailableMiddleware(lambda r: HttpResponse())
    response = middleware.process_exception(request, OperationalError("connection lost"))
    assert response is not None
    assert response.status_code == 503
    return response


def test_htmx_request_gets_a_notice_put_at_the_top_of_the_page():
    response = _answer(hx_request="true", accept="text/html")
    assert response["HX-Retarget"] == "#main"
    assert response["HX-Reswap"] == "afterbegin"
    assert response.content.decode().lstrip().startswith('<ul class="messages" role="alert">')


@pytest.mark.parametrize(
    "headers",
    [
        {"hx_request": "true", "hx_history_restore_request": "true", "accept": "text/html"},
        {"hx_request": "false", "accept": "text/html"},
    ],
    ids=["history-restore", "hx-request-false"],
)
def test_a_request_htmx_does_not_swap_in_gets_the_whole_page(headers):
    response = _answer(**headers)
    assert "HX-Retarget" not in response
    assert "HX-Reswap" not in response
    assert "<html" in response.content.decode()


def test_api_client_gets_json():
    response = _answer(accept="application/json")
    assert response["Content-Type"] == "application/json"
    assert "HX-Retarget" not in response
