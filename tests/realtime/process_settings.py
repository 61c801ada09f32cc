"""Settings of the ASGI processes that browser tests start (tests/realtime/processes.py):
Crit's own, with a channel-layer prefix and cache prefix of the test run's own, so processes
of concurrent runs on one Redis never hear each other."""

import os

from config.settings import *  # noqa: F403
from config.settings import CACHES, CHANNEL_LAYERS

_PREFIX = os.environ["CRIT_TEST_PREFIX"]
if "CONFIG" in CHANNEL_LAYERS["default"]:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _PREFIX
CACHES["default"]["KEY_PREFIX"] = _PREFIX
