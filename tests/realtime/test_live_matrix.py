"""The live sockets in the authorization matrix: every role of tests/security/authz.py
opening each live socket, each with the answer it must get (True: the handshake is
accepted; False: refused before it, the same way whether the design exists or not)."""

import pytest

from tests.realtime.conftest import communicator, run, session_cookie
from tests.security.authz import ROLES, World

pytestmark = pytest.mark.django_db(transaction=True)

# Rows in the order of ROLES: anonymous, outsider, other team, member, reviewer, comment author.
MATRIX = {
    "design": (False, False, False, True, True, True),
    "rival_design": (False, False, True, False, False, False),
    "missing_design": (False,) * 6,
    "huge_id": (False,) * 6,
    "anywhere": (False, True, True, True, True, True),
}


def paths(world: World) -> dict[str, str]:
    return {
        "design": f"/ws/designs/{world.design.pk}/live",
        "rival_design": f"/ws/designs/{world.rival_design.pk}/live",
        "missing_design": "/ws/designs/999999/live",
        "huge_id": f"/ws/designs/{10**18 - 1}/live",  # the longest id the route takes
        "anywhere": "/ws/live",
    }


def test_live_sockets_answer_every_role_as_the_matrix_says(django_capture_on_commit_callbacks):
    world = World(django_capture_on_commit_callbacks)
    users = {"anonymous": None, **world.users}
    cookies = {role: session_cookie(user) if user else None for role, user in users.items()}

    async def handshakes() -> dict[str, tuple[bool, ...]]:
        answers = {}
        for name, path in paths(world).items():
            row = []
            for role in ROLES:
                client = communicator(path, session=cookies[role])
                connected, _ = await client.connect(timeout=5)
                await client.disconnect()
                row.append(connected)
            answers[name] = tuple(row)
        return answers

    assert run(handshakes()) == MATRIX
