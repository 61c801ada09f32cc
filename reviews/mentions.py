"""@mentions in rendered comment HTML.

Mentions are found in text only (never inside code, pre or links). A mention of someone who
can see the design becomes a link; anyone else's stays plain text.
"""

import html
import re
from collections.abc import Callable

_TAG = re.compile(r"(<[^>]+>)")
_MENTION = re.compile(r"(?<![\w@.+-])@([\w](?:[\w.+-]*[\w+-])?)")
_SKIP_TAGS = {"code", "pre", "a"}


def _walk_text(rendered: str, on_text: Callable[[str], str]) -> str:
    parts = _TAG.split(rendered)
    depth = 0
    out = []
    for part in parts:
        if part.startswith("<"):
            name = part[1:].lstrip("/").split(None, 1)[0].rstrip(">/").lower() if part else ""
            if name in _SKIP_TAGS and not part.endswith("/>"):
                depth += -1 if part.startswith("</") else 1
                depth = max(depth, 0)
            out.append(part)
        elif depth == 0 and part:
            out.append(on_text(part))
        else:
            out.append(part)
    return "".join(out)


def mentioned_names(rendered: str) -> set[str]:
    """Lower-cased usernames mentioned in the text of ``rendered``."""
    found: set[str] = set()

    def collect(text: str) -> str:
        found.update(m.group(1).lower() for m in _MENTION.finditer(text))
        return text

    _walk_text(rendered, collect)
    return found


def link_mentions(rendered: str, *, links: dict[str, tuple[str, str, str]]) -> str:
    """Replace mentions of the lower-cased names in ``links`` with links.

    ``links`` maps a lower-cased username to (username, href, title).
    """
    if not links:
        return rendered

    def replace(match: re.Match[str]) -> str:
        target = links.get(match.group(1).lower())
        if target is None:
            return match.group(0)
        username, href, title = target
        return (
            f'<a class="mention" href="{html.escape(href)}" title="{html.escape(title)}">'
            f"@{html.escape(username)}</a>"
        )

    return _walk_text(rendered, lambda text: _MENTION.sub(replace, text))
