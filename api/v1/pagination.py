"""Page-number pagination that serialises each row of the page with a given function.

A page costs two queries (the count and the page), whatever its size.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja.pagination import PageNumberPagination


class Page(PageNumberPagination):
    def __init__(self, *, serialize: Callable[[Any], dict[str, Any]], **kwargs: Any) -> None:
        self.serialize = serialize
        kwargs.setdefault("page_size", 25)
        kwargs.setdefault("max_page_size", 100)
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset, pagination, request: HttpRequest, **params) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = [self.serialize(row) for row in page[self.items_attribute]]
        return page
