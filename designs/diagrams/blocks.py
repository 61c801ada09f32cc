"""Where a section's diagrams are, and the HTML each one shows in its state.

designs.markdown renders a ```` ```mermaid ```` fence like any other code block whose
language Pygments does not know: ``<pre><code class="language-mermaid">`` and the escaped
source (tests/designs/diagrams checks that it still does). That block is the diagram's
place in the stored ``body_html``, which stays the same for every reader and every state;
what stands there (the image, a placeholder, an error) is put in when the HTML is shown
(``show``), from the diagrams' states.
"""

import base64
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from designs.diagrams import renderer

BLOCK = re.compile(r'<pre><code class="language-mermaid">(.*?)</code></pre>', re.DOTALL)
_ACCESSIBLE = re.compile(r"^\s*acc(Title|Descr)\s*:\s*(.+)$", re.MULTILINE)

# What a block shows, by its state.
READY, PENDING, FAILED = "ready", "pending", "failed"
UNAVAILABLE, TOO_LARGE, OVER_LIMIT, UNRECORDED = (
    "unavailable",
    "too_large",
    "over_limit",
    "unrecorded",
)


@dataclass(frozen=True)
class Shown:
    state: str
    error: str = ""
    svg: str = ""  # for ``data:`` images (preview, PDF)


def has_blocks(body_html: str) -> bool:
    return 'class="language-mermaid"' in body_html


def sources(body_html: str) -> list[str]:
    """The diagrams' sources in ``body_html``, in order, each once."""
    found = dict.fromkeys(html.unescape(match[1]) for match in BLOCK.finditer(body_html))
    return list(found)


def diagram_key(source: str) -> str:
    """SHA-256 of the source, the Mermaid version and the renderer's settings."""
    return hashlib.sha256(f"{renderer.settings_digest()}\n{source}".encode()).hexdigest()


def keys(body_html: str) -> dict[str, str]:
    """key -> source, for the diagrams of ``body_html`` that are small enough to draw."""
    limit = settings.CRIT_DIAGRAM_MAX_CHARS
    return {diagram_key(s): s for s in sources(body_html) if len(s) <= limit}


def show(body_html: str, state_of: Callable[[str, str], Shown], *, image: Callable) -> str:
    """``body_html`` with each diagram block replaced by what it shows: ``state_of(key,
    source)`` tells the state; ``image(key, shown)`` the ``src`` of a ready one."""

    def block(match: re.Match[str]) -> str:
        source = html.unescape(match[1])
        if len(source) > settings.CRIT_DIAGRAM_MAX_CHARS:
            shown = Shown(TOO_LARGE)
            key = ""
        else:
            key = diagram_key(source)
            shown = state_of(key, source)
        return figure(source, shown, src=image(key, shown) if shown.state == READY else "")

    return BLOCK.sub(block, body_html)


def alt_text(source: str) -> str:
    """The diagram's own accessible title and description, else its kind."""
    described = [text.strip() for _, text in _ACCESSIBLE.findall(source)]
    if described:
        return ". ".join(described)
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    kind = first.split()[0] if first and not first.startswith("%%") else "Mermaid"
    return f"Diagram ({kind[:40]}); its source is below."


def figure(source: str, shown: Shown, *, src: str = "") -> str:
    notes = {
        PENDING: "Drawing this diagram…",
        UNRECORDED: "This diagram is drawn the next time its section is saved.",
        UNAVAILABLE: (
            "Diagrams are not rendered on this server (it has no Chromium); "
            "the diagram's source is shown."
        ),
        TOO_LARGE: (
            f"This diagram is too large to draw (at most "
            f"{settings.CRIT_DIAGRAM_MAX_CHARS:,} characters); its source is shown."
        ),
        OVER_LIMIT: (
            f"This design shows more than {settings.CRIT_DIAGRAMS_PER_DESIGN} different "
            "diagrams; this one is not drawn and its source is shown."
        ),
    }
    code = format_html('<pre><code class="language-mermaid">{}</code></pre>', source)
    if shown.state == READY:
        return format_html(
            '<figure class="diagram"><img src="{}" alt="{}" loading="lazy">'
            "<details><summary>Source</summary>{}</details></figure>",
            src,
            alt_text(source),
            code,
        )
    if shown.state == FAILED:
        return format_html(
            '<figure class="diagram diagram-error"><p class="diagram-note" role="note">'
            "This diagram could not be drawn: <code>{}</code></p>{}</figure>",
            shown.error,
            code,
        )
    return format_html(
        '<figure class="diagram diagram-{}"><p class="diagram-note" role="note">{}</p>{}</figure>',
        shown.state.replace("_", "-"),
        notes[shown.state],
        code,
    )


def svg_url(design_id: int, key: str) -> str:
    return reverse("diagrams:svg", args=[design_id, key])


def data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
