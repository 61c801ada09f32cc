"""The SVG a diagram is stored as: drawing elements only, nothing that runs or loads."""

import re

import pytest

from designs.diagrams.sanitize import UnsafeSVG, sanitize_svg

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def clean(inner: str, attrs: str = 'viewBox="0 0 100 50"') -> str:
    return sanitize_svg(f"<svg {NS} {attrs}>{inner}</svg>")


def assert_inert(svg: str) -> None:
    lowered = svg.lower()
    assert "<script" not in lowered
    assert "foreignobject" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)
    assert "@import" not in lowered
    assert not re.search(r"url\(\s*['\"]?\s*(?!#)", lowered)


@pytest.mark.parametrize(
    "inner",
    [
        "<script>alert(1)</script>",
        '<g onload="alert(1)"><rect onclick="alert(1)" width="1" height="1"/></g>',
        '<a href="javascript:alert(1)"><text>click</text></a>',
        '<a xlink:href="javascript:alert(1)"><text>click</text></a>',
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">'
        '<img src="x" onerror="alert(1)"/></div></foreignObject>',
        '<image href="https://evil.example/track.png"/>',
        '<use href="https://evil.example/sprite.svg#a"/>',
        "<style>@import url(https://evil.example/x.css); .a{background:url(http://e/x)}</style>",
        '<rect style="fill:url(https://evil.example/p)" width="1" height="1"/>',
        '<animate attributeName="href" to="javascript:alert(1)"/>',
        '<set attributeName="onmouseover" to="alert(1)"/>',
        '<text fill="url(&quot;javascript:alert(1)&quot;)">x</text>',
    ],
)
def test_hostile_content_is_removed(inner):
    assert_inert(clean(inner))


def test_drawing_and_text_are_kept():
    svg = clean(
        '<style>.node rect{fill:#eee}</style><g class="node"><rect width="10" height="5"/>'
        '<text x="1" y="2"><tspan>Browser</tspan> and <tspan>API</tspan></text>'
        '<a href="javascript:x()"><text>linked label</text></a></g>'
        '<marker id="m"><path d="M0 0L1 1"/></marker><path marker-end="url(#m)" d="M0 0"/>'
    )
    assert "Browser" in svg and "API" in svg and " and " in svg and "linked label" in svg
    assert ".node rect{fill:#eee}" in svg
    assert 'marker-end="url(#m)"' in svg


def test_the_root_gets_a_natural_size_from_its_view_box():
    svg = clean("", attrs='viewBox="4 4 360 94.2" width="100%" style="max-width: 360px;"')
    assert 'width="360.00"' in svg and 'height="94.20"' in svg
    assert "max-width" not in svg


@pytest.mark.parametrize(
    "svg",
    [
        '<!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
        "<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
        '<html xmlns="http://www.w3.org/1999/xhtml"/>',
    ],
)
def test_what_is_not_a_plain_svg_is_refused(svg):
    with pytest.raises(UnsafeSVG):
        sanitize_svg(svg)


def test_the_svg_keeps_plain_names_when_other_code_changed_the_prefixes():
    import xml.etree.ElementTree as ET

    ET.register_namespace("", "http://ns.adobe.com/xap/1.0/")  # as WeasyPrint's metadata does
    assert clean("<text>x</text>").startswith('<svg xmlns="http://www.w3.org/2000/svg"')
