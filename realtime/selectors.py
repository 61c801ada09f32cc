"""Reads for sockets: who may open one, and whether they still may."""

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import Membership, User
from designs.models import Design, DesignReader
from designs.selectors import DesignAccess, design_get_for


def design_access(*, user: User, design_id: int) -> DesignAccess:
    """The design's access helper, for a socket: Http404 to anyone who may not read it."""
    return design_get_for(user, design_id)


def session_user(*, session_key: str | None) -> User | None:
    """The user signed in by the stored session ``session_key`` if that session still
    exists, the account is active and the session's auth hash matches the user's current
    password; None otherwise."""
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    user_id = data.get(SESSION_KEY)
    if user_id is None or BACKEND_SESSION_KEY not in data:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if not constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return None
    return user


def socket_still_allowed(
    *, user_id: int, session_key: str | None, design_id: int, can_edit: bool
) -> bool:
    """Whether a socket opened by ``user_id`` with ``session_key`` on ``design_id`` may stay
    open: the session is live and current, and the user still reads the design (and still
    edits it, if the socket was opened for editing)."""
    user = session_user(session_key=session_key)
    if user is None or user.pk != user_id:
        return False
    try:
        access = design_get_for(user, design_id)
    except Http404:
        return False
    return access.can_edit or not can_edit


@dataclass(frozen=True)
class SocketCheck:
    """One open socket, as the periodic re-check sees it."""

    key: int
    user_id: int
    session_key: str | None
    design_id: int
    can_edit: bool


def sockets_still_allowed(*, checks: list[SocketCheck]) -> set[int]:
    """The keys of ``checks`` whose socket may stay open (as ``socket_still_allowed``),
    in a handful of queries whatever their number: the periodic re-check of every socket
    of a process at once."""
    if not checks:
        return set()
    sessions = _session_users(key for c in checks if c.session_key for key in [c.session_key])
    users = User.objects.filter(pk__in={c.user_id for c in checks}, is_active=True).in_bulk()
    teams = dict(
        Design.objects.filter(pk__in={c.design_id for c in checks}).values_list("pk", "team_id")
    )
    members = set(
        Membership.objects.filter(
            user_id__in=users.keys(), team_id__in=set(teams.values())
        ).values_list("user_id", "team_id")
    )
    readers = set(
        DesignReader.objects.filter(
            user_id__in=users.keys(), design_id__in=teams.keys()
        ).values_list("user_id", "design_id")
    )
    allowed = set()
    for check in checks:
        user = users.get(check.user_id)
        session = sessions.get(check.session_key or "")
        if user is None or session is None or session[0] != str(user.pk):
            continue
        if not constant_time_compare(session[1], user.get_session_auth_hash()):
            continue
        team = teams.get(check.design_id)
        is_member = (user.pk, team) in members
        if is_member or (not check.can_edit and (user.pk, check.design_id) in readers):
            allowed.add(check.key)
    return allowed


def _session_users(keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """session key -> (user id, auth hash) of the live sessions among ``keys``."""
    keys = set(keys)
    found = {}
    if settings.SESSION_ENGINE in _DB_SESSION_ENGINES:
        rows = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
        for row in rows:
            data = row.get_decoded()
            if SESSION_KEY in data and BACKEND_SESSION_KEY in data:
                found[row.session_key] = (str(data[SESSION_KEY]), data.get(HASH_SESSION_KEY, ""))
        return found
    engine = import_module(settings.SESSION_ENGINE)
    for key in keys:
        data = engine.SessionStore(key).load()
        if SESSION_KEY in data and BACKEND_SESSION_KEY in data:
            found[key] = (str(data[SESSION_KEY]), data.get(HASH_SESSION_KEY, ""))
    return found


# Engines whose sessions are all in the database (cached_db writes through to it).
_DB_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)
