"""The ASGI lifespan: shutting down saves every open room."""

from unittest import mock

from asgiref.testing import ApplicationCommunicator

from tests.realtime.conftest import run


async def _lifespan() -> list[dict]:
    from config.asgi import application

    server = ApplicationCommunicator(application, {"type": "lifespan"})
    await server.send_input({"type": "lifespan.startup"})
    answers = [await server.receive_output(timeout=5)]
    await server.send_input({"type": "lifespan.shutdown"})
    answers.append(await server.receive_output(timeout=5))
    return answers


def test_lifespan_shutdown_saves_the_rooms():
    with mock.patch("realtime.rooms.RoomRegistry.shutdown") as shutdown:
        answers = run(_lifespan())
    assert [a["type"] for a in answers] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    shutdown.assert_called_once()


def test_lifespan_shutdown_completes_even_if_saving_fails():
    with mock.patch("realtime.rooms.RoomRegistry.shutdown", side_effect=RuntimeError("db")):
        answers = run(_lifespan())
    assert answers[-1]["type"] == "lifespan.shutdown.complete"
