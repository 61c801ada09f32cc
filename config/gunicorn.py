"""gunicorn's hooks for multi-process metrics: ``gunicorn -c python:config.gunicorn config.wsgi``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker writes its metrics to files there and
``/metrics`` adds them up (``config.metrics``). Without it the hooks do nothing.
"""

from typing import Any


def on_starting(server: Any) -> None:
    """Before the first worker forks: remove the files this host's earlier processes left."""
    from config import metrics

    metrics.multiprocess_dir_clean()


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: drop its live gauges; its counters stay in the totals."""
    from config import metrics

    metrics.process_exited(worker.pid)
