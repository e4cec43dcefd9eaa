"""The sanitiser: what a submission's HTML keeps, and that nothing in it can run or load."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from autograder.verify.safe_html import ALLOWED_TAGS, SANITISER_FILTERS, sanitise
from nbgrader_pages import PAGES, render_page

# One class of attack each: markup that runs script, embeds or loads a document, submits
# a form, changes the page, or shadows formgrader's own elements.
ATTACKS = {
    "script": "<script>alert(1)</script>",
    "script, mixed case": "<ScRiPt>alert(1)</sCrIpT>",
    "event handler": '<img src="x.png" onerror="alert(1)">',
    "handler on an allowed tag": '<p onmouseover="alert(1)">hover</p>',
    "javascript link": '<a href="javascript:alert(1)">x</a>',
    "javascript link, disguised": '<a href=" JaVaScRiPt&#58;alert(1)">x</a>',
    "vbscript link": '<a href="vbscript:msgbox(1)">x</a>',
    "data link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "data image of html": '<img src="data:text/html,<script>alert(1)</script>">',
    "link to a submitted file": '<a href="evil.html">x</a>',
    "protocol-relative link": '<a href="//evil.example/x">x</a>',
    "inline svg": '<svg onload="alert(1)"><script>alert(2)</script></svg>',
    "javascript in an image map": '<map name="m"><area href="javascript:alert(1)"></map>',
    "iframe": '<iframe src="evil.html"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="evil.svg"></object>',
    "embed": '<embed src="evil.svg">',
    "math": '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x'
    "</maction></math>",
    "style element": "<style>body { display: none }</style>",
    "style that overlays": '<div style="position:fixed;top:0;background:url(https://x.example/t)">x</div>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="https://evil.example/">',
    "link": '<link rel="stylesheet" href="https://evil.example/s.css">',
    "form": '<form action="/api/contents"><input name="x"><button>go</button></form>',
    "id that shadows formgrader's": '<div id="statusmessage" name="base_url">x</div>',
    "formgrader's classes": '<span class="tabbable score">x</span>',
    "noscript mutation": '<noscript><img src="x" onerror="alert(1)"></noscript>',
    "comment": "<!--<script>alert(1)</script>-->",
}
_LINK_SCHEMES = {"http", "https", "mailto"}


def assert_inert(html: str) -> None:
    """Nothing in ``html`` can run script, load a document, or stand in for formgrader."""
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(True):
        assert element.name in ALLOWED_TAGS, element
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), element
            assert name not in ("id", "name", "srcdoc", "action", "formaction"), element
            if name == "href":
                assert value.startswith("#") or urlsplit(value).scheme in _LINK_SCHEMES, element
            if name == "src" and urlsplit(value).scheme == "data":
                assert value.startswith("data:image/"), element
            if name == "class":
                assert not {"tabbable", "score"} & set(value), element
            if name == "style":
                assert "position" not in value and "url(" not in value, element
    assert "<script" not in html.lower()


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_no_attack_survives(attack: str) -> None:
    assert_inert(sanitise(attack))


def test_attacks_are_caught_by_the_check_itself() -> None:
    """The check above is strict enough: each attack, unsanitised, fails it."""
    for name, attack in ATTACKS.items():
        with pytest.raises(AssertionError):
            assert_inert(attack)
            pytest.fail(f"{name} passes the check unsanitised")


def test_right_to_left_markdown_keeps_direction_alignment_and_indent() -> None:
    """The Persian edition's forms (fa16), exactly as it writes them."""
    persian = (
        '<div dir="rtl" lang="fa">\n'
        '<p style="text-align:right">ورودی <span dir="ltr">$X$</span></p>\n'
        '<ul style="padding-right:2em;padding-left:0"><li style="text-align:right">'
        '<code dir="ltr">X[0, 1]</code></li></ul>\n</div>'
    )
    kept = BeautifulSoup(sanitise(persian), "html.parser")
    assert kept.div["dir"] == "rtl" and kept.div["lang"] == "fa"
    assert kept.p["style"].replace(" ", "") == "text-align:right"
    assert kept.span["dir"] == "ltr" and kept.span.get_text() == "$X$"
    assert kept.ul["style"].replace(" ", "") == "padding-right:2em;padding-left:0"
    assert kept.code["dir"] == "ltr"


def test_only_harmless_style_properties_stay() -> None:
    kept = sanitise('<p style="text-align:right;color:red;position:absolute;direction:rtl">x</p>')
    assert BeautifulSoup(kept, "html.parser").p["style"].replace(" ", "") == (
        "text-align:right;direction:rtl"
    )


def test_images_links_tables_and_highlighted_code_stay() -> None:
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
    html = (
        f'<img src="{png}" alt="a picture"><img src="figure.png" alt="f">'
        '<a href="https://example.org/x">web</a><a href="#top">up</a>'
        '<table><tr><th style="text-align:left">a</th><td colspan="2">b</td></tr></table>'
        '<div class="highlight"><pre><span class="k">def</span> <span class="nf">f</span>'
        "</pre></div>"
    )
    kept = BeautifulSoup(sanitise(html), "html.parser")
    assert [img["src"] for img in kept.find_all("img")] == [png, "figure.png"]
    assert [a["href"] for a in kept.find_all("a")] == ["https://example.org/x", "#top"]
    assert kept.th["style"].replace(" ", "") == "text-align:left" and kept.td["colspan"] == "2"
    assert kept.div["class"] == ["highlight"]
    assert [span["class"] for span in kept.find_all("span")] == [["k"], ["nf"]]


def test_svg_outputs_arrive_as_bytes() -> None:
    """nbconvert hands an SVG output to clean_html encoded (``skip_svg_encoding``)."""
    assert sanitise(b"<p>caf\xc3\xa9</p><script>alert(1)</script>") == "<p>café</p>"


def _render(page: str, cells: list) -> str:
    """The notebook part of nbgrader's page as the guard renders it: nbgrader's own
    template (``feedback``'s markdown cells skip nbconvert's ``clean_html``), sanitised."""
    guard = Config()
    guard.HTMLExporter.sanitize_html = True
    guard.HTMLExporter.filters = SANITISER_FILTERS
    html = render_page(page, new_notebook(cells=cells), guard)
    return BeautifulSoup(html, "html.parser").find(id="notebook-container").decode_contents()


@pytest.mark.parametrize("page", PAGES)
def test_markdown_is_rendered_then_sanitised_so_math_and_code_stay_text(page: str) -> None:
    markdown = (
        "# The forward pass\n\n"
        "Keep $a<b$, `x<y` and $$\\sum_{i<j} X_{ij}$$.\n\n"
        '<script>alert(1)</script>\n\n<img src="x.png" onerror="alert(1)">\n\n'
        "> quoted <conv(X, F), G>\n"
    )
    body = _render(page, [new_markdown_cell(markdown)])
    text = BeautifulSoup(body, "html.parser").get_text()
    assert "$a<b$" in text and "x<y" in text and "$$\\sum_{i<j} X_{ij}$$" in text
    assert "quoted <conv(X, F), G>" in text
    assert "onerror" not in body and "<script" not in body and "alert(1)" not in text


def test_markdown_keeps_its_attached_images() -> None:
    """The filter renders with the template's context: the cell's attachments."""
    png = base64.b64encode(b"\x89PNG picture").decode()
    cell = new_markdown_cell("![a picture](attachment:picture.png)")
    cell.attachments = {"picture.png": {"image/png": png}}
    body = BeautifulSoup(_render("feedback", [cell]), "html.parser")
    assert body.img["src"] == f"data:image/png;base64,{png}"


@pytest.mark.parametrize("page", PAGES)
def test_outputs_are_sanitised_and_javascript_outputs_left_out(page: str) -> None:
    outputs = [
        new_output(
            "display_data",
            data={
                "text/html": '<b onclick="alert(1)">bold</b><script>alert(2)</script>',
                "text/plain": "bold",
            },
        ),
        new_output("display_data", data={"text/markdown": '<img src="x" onerror="alert(3)">'}),
        new_output("display_data", data={"application/javascript": "alert(4)"}),
    ]
    body = _render(page, [new_code_cell("show()", outputs=outputs)])
    assert "<b>bold</b>" in body
    for payload in ("onclick", "onerror", "alert(2)", "alert(4)"):
        assert payload not in body
