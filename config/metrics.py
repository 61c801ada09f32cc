"""Prometheus metrics: what Crit counts, and the ``/metrics`` endpoint that shows them.

Counted in every process that handles work (web processes and Celery workers):

- requests per view (the resolver's route name, never the path), method and status, with
  their latency and their SQL queries (``MetricsMiddleware``);
- page, section-card and thread-panel cache hits and misses (``cache_lookups``);
- Celery task runs per task and outcome, with their durations (``config.celery`` connects
  the task signals to ``task_started`` / ``task_finished``);
- export queue wait and run time per format and outcome (``export_started``);
- sign-in lockouts and rate-limit refusals (``signin_locked_out``, ``rate_limited``).

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts), each process writes its
values to files in that directory and ``/metrics`` adds up every process's files; without it
each process keeps its own values in memory and ``/metrics`` shows that process's only.
docs/operations.md says how to run it.

``/metrics`` answers only a caller with the bearer token ``CRIT_METRICS_TOKEN`` or from an
address in ``CRIT_METRICS_ALLOW``; everyone else gets the 404 of an unknown URL.
"""

import hmac
import ipaddress
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_DIR_ENV)
    return Path(value) if value else None


_HOST = socket.gethostname().replace("_", "-").replace("/", "-") or "host"
_identifiers: dict[int, str] = {}


def process_identifier() -> str:
    """Names this process's files: the host and the pid, since web processes and workers
    in other containers (other pid namespaces) may share the directory."""
    pid = os.getpid()
    found = _identifiers.get(pid)
    if found is None:
        found = _identifiers[pid] = f"{_HOST}-{pid}"
    return found


if multiprocess_dir() is not None:
    # Chosen before the first metric below is made.
    values.ValueClass = values.MultiProcessValue(process_identifier)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 180.0)
WAIT_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

REQUESTS = Counter(
    "crit_http_requests",
    "Requests answered, per view (route name), method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "crit_http_request_duration_seconds",
    "Time from the first middleware to the response, per view, method and status.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
REQUEST_QUERIES = Histogram(
    "crit_http_request_db_queries",
    "SQL statements one request ran, per view.",
    ["view"],
    buckets=QUERY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "crit_cache_lookups",
    "Lookups of cached HTML: whole pages, section cards and thread panels.",
    ["cache", "result"],
)
TASK_RUNS = Counter(
    "crit_celery_task_runs",
    "Celery task runs per task and outcome (success, failure, retry, ...).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "crit_celery_task_duration_seconds",
    "Celery task run time per task and outcome.",
    ["task", "outcome"],
    buckets=TASK_BUCKETS,
)
EXPORT_QUEUE_WAIT = Histogram(
    "crit_export_queue_wait_seconds",
    "From an export's request to a worker starting it (first attempts), per format.",
    ["format"],
    buckets=WAIT_BUCKETS,
)
EXPORT_SECONDS = Histogram(
    "crit_export_duration_seconds",
    "Export run time per format and outcome (done, failed, retry, skipped, error).",
    ["format", "outcome"],
    buckets=TASK_BUCKETS,
)
SIGNIN_LOCKOUTS = Counter(
    "crit_signin_lockouts",
    "Sign-ins refused because the account or the address is locked out.",
    ["scope"],
)
RATE_LIMITED = Counter(
    "crit_rate_limit_refusals",
    "Actions refused for going over a rate limit, per limit.",
    ["limit"],
)


def enabled() -> bool:
    return bool(getattr(settings, "CRIT_METRICS", True))


# --- Counting ---------------------------------------------------------------------------


def cache_lookups(cache: str, *, hits: int, misses: int) -> None:
    """Count ``hits`` and ``misses`` of one of the HTML caches (page, card, threads)."""
    if hits:
        CACHE_LOOKUPS.labels(cache, "hit").inc(hits)
    if misses:
        CACHE_LOOKUPS.labels(cache, "miss").inc(misses)


def signin_locked_out(scope: str) -> None:
    SIGNIN_LOCKOUTS.labels(scope).inc()


def rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit).inc()


_export_format: ContextVar[str | None] = ContextVar("export_format", default=None)


def export_started(job: Any) -> None:
    """A worker started ``job`` (an ExportJob): its queue wait, on its first attempt; the
    task's end (``task_finished``) then records the run time under the job's format."""
    _export_format.set(str(job.format))
    if job.attempts == 1 and job.started_at is not None:
        since = job.enqueued_at or job.created_at
        wait = (job.started_at - since).total_seconds()
        EXPORT_QUEUE_WAIT.labels(job.format).observe(max(wait, 0.0))


_task_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _task_started[task_id] = time.perf_counter()
    _export_format.set(None)


def task_finished(task_id: str, task_name: str, state: str | None, retval: Any) -> None:
    started = _task_started.pop(task_id, None)
    outcome = (state or "unknown").lower()
    TASK_RUNS.labels(task_name, outcome).inc()
    if started is None:
        return
    seconds = time.perf_counter() - started
    TASK_SECONDS.labels(task_name, outcome).observe(seconds)
    export_format = _export_format.get()
    if export_format is not None:
        _export_format.set(None)
        if outcome == "success":
            outcome = retval if isinstance(retval, str) else "done"
        EXPORT_SECONDS.labels(export_format, outcome).observe(seconds)


# --- Requests ---------------------------------------------------------------------------


class _QueryCounter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        self.count += 1
        return execute(sql, params, many, context)


def view_name(request: HttpRequest) -> str:
    """The resolver's route name ("designs:detail"); never the path, so the number of
    label values stays that of the URL patterns."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or "<unnamed>"


class MetricsMiddleware:
    """Counts every request with its view, method, status, latency and SQL queries. Goes
    right after ``RequestIdMiddleware``, so it times nearly the whole chain."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        seconds = time.perf_counter() - started
        key = (view_name(request), request.method or "", response.status_code)
        children = _request_children.get(key)
        if children is None:
            children = _request_children[key] = _request_children_make(*key)
        count, latency, queries = children
        count.inc()
        latency.observe(seconds)
        queries.observe(counter.count)
        return response


_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
# The labelled series per (view, method, status), looked up once: ``labels()`` costs more
# than the increments.
_request_children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}


def _request_children_make(view: str, method: str, status: int) -> tuple[Any, Any, Any]:
    method = method if method in _METHODS else "other"
    labels = (view, method, str(status))
    return REQUESTS.labels(*labels), REQUEST_SECONDS.labels(*labels), REQUEST_QUERIES.labels(view)


# --- Backlog, read when scraped ---------------------------------------------------------


class BacklogCollector(Collector):
    """What is waiting, read from the database and the broker at each scrape: export jobs
    per state (queued, running), the age of the oldest queued one, and the Celery queue's
    length in Redis."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count, Min
        from django.utils import timezone

        from exports.models import ExportJob  # exports sits above config's imports

        jobs = GaugeMetricFamily(
            "crit_export_jobs", "Export jobs waiting or running, per status.", labels=["status"]
        )
        active = [str(s) for s in ExportJob.ACTIVE_STATUSES]
        rows = (
            ExportJob.objects.filter(status__in=active)
            .values("status")
            .annotate(n=Count("pk"), oldest=Min("created_at"))
        )
        counts = {status: 0 for status in active}
        oldest = None
        for row in rows:
            counts[row["status"]] = row["n"]
            if row["status"] == ExportJob.Status.QUEUED:
                oldest = row["oldest"]
        for status, n in counts.items():
            jobs.add_metric([status], n)
        yield jobs
        age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "crit_export_oldest_queued_seconds",
            "Age of the oldest queued export job (0 when none waits).",
            value=max(age, 0.0),
        )
        length = _broker_queue_length()
        if length is not None:
            yield GaugeMetricFamily(
                "crit_celery_queue_length",
                "Tasks waiting in the Celery queue in Redis.",
                value=length,
            )


def _broker_queue_length() -> int | None:
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return int(client.llen("celery"))  # type: ignore[arg-type]
        finally:
            client.close()
    except redis.RedisError:
        return None


# --- The endpoint -----------------------------------------------------------------------


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in settings.CRIT_METRICS_ALLOW]


def caller_allowed(request: HttpRequest) -> bool:
    """The bearer token ``CRIT_METRICS_TOKEN``, or an address in ``CRIT_METRICS_ALLOW``."""
    token: str = settings.CRIT_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    networks = _allowed_networks()
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


def exposition() -> bytes:
    """Every process's metrics in Prometheus' text format, and the backlog."""
    folder = multiprocess_dir()
    if folder is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(folder))
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    backlog = CollectorRegistry()
    backlog.register(BacklogCollector())
    return body + generate_latest(backlog)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for Prometheus. Everyone else, whatever the method, gets the 404 of an
    unknown URL: the endpoint's existence is not revealed."""
    if not enabled() or not caller_allowed(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- Multi-process housekeeping ---------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _own_host_files(folder: Path) -> Iterable[tuple[Path, int]]:
    prefix = f"{_HOST}-"
    for path in folder.glob("*.db"):
        ident = path.stem.rsplit("_", 1)[-1]
        if ident.startswith(prefix) and ident[len(prefix) :].isdigit():
            yield path, int(ident[len(prefix) :])


def multiprocess_dir_clean() -> int:
    """Remove the files of this host's processes that are gone (left by the previous run),
    never those of a running process nor of another host: called as a web server or a
    worker starts. Returns how many files were removed."""
    folder = multiprocess_dir()
    if folder is None:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    removed = 0
    for path, pid in _own_host_files(folder):
        if pid != os.getpid() and not _pid_alive(pid):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def process_exited(pid: int) -> None:
    """For gunicorn's ``child_exit``: drop the exited process's live gauges (Crit keeps
    none today). Its counters and histograms stay, so totals never go backwards while the
    server runs."""
    folder = multiprocess_dir()
    if folder is None:
        return
    for path in folder.glob(f"gauge_live*_{_HOST}-{pid}.db"):
        path.unlink(missing_ok=True)
