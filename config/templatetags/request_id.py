"""``{% request_id %}``: the id of the request being answered, for error pages rendered
without a context (Django's 500 page, the 503 page)."""

from django import template

from config import request_id as ids

register = template.Library()


@register.simple_tag
def request_id() -> str:
    return ids.current() or ""
