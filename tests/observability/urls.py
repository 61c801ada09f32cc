"""The app's URLs plus views that fail, for the error pages' request id."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def database_gone(request: HttpRequest) -> HttpResponse:
    raise OperationalError("connection refused")


urlpatterns = [
    path("test/boom", boom, name="test-boom"),
    path("test/database-gone", database_gone, name="test-database-gone"),
    *app_urlpatterns,
]
