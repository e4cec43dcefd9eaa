"""The pages rendered from a submission run only their own scripts, and need no network.

formgrader's submission view and the feedback files are nbgrader's own templates
(``formgrade``, ``feedback``), extended by this package's ``templates/<name>/safe_index.html.j2``
so that their ``<head>`` goes through :func:`secure_head`, which

- gives every script nbgrader's template put there (its own, never a submission's) a
  fresh random nonce, and drops the CDN MathJax loader nbconvert's templates add;
- puts first in the head a Content-Security-Policy (:func:`content_security_policy`)
  that runs only scripts with that nonce: no inline script, event handler or
  ``javascript:`` link from a notebook, no script from the grader's origin that the page
  did not name (a submission's files are served there), no plugin, frame or form;
- adds MathJax with the same nonce, from the environment (:mod:`autograder.verify.offline_math`).

The sanitiser (:mod:`autograder.verify.safe_html`) removes what a notebook brings; the
policy holds even where a sanitiser misses something. It is a ``<meta>`` element, not a
header: the course's ``nbgrader_config.py`` is all that reaches a formgrader (on a hub
too), and a feedback file carries its policy wherever it is opened.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from nbgrader.server_extensions.formgrader import handlers as formgrader_handlers

from autograder.i18n.feedback import PAGE_FILTERS
from autograder.verify.offline_math import mathjax_scripts
from autograder.verify.safe_html import SANITISER_FILTERS

__all__ = [
    "NBGRADER_TEMPLATES",
    "PAGE_TEMPLATE",
    "SECURE_HEAD_FILTER",
    "TEMPLATES",
    "content_security_policy",
    "secure_head",
    "secure_pages",
]

#: This package's templates: ``formgrade/`` and ``feedback/`` each hold a
#: ``safe_index.html.j2`` that extends nbgrader's page of that name.
TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
#: nbgrader's templates (formgrader and ``generate_feedback`` both look there).
NBGRADER_TEMPLATES: Final = Path(formgrader_handlers.template_path).resolve()
#: The file formgrader and feedback render, found in this package's template folders.
PAGE_TEMPLATE: Final = "safe_index.html.j2"
#: The filter the page templates call, as ``HTMLExporter.filters`` names it.
SECURE_HEAD_FILTER: Final = "autograder.verify.page_security.secure_head"

# Everything else a page may load, by directive. Styles: nbgrader, nbconvert and MathJax
# write inline styles (a submission's are filtered by the sanitiser). 'self' is the
# Jupyter server for formgrader (its CSS, fonts, the submission's images, its API).
_DIRECTIVES: Final = {
    "default-src": "'none'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'none'",
}
_EVENT_HANDLER_PREFIX: Final = "on"


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _hashes_of_inline_code(trusted_markup: str) -> tuple[list[str], list[str]]:
    """CSP hashes of the inline scripts and of the event-handler attributes in markup."""
    soup = BeautifulSoup(trusted_markup, "html.parser")
    scripts = [_sha256(tag.string or "") for tag in soup.find_all("script") if not tag.get("src")]
    handlers = [
        _sha256(str(value))
        for tag in soup.find_all(True)
        for name, value in tag.attrs.items()
        if name.lower().startswith(_EVENT_HANDLER_PREFIX)
    ]
    return scripts, handlers


def content_security_policy(nonce: str, trusted_body: str = "") -> str:
    """The policy of a page whose head scripts carry ``nonce``.

    Parameters
    ----------
    nonce : str
        The nonce of every script the page's own template wrote in its head.
    trusted_body : str
        Markup the template itself writes in the body (formgrader's navigation bar), whose
        inline scripts and event handlers (``onclick``) are allowed by their exact hash.
        Never markup a submission contributes.

    Returns
    -------
    str
        The value of a ``Content-Security-Policy``.
    """
    scripts, handlers = _hashes_of_inline_code(trusted_body)
    allowed = [f"'nonce-{nonce}'", *sorted(set(scripts))]
    if handlers:
        allowed += ["'unsafe-hashes'", *sorted(set(handlers))]
    directives = {**_DIRECTIVES, "script-src": " ".join(allowed)}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _loads_mathjax_from_a_cdn(script: Any) -> bool:
    """nbconvert's MathJax macro: a loader from another host and its inline configuration."""
    return script.get("type") == "text/x-mathjax-config" or bool(
        urlsplit(script.get("src", "")).netloc
    )


def secure_head(head: str, trusted_body: str = "") -> str:
    """A page's opening markup (doctype to ``</head>``) under its policy, with MathJax.

    A jinja filter: ``{{ super() | secure_head(nav(resources)) }}`` in a template that
    extends one of nbgrader's pages.

    Parameters
    ----------
    head : str
        What nbgrader's template writes from the doctype to ``</head>``: its own markup,
        no submission's.
    trusted_body : str
        See :func:`content_security_policy`.

    Returns
    -------
    str
        The same markup with the policy first in ``<head>``, every script nonced, the
        CDN MathJax replaced by the environment's.
    """
    before, opened, rest = head.partition("<head>")
    inner, closed, after = rest.rpartition("</head>")
    if not (opened and closed):
        raise ValueError("the page's template wrote no <head>...</head>")
    nonce = secrets.token_urlsafe(18)
    soup = BeautifulSoup(inner, "html.parser")
    for script in soup.find_all("script"):
        if _loads_mathjax_from_a_cdn(script):
            script.decompose()
        else:
            script["nonce"] = nonce
    policy = content_security_policy(nonce, trusted_body)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">'
    return f"{before}<head>\n{meta}\n{soup}{mathjax_scripts(nonce)}</head>{after}"


def secure_pages(c: Any) -> None:
    """Render formgrader's submission view and feedback files sanitised and secured.

    Parameters
    ----------
    c : traitlets.config.Config
        A course's nbgrader config (formgrader and ``generate_feedback`` both build their
        ``HTMLExporter`` from it).
    """
    c.HTMLExporter.sanitize_html = True
    # The feedback page's words in the notebook's language, too.
    c.HTMLExporter.filters = {
        **SANITISER_FILTERS,
        "secure_head": SECURE_HEAD_FILTER,
        **PAGE_FILTERS,
    }
    # This package's template folders first: formgrader and generate_feedback keep their
    # template names (formgrade, feedback) and find PAGE_TEMPLATE here; it extends
    # nbgrader's index.html.j2 of the same name.
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
    c.HTMLExporter.template_file = PAGE_TEMPLATE
