"""The authorization matrix of the sockets: each role against the document socket of the
design in the matrix's world. Outsiders are refused exactly as a missing design is (the
handshake answers 403 alike); readers get the text but their edits are dropped; only the
team edits."""

import pytest

from realtime.rooms import registry
from realtime.ydoc import MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS
from tests.realtime.conftest import (  # noqa: F401 (a fixture)
    _socket_threads_connections_ended,
    communicator,
    run,
    session_cookie,
)
from tests.realtime.yclient import YClient
from tests.security.authz import ROLES, World

pytestmark = pytest.mark.django_db(transaction=True)

# anonymous, outsider, other team's member, team member, requested reviewer, comment author
DOCUMENT_SOCKET = "refused refused refused edit read read"


@pytest.fixture
def world(django_capture_on_commit_callbacks, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 60
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 60
    return World(django_capture_on_commit_callbacks)


async def _probe(path: str, session: str | None, mark: str = "probe") -> str:
    socket = communicator(path, session=session)
    connected, _ = await socket.connect(timeout=5)
    if not connected:
        return "refused"
    client = YClient()
    await socket.send_to(bytes_data=client.hello())
    await socket.send_to(bytes_data=client.append(mark))
    # The room answers messages in order: once it answers this query, it has handled the
    # edit before it.
    await socket.send_to(bytes_data=bytes([MESSAGE_QUERY_AWARENESS]))
    while (await socket.receive_from(timeout=10))[0] != MESSAGE_AWARENESS:
        pass
    room = next(iter(registry.rooms.values()))
    edited = mark in str(room.doc.get("body", type=type(client.text)))
    await socket.disconnect()
    return "edit" if edited else "read"


def test_each_role_gets_the_expected_answer_on_the_document_socket(world):
    path = f"/ws/designs/{world.design.pk}/sections/{world.section.key}"
    answers = []
    for role in ROLES:
        session = None if role == "anonymous" else session_cookie(world.users[role])
        answers.append(run(_probe(path, session, f"probe by {role}")))
    assert " ".join(answers) == DOCUMENT_SOCKET


def test_a_missing_design_is_refused_like_an_outsiders(world):
    session = session_cookie(world.users["member"])
    missing = f"/ws/designs/{world.rival_design.pk + 100}/sections/{world.section.key}"
    theirs = f"/ws/designs/{world.rival_design.pk}/sections/{world.section.key}"
    assert run(_probe(missing, session)) == run(_probe(theirs, session)) == "refused"


# The live sockets (realtime/consumers/design.py): the design page's and, on every other
# page, the inbox count's. "open" where the handshake is accepted.
LIVE_SOCKETS = {
    "design": "refused refused refused open open open",
    "rival_design": "refused refused open refused refused refused",
    "missing_design": "refused refused refused refused refused refused",
    "longest_id": "refused refused refused refused refused refused",
    "anywhere": "refused open open open open open",
}


async def _handshake(path: str, session: str | None) -> str:
    socket = communicator(path, session=session)
    connected, _ = await socket.connect(timeout=5)
    await socket.disconnect()
    return "open" if connected else "refused"


def test_each_role_gets_the_expected_answer_on_the_live_sockets(world):
    paths = {
        "design": f"/ws/designs/{world.design.pk}/live",
        "rival_design": f"/ws/designs/{world.rival_design.pk}/live",
        "missing_design": f"/ws/designs/{world.rival_design.pk + 100}/live",
        "longest_id": f"/ws/designs/{10**18 - 1}/live",  # the longest id the route takes
        "anywhere": "/ws/live",
    }
    sessions = {
        role: None if role == "anonymous" else session_cookie(world.users[role]) for role in ROLES
    }
    answers = {
        name: " ".join(run(_handshake(path, sessions[role])) for role in ROLES)
        for name, path in paths.items()
    }
    assert answers == LIVE_SOCKETS
