"""Mermaid's SVG made safe to store and serve: an image and nothing else.

The SVG is parsed as XML (the renderer serialises it with XMLSerializer; a document type or
entity is refused) and rebuilt from an allow-list: SVG drawing elements only (no script,
foreignObject, iframe, image, animation or anything outside the SVG namespace; a link keeps
its content, not itself), no ``on*`` handler, no link but to a fragment of the SVG itself
(``#id``), and no ``url()``, ``@import`` or ``javascript:`` in styles but fragment ones. The
root gets the view box's width and height, so an ``<img>`` has a natural size.
"""

import re
import xml.etree.ElementTree as ET

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

ALLOWED_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "style", "path", "rect", "circle",
    "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath", "marker",
    "clipPath", "mask", "pattern", "linearGradient", "radialGradient", "stop", "filter",
    "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feFlood",
    "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset", "feDropShadow",
    "feFuncA", "feFuncR", "feFuncG", "feFuncB", "switch",
}  # fmt: skip
UNWRAPPED = {"a"}  # kept for their content
LINK_ATTRIBUTES = {"href", f"{{{XLINK}}}href"}
_URL = re.compile(r"url\s*\(\s*(['\"]?)\s*([^)'\"]*)", re.IGNORECASE)
_DANGEROUS_CSS = re.compile(
    r"@import|expression\s*\(|javascript\s*:|behavior\s*:|-moz-binding|\\", re.IGNORECASE
)


class UnsafeSVG(ValueError):
    """Not an SVG this module can vouch for."""


def sanitize_svg(svg: str) -> str:
    """The SVG rebuilt from the allow-list; raises UnsafeSVG if it cannot be parsed."""
    if "<!" in svg:
        raise UnsafeSVG("The SVG has a document type, entity or CDATA section")
    try:
        root = ET.fromstring(svg)  # noqa: S314 - no DTD (refused above), so no entities
    except ET.ParseError as exc:
        raise UnsafeSVG(f"Not well-formed: {exc}") from exc
    if root.tag != f"{{{SVG}}}svg":
        raise UnsafeSVG("The root is not an SVG element")
    _clean(root)
    _natural_size(root)
    # The prefix map is global and other code may change it: name ours at every use.
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    return ET.tostring(root, encoding="unicode")


def _local(tag: object) -> str | None:
    if not isinstance(tag, str) or not tag.startswith(f"{{{SVG}}}"):
        return None  # another namespace, a comment or a processing instruction
    return tag[len(SVG) + 2 :]


def _clean(element: ET.Element) -> None:
    _clean_attributes(element)
    if _local(element.tag) == "style":
        element.text = clean_css(element.text or "")
        for child in list(element):
            element.remove(child)
        return
    children = list(element)
    kept: list[ET.Element] = []
    for child in children:
        name = _local(child.tag)
        if name in ALLOWED_ELEMENTS:
            _clean(child)
            kept.append(child)
        elif name in UNWRAPPED:
            _clean(child)
            kept.extend(_unwrap(child))
        elif child.tail and child.tail.strip():
            kept.append(_text_holder(child.tail))
    # Rebuild: text kept in order, removed elements (and their content) gone.
    for child in children:
        element.remove(child)
    for child in kept:
        element.append(child)


def _unwrap(element: ET.Element) -> list[ET.Element]:
    """A link's children, as a group (its own text and tail kept with it)."""
    group = ET.Element(f"{{{SVG}}}g")
    group.text, group.tail = element.text, element.tail
    for child in list(element):
        group.append(child)
    return [group]


def _text_holder(text: str) -> ET.Element:
    holder = ET.Element(f"{{{SVG}}}g")
    holder.tail = text
    return holder


def _clean_attributes(element: ET.Element) -> None:
    for name, value in list(element.attrib.items()):
        local = name.rsplit("}", 1)[-1].lower()
        namespace = name[1:].split("}", 1)[0] if name.startswith("{") else ""
        drop = (
            local.startswith("on")
            or namespace not in ("", XLINK, XML)
            or (name in LINK_ATTRIBUTES and not value.strip().startswith("#"))
            or "javascript:" in re.sub(r"\s", "", value).lower()
        )
        if not drop and (local == "style" or "url(" in value.lower()):
            cleaned = clean_css(value)
            if cleaned != value:
                element.attrib[name] = cleaned
            continue
        if drop:
            del element.attrib[name]


def clean_css(css: str) -> str:
    """CSS without imports, scripts, escapes or ``url()`` that leaves the document."""
    css = _DANGEROUS_CSS.sub("", css)

    def fragment_only(match: re.Match[str]) -> str:
        target = match[2].strip()
        return match[0] if target.startswith("#") else "url(#none"

    return _URL.sub(fragment_only, css)


def _natural_size(root: ET.Element) -> None:
    box = (root.get("viewBox") or "").replace(",", " ").split()
    root.attrib.pop("style", None)
    if len(box) == 4:
        try:
            width, height = float(box[2]), float(box[3])
        except ValueError:
            return
        if width > 0 and height > 0:
            root.set("width", f"{width:.2f}")
            root.set("height", f"{height:.2f}")
