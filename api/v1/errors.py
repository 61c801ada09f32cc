"""How the API answers when something goes wrong: always JSON ``{"detail": ...}``.

Services raise plain Python and Django exceptions; this module maps them to statuses so
every endpoint answers the same way: Http404 -> 404 (never revealing what exists),
PermissionError -> 403 with the reason, ValidationError -> 422 with the field,
SectionConflict -> 409 with the section as saved now, oversize text -> 413.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from config.ratelimit import LimitReached
from designs.services import SectionConflict


class PayloadTooLarge(Exception):
    """A text field is over its documented limit."""

    def __init__(self, *, field: str, limit: int, unit: str, size: int):
        super().__init__(f"“{field}” is {size:,} {unit}; the limit is {limit:,} {unit}.")
        self.field = field
        self.limit = limit
        self.unit = unit


class RateLimited(Exception):
    def __init__(self, *, retry_after: int, limit: int):
        super().__init__(
            f"Too many writes: the limit is {limit} a minute per user. "
            f"Try again in {retry_after} seconds."
        )
        self.retry_after = retry_after


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


class TooLargeOut(Schema):
    detail: str
    field: str
    limit: int
    unit: str


def validation_error(field: str | None, message: str) -> NinjaValidationError:
    loc: list[str | int] = ["body", field] if field else ["body"]
    return NinjaValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def from_django(
    exc: DjangoValidationError, *, rename: dict[str, str] | None = None
) -> NinjaValidationError:
    """A service's ValidationError as a 422 whose ``loc`` names the API's field."""
    rename = rename or {}
    errors: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.message_dict.items():
            name = rename.get(field, field)
            loc: list[str | int] = ["body"] if name == "__all__" else ["body", name]
            errors.extend({"loc": loc, "msg": msg, "type": "value_error"} for msg in field_errors)
    else:
        # A message about no one field; ``rename["__all__"]`` says which field it concerns.
        about = rename.get("__all__")
        plain: list[str | int] = ["body", about] if about else ["body"]
        errors.extend({"loc": plain, "msg": msg, "type": "value_error"} for msg in exc.messages)
    return NinjaValidationError(errors)


# Parameter names ninja puts in ``loc``; clients know fields, not our function signatures.
_PARAMETER_NAMES = {"payload", "filters"}


def _plain(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) if not isinstance(part, int) else part for part in error.get("loc", [])]
    if len(loc) > 1 and loc[1] in _PARAMETER_NAMES:
        del loc[1]
    return {"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""
    from api.v1.serializers import section_data

    def respond(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, {"detail": "Not found."}, 404)

    @api.exception_handler(PermissionError)
    def forbidden(request: HttpRequest, exc: PermissionError) -> HttpResponse:
        return respond(request, {"detail": str(exc) or "You may not do that."}, 403)

    @api.exception_handler(DjangoValidationError)
    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, {"detail": from_django(exc).errors}, 422)

    @api.exception_handler(SectionConflict)
    def conflict(request: HttpRequest, exc: SectionConflict) -> HttpResponse:
        current = section_data(exc.current)
        return respond(request, {"detail": str(exc), "current": current}, 409)

    @api.exception_handler(PayloadTooLarge)
    def too_large(request: HttpRequest, exc: PayloadTooLarge) -> HttpResponse:
        body = {"detail": str(exc), "field": exc.field, "limit": exc.limit, "unit": exc.unit}
        return respond(request, body, 413)

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = respond(request, {"detail": str(exc)}, 429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(LimitReached)
    def limit_reached(request: HttpRequest, exc: LimitReached) -> HttpResponse:
        response = respond(request, {"detail": " ".join(exc.messages)}, 429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = exc.message
        if detail == "Unauthorized":
            detail = "Sign in, or send a token: Authorization: Bearer <token>."
        response = respond(request, {"detail": detail}, 401)
        response["WWW-Authenticate"] = 'Bearer realm="crit"'
        return response

    @api.exception_handler(RequestDataTooBig)
    def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, {"detail": "The request body is too large."}, 413)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, RequestDataTooBig):
            return request_too_big(request, exc.__cause__)
        return respond(request, {"detail": str(exc)}, exc.status_code)

    @api.exception_handler(NinjaValidationError)
    def unprocessable(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, {"detail": [_plain(error) for error in exc.errors]}, 422)
