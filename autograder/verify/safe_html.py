"""What a submission contributes to a page, reduced to markup that cannot run or load code.

formgrader shows a submission on the instructor's Jupyter server, where a script could
drive that server; feedback files open in students' browsers. Both are rendered by
nbconvert's ``HTMLExporter``, which passes a notebook's HTML through as it is: a
``<script>`` in a markdown cell, an ``onerror`` in a ``text/html`` output or an SVG
would run. Here every piece of HTML a notebook brings is cleaned with nh3 (Python
bindings to ammonia, a maintained allow-list sanitiser built on html5ever; nbconvert's
own ``SanitizeHTML`` and ``clean_html`` use bleach, which is no longer maintained):

- :func:`sanitise` replaces nbconvert's ``clean_html`` filter, which nbconvert's
  templates apply, with ``HTMLExporter.sanitize_html`` on, to ``text/html`` and
  ``text/markdown`` outputs and raw cells (and which leaves out ``application/javascript``
  and widget outputs altogether);
- :class:`SanitisedMarkdown` replaces the ``markdown2html`` filter: nbgrader's own
  formgrade and feedback templates render markdown cells without ``clean_html``.

Markdown is cleaned after it is rendered, so what markdown escapes (code spans, ``<`` in
``$a<b$``) stays text. :data:`SANITISER_FILTERS` and ``sanitize_html`` go on
``HTMLExporter`` (:func:`autograder.verify.config.configure`, and the fail-closed guard).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

import jinja2
import nh3
from pygments.token import STANDARD_TYPES
from traitlets.config import LoggingConfigurable

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_CLASSES",
    "ALLOWED_STYLE_PROPERTIES",
    "ALLOWED_TAGS",
    "SANITISER_FILTERS",
    "SanitisedMarkdown",
    "sanitise",
]

#: ammonia's default tags: text, lists, tables, images, links; nothing that runs script,
#: embeds a document (iframe, object, embed, svg, math), submits a form or changes the
#: page (meta, base, link, style).
ALLOWED_TAGS: Final = frozenset(nh3.ALLOWED_TAGS)
#: ammonia's defaults, plus on every element the attributes right-to-left text needs
#: (``dir``, ``lang``, as the Persian edition writes them) and ``title`` and ``style``
#: (its properties filtered, below). No ``id`` or ``name``: a submission must not shadow
#: formgrader's own elements (its score boxes and messages are found by id).
ALLOWED_ATTRIBUTES: Final = {
    **{tag: set(attributes) for tag, attributes in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"dir", "lang", "title", "style"},
}
#: CSS a ``style`` attribute may keep: alignment, direction and the list indent the
#: Persian edition moves to the right (``<p style="text-align:right">``,
#: ``<ul style="padding-right:2em;padding-left:0">``), and markdown tables' alignment.
#: Nothing that positions, overlays or loads (``position``, ``background``, ``content``).
ALLOWED_STYLE_PROPERTIES: Final = frozenset(
    {"text-align", "direction", "unicode-bidi", "padding-left", "padding-right"}
)
#: Classes nbconvert's own markup puts on rendered markdown and outputs: syntax
#: highlighting (pygments), the heading anchor and pandas tables. None of formgrader's.
ALLOWED_CLASSES: Final = {
    "div": {"highlight"},
    "span": {name for name in STANDARD_TYPES.values() if name},
    "a": {"anchor-link"},
    "table": {"dataframe"},
}
# Schemes a link may navigate to; anything relative but a fragment would open a file of
# the submission on the grader's own origin, outside the page's Content-Security-Policy.
_LINK_SCHEMES: Final = frozenset({"http", "https", "mailto"})
# href and src are the URL attributes ammonia checks; "data" only ever survives as an
# image (see _filter_attribute).
_URL_SCHEMES: Final = _LINK_SCHEMES | {"data"}
# The URL-valued attributes the allow-list keeps (a, area; img; blockquote, q, del, ins).
_URL_ATTRIBUTES: Final = frozenset({"href", "src", "cite"})


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow ammonia's URL checks: links navigate only to the web, mail or a fragment;
    ``data:`` URLs survive only as images."""
    if attribute not in _URL_ATTRIBUTES:
        return value
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:  # not a URL at all (an unclosed IPv6 host, say)
        return None
    if attribute == "href":
        return value if value.startswith("#") or scheme in _LINK_SCHEMES else None
    if scheme == "data":
        media_type = value.split(":", 1)[1].lstrip().lower()
        is_image = tag == "img" and attribute == "src" and media_type.startswith("image/")
        return value if is_image else None
    return value


_CLEANER: Final = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    allowed_classes=ALLOWED_CLASSES,
    filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    url_schemes=set(_URL_SCHEMES),
    strip_comments=True,
)


def sanitise(html: str | bytes) -> str:
    """``html`` with only the markup the allow-lists above keep.

    Elements outside :data:`ALLOWED_TAGS` are dropped, their text kept (``<script>``
    and ``<style>`` lose their content too); attributes, classes, style properties and
    URLs outside the lists are dropped.

    Parameters
    ----------
    html : str or bytes
        An HTML fragment (nbconvert passes an SVG output as UTF-8 bytes).
    """
    text = html.decode("utf-8") if isinstance(html, bytes) else str(html)
    return _CLEANER.clean(text)


# jinja hands the template context first to a filter that carries this mark
# (what ``jinja2.pass_context`` sets on functions); nbconvert's markdown2html needs it
# for the cell's attachments and the notebook's folder.
_PASS_CONTEXT: Final = jinja2.pass_context(lambda context: context).jinja_pass_arg  # type: ignore[attr-defined]


class SanitisedMarkdown(LoggingConfigurable):
    """The ``markdown2html`` filter: the exporter's own rendering, then :func:`sanitise`.

    nbconvert instantiates a configurable filter with the exporter as its parent, so the
    rendering keeps the exporter's options (anchor links, embedded images).
    """

    jinja_pass_arg = _PASS_CONTEXT

    def __call__(self, context: Any, source: str) -> str:
        exporter: Any = self.parent
        return sanitise(exporter.markdown2html(context, source))


#: The ``HTMLExporter.filters`` that sanitise (plain strings: the guard names them too).
SANITISER_FILTERS: Final = {
    "markdown2html": "autograder.verify.safe_html.SanitisedMarkdown",
    "clean_html": "autograder.verify.safe_html.sanitise",
}
