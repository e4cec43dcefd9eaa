"""formgrader's and feedback's pages: only their own scripts may run, MathJax comes inside."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from autograder.verify.config import configure
from autograder.verify.offline_math import MATHJAX_CONFIG
from autograder.verify.page_security import content_security_policy, secure_head
from nbgrader_pages import PAGES, render_page

_CDN_MATHJAX = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS"
_HEAD = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<script src="/formgrader/static/js/formgrade.js"></script>
<script type="text/javascript">var submission_id = "0123abcd";</script>
<script src="{_CDN_MATHJAX}"> </script>
<script type="text/x-mathjax-config">init_mathjax();</script>
</head>
"""
_NAV = '<nav><span onclick="toggle_name(true);"></span></nav><script>$("nav").tooltip();</script>'


def _csp_hash(text: str) -> str:
    """A CSP source for ``text``, as the CSP specification computes it."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values for name, *values in (directive.split() for directive in policy.split(";"))
    }


def test_the_policy_runs_only_nonced_scripts_and_named_handlers() -> None:
    directives = _directives(content_security_policy("n0nce", _NAV))
    assert directives["default-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'none'"]
    assert sorted(directives["script-src"]) == sorted(
        [
            "'nonce-n0nce'",
            _csp_hash('$("nav").tooltip();'),
            "'unsafe-hashes'",
            _csp_hash("toggle_name(true);"),
        ]
    )
    assert "object-src" not in directives and "frame-src" not in directives  # 'none'


def test_without_trusted_handlers_no_hash_is_allowed() -> None:
    script_src = _directives(content_security_policy("n0nce"))["script-src"]
    assert script_src == ["'nonce-n0nce'"]


def test_the_head_gets_its_policy_first_and_every_script_the_nonce() -> None:
    head = secure_head(_HEAD, _NAV)
    soup = BeautifulSoup(head, "html.parser")
    first = soup.head.find(True)
    assert first.name == "meta" and first["http-equiv"] == "Content-Security-Policy"
    (nonce,) = re.findall(r"'nonce-([^']+)'", first["content"])
    scripts = soup.find_all("script")
    assert [script.get("nonce") for script in scripts] == [nonce] * len(scripts)
    sources = [script.get("src") for script in scripts]
    assert sources[0] == "/formgrader/static/js/formgrade.js"
    assert 'var submission_id = "0123abcd";' in scripts[1].string
    # nbconvert's CDN MathJax is gone; the environment's is inside the page.
    assert not [src for src in sources if src and "mathjax" in src.lower()]
    assert "text/x-mathjax-config" not in head
    assert MATHJAX_CONFIG in scripts[-2].string and "MathJax" in scripts[-1].string
    assert len(scripts[-1].string) > 1_000_000


def _nonce(head: str) -> str:
    policy = BeautifulSoup(head, "html.parser").find("meta")["content"]
    (nonce,) = re.findall(r"'nonce-([^']+)'", policy)
    return nonce


def test_every_page_gets_a_fresh_nonce() -> None:
    first, second = _nonce(secure_head(_HEAD)), _nonce(secure_head(_HEAD))
    assert first != second and len(first) >= 16


def test_a_head_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="<head>"):
        secure_head("<p>no head</p>")


_HOSTILE = new_notebook(
    cells=[
        new_markdown_cell(
            "Formula $x$ <script>alert(1)</script><img src=x onerror=alert(2)>"
            '<a href="javascript:alert(3)">x</a><iframe srcdoc="<script>alert(4)</script>">'
        ),
        new_code_cell(
            "show()",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/html": "<svg onload=alert(5)><script>alert(6)</script></svg>",
                        "application/javascript": "alert(7)",
                        "text/plain": "x",
                    },
                )
            ],
        ),
    ]
)


@pytest.mark.parametrize("page", PAGES)
def test_a_course_page_runs_only_what_its_policy_names(page: str) -> None:
    """Every script on the rendered page carries the policy's nonce or its exact hash is
    named; so is every event handler; nothing is embedded. (At 04c3ee6 the pages had no
    policy and ran the notebook's scripts.)"""
    c = Config()
    configure(c, "/course")
    soup = BeautifulSoup(render_page(page, _HOSTILE, c), "html.parser")
    (meta,) = soup.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert soup.head.find(True) is meta
    script_src = _directives(meta["content"])["script-src"]
    (nonce,) = [source for source in script_src if source.startswith("'nonce-")]
    assert "'unsafe-inline'" not in script_src and "'self'" not in script_src
    for script in soup.find_all("script"):
        allowed = f"'nonce-{script.get('nonce')}'" == nonce or (
            not script.get("src") and _csp_hash(script.string or "") in script_src
        )
        assert allowed, script
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            if name.startswith("on"):
                assert _csp_hash(value) in script_src, element
    assert not soup.find_all(["iframe", "object", "embed", "svg"])
    assert "alert(" not in str(soup.find(id="notebook-container"))
