"""The JSON API, version 1: ``/api/v1/``, its schema at ``openapi.json``, docs at ``docs``."""

from ninja import NinjaAPI

from api.v1 import activity as activity_api
from api.v1 import (
    designs,
    errors,
    exports,
    links,
    reviews,
    rounds,
    signoffs,
    suggestions,
    teams,
    templates,
)
from api.v1 import search as search_api
from api.v1.auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="Crit API",
    version="1",
    description=(
        "Write and review system designs from scripts. Authenticate with a personal token "
        "(`Authorization: Bearer <token>`, from *API tokens* in your account) or the browser "
        'session (writes need the `X-CSRFToken` header). Errors are JSON `{"detail": ...}`: '
        "401 unauthenticated, 403 visible but not yours to change, 404 not visible, 409 stale "
        "`base_version`, 413 over a size limit, 422 invalid input (with the field), 429 too "
        "many writes (see `Retry-After`). Lists are paginated with `page` and `page_size`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
)
errors.install(api)
api.add_router("/", teams.router)
# Before designs: its /designs/import must not be read as /designs/{design_id}.
api.add_router("/", templates.router)
api.add_router("/", designs.router)
api.add_router("/", links.router)
api.add_router("/", reviews.router)
api.add_router("/", signoffs.router)
api.add_router("/", rounds.router)
api.add_router("/", exports.router)
api.add_router("/", search_api.router)
api.add_router("/", activity_api.router)
api.add_router("/", suggestions.router)
