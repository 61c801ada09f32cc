"""Page-number pagination that serialises each row of the page with a given function.

A page costs two queries (the count and the page), whatever its size.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE_SIZE = 100


class Page(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, *, serialize: Callable[[Any], dict[str, Any]], **kwargs: Any) -> None:
        self.serialize = serialize
        kwargs.setdefault("page_size", 25)
        kwargs.setdefault("max_page_size", MAX_PAGE_SIZE)
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset, pagination, request: HttpRequest, **params) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = [self.serialize(row) for row in page[self.items_attribute]]
        return page
