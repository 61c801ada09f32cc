from prometheus_client import REGISTRY

from tests.faults.conftest import processes  # noqa: F401 (real processes)

TOKEN = "metrics-token-for-tests-5d1f"


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
