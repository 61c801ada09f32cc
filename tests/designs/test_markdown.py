"""Markdown is rendered to HTML that is safe to show: nothing executes, nothing styles."""

import pytest

from designs.markdown import render_markdown, sanitize


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "before <script>alert(1)</script> after",
        "<img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
    ],
)
def test_raw_html_in_markdown_is_not_rendered(source):
    html = render_markdown(source)
    assert "<script" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert "&lt;" in html  # shown as text, harmlessly


def test_script_tags_are_removed_by_the_sanitiser():
    assert sanitize("<p>hi<script>alert(1)</script></p>") == "<p>hi</p>"


def test_event_handler_attributes_are_removed():
    cleaned = sanitize('<p onclick="x()">a</p><img src="/a.png" onerror="x()" onload="y()">')
    assert "onclick" not in cleaned
    assert "onerror" not in cleaned
    assert "onload" not in cleaned
    assert '<img src="/a.png">' in cleaned


def test_style_and_htmx_attributes_are_removed():
    cleaned = sanitize(
        '<div style="color:red" hx-get="/x" data-hx-post="/y" hx-trigger="load">a</div>'
    )
    assert cleaned == "<div>a</div>"


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox)",
        "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    ],
)
def test_dangerous_link_schemes_never_become_links(link):
    html = render_markdown(link).lower()
    assert "<a " not in html
    assert "<img" not in html
    assert "href=" not in html
    assert "src=" not in html


def test_sanitiser_drops_dangerous_hrefs_it_is_handed_directly():
    cleaned = sanitize('<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a>')
    assert "javascript" not in cleaned
    assert "data:" not in cleaned


def test_http_mailto_and_relative_links_survive_with_rel():
    html = render_markdown(
        "[a](https://example.com/x) [b](mailto:me@example.com) [c](/designs/1/) [d](#part)"
    )
    assert 'href="https://example.com/x"' in html
    assert 'href="mailto:me@example.com"' in html
    assert 'href="/designs/1/"' in html
    assert 'href="#part"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_bare_urls_become_links():
    assert 'href="https://crit.example.com"' in render_markdown("see https://crit.example.com")


def test_tables_survive_with_their_column_alignment():
    html = render_markdown("| a | b | c | d |\n|---|--:|:-:|:--|\n| 1 | 2 | 3 | 4 |\n")
    assert "<table>" in html
    assert "<th>a</th>" in html
    assert '<th align="right">b</th>' in html
    assert '<td align="right">2</td><td align="center">3</td><td align="left">4</td>' in (
        html.replace("\n", "")
    )
    assert "style" not in html


def test_the_allow_list_keeps_only_real_alignments():
    def cell(align: str) -> str:
        return sanitize(f'<table><tr><td align="{align}">1</td></tr></table>')

    assert '<td align="right">1</td>' in cell("right")
    assert "<td>1</td>" in cell("javascript:x")


def test_fenced_code_is_highlighted_with_classes_not_styles():
    html = render_markdown("```python\ndef f(x):\n    return x < 1\n```\n")
    assert '<pre class="highlight"><code class="language-python">' in html
    assert 'class="hl-k"' in html  # "def" is a keyword
    assert "&lt;" in html
    assert "style=" not in html


def test_fenced_code_in_an_unknown_language_is_escaped_plain_code():
    html = render_markdown("```nosuchlang\n<b>bold</b>\n```\n")
    assert "<pre><code" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_task_lists_render_as_disabled_checkboxes():
    html = render_markdown("- [x] done\n- [ ] todo\n")
    assert "contains-task-list" in html
    assert html.count('type="checkbox"') == 2
    assert "checked" in html
    assert "disabled" in html


def test_strikethrough_renders():
    assert "<s>gone</s>" in render_markdown("~~gone~~")


def test_empty_text_renders_to_nothing():
    assert render_markdown("  \n ") == ""
