"""Mermaid source to SVG in one warm, offline Chromium per process.

One thread per process owns Playwright (its sync API belongs to the thread that started it)
and a Chromium with the vendored ``mermaid.min.js`` loaded once in a blank page; callers
hand it sources through a queue and wait for the answer. The page has no network: every
request is aborted, and the context is offline.

A render that takes longer than CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS (Mermaid has had
infinite loops, CVE-2026-41150) is abandoned: the browser is closed, its processes killed,
and a new one started for the next diagram. A caller never waits much longer than the
timeout, even if the browser does not answer at all.

Without Chromium (``CRIT_CHROMIUM_PATH`` missing) ``render`` raises RendererUnavailable at
once and nothing is started.
"""

import contextlib
import hashlib
import json
import logging
import os
import queue
import signal
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

VENDOR = Path(__file__).resolve().parent / "vendor"
MERMAID_JS = VENDOR / "mermaid.min.js"
MERMAID_MANIFEST = VENDOR / "mermaid.json"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
FONT_FAMILY = "DejaVu Sans"  # fonts-dejavu-core: the same face for Chromium and WeasyPrint

# Mermaid's configuration; part of every diagram's key. Diagrams may not change any of it
# (``secure``): ``%%{init}%%`` directives and front matter that name these keys are ignored.
MERMAID_CONFIG: dict = {
    "startOnLoad": False,
    "securityLevel": "strict",
    "htmlLabels": False,
    "flowchart": {"htmlLabels": False},
    "class": {"htmlLabels": False},
    "state": {"htmlLabels": False},
    "theme": "neutral",
    "fontFamily": FONT_FAMILY,
    "themeVariables": {"fontFamily": FONT_FAMILY},
    "deterministicIds": True,
    "suppressErrorRendering": True,
    "maxEdges": 500,
    "secure": [
        "secure",
        "securityLevel",
        "startOnLoad",
        "maxTextSize",
        "maxEdges",
        "suppressErrorRendering",
        "htmlLabels",
        "flowchart",
        "class",
        "state",
        "theme",
        "themeCSS",
        "themeVariables",
        "fontFamily",
        "altFontFamily",
        "darkMode",
        "dompurifyConfig",
        "deterministicIds",
        "deterministicIDSeed",
        "look",
        "handDrawnSeed",
    ],
}

# Runs in the page: render one source, leave the answer in window.__crit.
_KICK_OFF = """
(source) => {
  window.__crit = null;
  setTimeout(async () => {
    try {
      const { svg } = await mermaid.render("diagram", source);
      // As XML, parsed in an inert document (nothing in it runs or loads).
      const parsed = new DOMParser().parseFromString(svg, "text/html").querySelector("svg");
      window.__crit = { svg: new XMLSerializer().serializeToString(parsed) };
    } catch (error) {
      window.__crit = { error: String((error && (error.message || error.str)) || error) };
    }
    document.querySelectorAll("body > :not(#keep)").forEach((node) => node.remove());
  }, 0);
}
"""


class RendererUnavailable(Exception):
    """No Chromium on this machine: diagrams are not rendered here."""


class RenderTimeout(Exception):
    """The diagram took longer than the render timeout and was abandoned."""


class RendererStuck(Exception):
    """The renderer did not answer at all (a browser that would not start or close): the
    diagram is not to blame, and may be tried again."""


class DiagramSyntaxError(Exception):
    """Mermaid refused the source; the message is Mermaid's own."""


@dataclass(frozen=True)
class Rendered:
    svg: str
    milliseconds: int


@cache
def mermaid_version() -> str:
    return json.loads(MERMAID_MANIFEST.read_text())["version"]


def settings_digest() -> str:
    """What, besides the source, decides a diagram's SVG."""
    payload = json.dumps([mermaid_version(), MERMAID_CONFIG], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def chromium_path() -> str:
    return settings.CRIT_CHROMIUM_PATH


def available() -> bool:
    path = chromium_path()
    return bool(path) and os.access(path, os.X_OK)


def timeout_seconds() -> float:
    return float(settings.CRIT_DIAGRAM_RENDER_TIMEOUT_SECONDS)


_lock = threading.Lock()
_worker: "_Worker | None" = None


def render(source: str) -> Rendered:
    """The SVG of ``source``, as Mermaid draws it (not yet sanitised).

    Raises DiagramSyntaxError with Mermaid's message, RenderTimeout after the render
    timeout (the browser is restarted), RendererUnavailable without Chromium, and
    RendererStuck when the browser does not answer at all (a cold start on a machine too
    busy to start it in time, say).
    """
    global _worker
    if not available():
        raise RendererUnavailable(f"No Chromium at {chromium_path()!r}")
    with _lock:
        if _worker is None or not _worker.alive() or _worker.pid != os.getpid():
            _worker = _Worker(chromium_path())
        worker = _worker
    return worker.submit(source, timeout_seconds())


def shutdown() -> None:
    """Stop this process's browser (tests, and the end of a benchmark)."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.stop()


class _Worker:
    """The thread that owns Playwright and the browser; one per process."""

    # A caller waits this long past the render timeout for the thread to answer (it is
    # starting a browser, say) before giving up on it and starting another.
    GRACE_SECONDS = 20.0

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.pid = os.getpid()
        self.jobs: queue.Queue[tuple[str, float, Future] | None] = queue.Queue()
        self.stuck = False
        # Chromium ignores flags it does not know: this one names our browser's processes.
        self.marker = f"--crit-diagram-renderer={uuid.uuid4().hex}"
        self.thread = threading.Thread(target=self._run, name="mermaid-renderer", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive() and not self.stuck

    def submit(self, source: str, timeout: float) -> Rendered:
        future: Future = Future()
        self.jobs.put((source, timeout, future))
        wait = timeout + self.GRACE_SECONDS
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            # The thread itself hangs (a browser that does not close): never reuse it.
            self.stuck = True
            self._kill_browser()
            raise RendererStuck(f"The renderer gave no answer in {wait:g} s") from None

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=10)

    # In the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            self.playwright = playwright
            browser = page = None
            while (job := self.jobs.get()) is not None:
                source, timeout, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if page is None:
                        browser, page = self._start()
                    future.set_result(self._render(page, source, timeout))
                except RenderTimeout as exc:
                    future.set_exception(exc)
                    self._close(browser)
                    browser = page = None
                except DiagramSyntaxError as exc:
                    future.set_exception(exc)
                except Exception as exc:  # the browser crashed or would not start
                    logger.exception("diagram renderer failed; restarting the browser")
                    future.set_exception(exc)
                    self._close(browser)
                    browser = page = None
            self._close(browser)

    def _start(self):
        browser = self.playwright.chromium.launch(
            executable_path=self.executable,
            args=[*CHROMIUM_ARGS, self.marker],
            headless=True,
            timeout=30_000,
        )
        context = browser.new_context(offline=True, java_script_enabled=True)
        context.route("**/*", lambda route: route.abort())
        page = context.new_page()
        page.set_content('<!doctype html><html><body><div id="keep"></div></body></html>')
        page.add_script_tag(content=MERMAID_JS.read_text())
        page.evaluate("(config) => mermaid.initialize(config)", MERMAID_CONFIG)
        return browser, page

    def _render(self, page, source: str, timeout: float) -> Rendered:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        started = time.perf_counter()
        page.evaluate(_KICK_OFF, source)
        try:
            handle = page.wait_for_function(
                "() => window.__crit", timeout=timeout * 1000, polling=20
            )
        except PlaywrightTimeout:
            raise RenderTimeout(f"The diagram took longer than {timeout:g} s to draw") from None
        answer = handle.json_value()
        milliseconds = round((time.perf_counter() - started) * 1000)
        if "error" in answer:
            raise DiagramSyntaxError(answer["error"])
        return Rendered(svg=answer["svg"], milliseconds=milliseconds)

    def _close(self, browser) -> None:
        self._kill_browser()  # a page stuck in a loop may not let the browser close cleanly
        if browser is not None:
            try:
                browser.close()
            except Exception:
                logger.warning("the diagram browser did not close", exc_info=True)

    def _kill_browser(self) -> None:
        """SIGKILL the browser this worker started, found by the marker on its command line
        (Playwright does not tell its process id)."""
        for pid in _pids_with(self.marker):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _pids_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
