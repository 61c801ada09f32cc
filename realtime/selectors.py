"""Reads for sockets: who may open one, and whether they still may."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.http import Http404
from django.utils.crypto import constant_time_compare

from accounts.models import User
from designs.selectors import DesignAccess, design_get_for


def design_access(*, user: User, design_id: int) -> DesignAccess:
    """The design's access helper, for a socket: Http404 to anyone who may not read it."""
    return design_get_for(user, design_id)


def session_user_id(*, session_key: str | None) -> int | None:
    """The user signed in by the stored session ``session_key`` if that session still
    exists and its auth hash matches the user's current password; None otherwise."""
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
    return user.pk


def socket_still_allowed(
    *, user_id: int, session_key: str | None, design_id: int, can_edit: bool
) -> bool:
    """Whether a socket opened by ``user_id`` with ``session_key`` on ``design_id`` may stay
    open: the session is live and current, and the user still reads the design (and still
    edits it, if the socket was opened for editing)."""
    if session_user_id(session_key=session_key) != user_id:
        return False
    user = User.objects.get(pk=user_id)
    try:
        access = design_get_for(user, design_id)
    except Http404:
        return False
    return access.can_edit or not can_edit
