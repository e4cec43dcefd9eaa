"""What a person does in JupyterLab, as Playwright steps: open, type, run, read, validate.

Selectors are the ones shown robust on JupyterLab 4.6 (see the team's browser notes).
Every step that changes the page can leave a screenshot in the flow's folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page

__all__ = [
    "STDERR",
    "CellView",
    "NotebookPage",
    "Screenshots",
    "ValidationResult",
    "read_validation",
]

STDERR = "application/vnd.jupyter.stderr"
# The notebook in the current tab: Lumino hides the others with lm-mod-hidden.
_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
_CELLS = f"{_PANEL} .jp-Notebook .jp-Cell"
_STATUS_BAR = "#jp-main-statusbar"
_RUN_TIMEOUT_MS = 120_000
_OPEN_TIMEOUT_MS = 60_000


@dataclass
class Screenshots:
    """A numbered series of screenshots in one folder, named after the step they show."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, target: Page | Locator, step: str, *, full_page: bool = False) -> Path:
        """Save a PNG of a page (its viewport, or all of it) or of one element; return it."""
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-")
        path = self.folder / f"{len(self.taken) + 1:03d}-{name}.png"
        if isinstance(target, Page):
            target.screenshot(path=str(path), full_page=full_page)
        else:
            target.screenshot(path=str(path))
        self.taken.append(path)
        return path


@dataclass(frozen=True)
class CellView:
    """One cell as the page shows it.

    Attributes
    ----------
    kind : str
        ``"code"``, ``"markdown"`` or ``"raw"``.
    prompt : str
        A code cell's prompt: ``[3]:`` once run, ``[ ]:`` if not, ``[*]:`` while running.
    outputs : list of (str, str)
        Each output's MIME type as JupyterLab rendered it, and its visible text.
        Tracebacks and stderr are ``application/vnd.jupyter.stderr``.
    image_widths : list of int
        The natural width of each output image; 0 for an image that did not load.
    """

    kind: str
    prompt: str
    outputs: list[tuple[str, str]]
    image_widths: list[int]

    @property
    def ran(self) -> bool:
        return re.fullmatch(r"\[\d+\]:", self.prompt) is not None

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.outputs)

    @property
    def errors(self) -> list[str]:
        return [text for mime, text in self.outputs if mime == STDERR]


@dataclass(frozen=True)
class ValidationResult:
    """What nbgrader's Validate dialog said.

    Attributes
    ----------
    passed : bool
        True for nbgrader's success dialog, False for its error dialog.
    text : str
        The dialog's whole text, as the student reads it.
    """

    passed: bool
    text: str


class NotebookPage:
    """One notebook open in JupyterLab, driven like a student would.

    Parameters
    ----------
    page : Page
        A Playwright page with JupyterLab, the notebook in its current tab (see
        :meth:`open`, :meth:`open_from_file_browser` and :meth:`follow_link`).
    shots : Screenshots
        Where screenshots of each step go.
    """

    def __init__(self, page: Page, shots: Screenshots) -> None:
        self.page = page
        self.shots = shots

    @classmethod
    def open(cls, page: Page, url: str, path: str, shots: Screenshots) -> NotebookPage:
        """Load JupyterLab at a notebook's ``/lab/tree/<path>`` URL; return that notebook."""
        page.goto(url)
        return cls._opened(page, path, shots)

    @classmethod
    def open_from_file_browser(cls, page: Page, name: str, shots: Screenshots) -> NotebookPage:
        """Double-click a notebook in the file browser of an open JupyterLab; return it."""
        page.locator(".jp-DirListing-item", has_text=name).first.dblclick()
        return cls._opened(page, name, shots)

    @classmethod
    def from_current_tab(cls, page: Page, path: str, shots: Screenshots) -> NotebookPage:
        """The notebook something else just opened (a link, a command), once it is ready."""
        return cls._opened(page, path, shots)

    def follow_link(self, text: str, path: str) -> NotebookPage:
        """Click a markdown link to another notebook; return that notebook.

        Parameters
        ----------
        text : str
            The link's visible text.
        path : str
            The notebook it opens, relative to the server root.
        """
        self.page.locator(f"{_PANEL} .jp-RenderedMarkdown a", has_text=text).click()
        return NotebookPage._opened(self.page, path, self.shots)

    @classmethod
    def _opened(cls, page: Page, path: str, shots: Screenshots) -> NotebookPage:
        """Wait until ``path`` is the current tab, shows its cells and its kernel is idle."""
        # A tab's tooltip names the document's path ("Path: solutions/x.ipynb").
        page.locator(f'.lm-TabBar-tab.lm-mod-current[title*="Path: {path}"]').wait_for(
            timeout=_OPEN_TIMEOUT_MS
        )
        page.locator(_CELLS).first.wait_for(timeout=_OPEN_TIMEOUT_MS)
        notebook = cls(page, shots)
        notebook.wait_until_idle()
        shots.take(page, f"opened-{path}")
        return notebook

    # ------------------------------------------------------------------ cells

    def cells(self) -> Locator:
        """Every cell of the notebook, in order."""
        return self.page.locator(_CELLS)

    def cell(self, index: int) -> Locator:
        """The cell at ``index`` (0-based, in notebook order)."""
        return self.cells().nth(index)

    def type_into_cell(self, index: int, text: str) -> None:
        """Replace a cell's text by typing, as a student would, into its editor.

        A rendered markdown cell is opened for editing first (double-click).
        """
        cell = self.cell(index)
        cell.scroll_into_view_if_needed()
        editor = cell.locator(".cm-content")
        if "jp-MarkdownCell" in (cell.get_attribute("class") or "") and not editor.is_visible():
            cell.locator(".jp-MarkdownOutput").dblclick()
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("Escape")  # leave edit mode; the next click selects afresh

    # -------------------------------------------------------------- running

    def wait_until_idle(self, timeout_ms: int = _OPEN_TIMEOUT_MS) -> None:
        """Wait for the status bar to say the kernel is idle (the toolbar says so too early)."""
        self.page.locator(_STATUS_BAR).filter(has_text="| Idle").wait_for(timeout=timeout_ms)

    def run_all(self) -> None:
        """Run > Run All Cells, then wait until no cell is queued or running."""
        self.page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        self.page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        # A run that stops at an error leaves the later cells unnumbered, so "done" is:
        # no [*] prompt left, and the kernel idle again.
        self.page.wait_for_function(
            """selector => {
                const prompts = [...document.querySelectorAll(selector + ' .jp-InputArea-prompt')];
                return prompts.some(p => /\\[\\d+\\]/.test(p.textContent))
                    && !prompts.some(p => p.textContent.includes('*'));
            }""",
            arg=_CELLS,
            timeout=_RUN_TIMEOUT_MS,
        )
        self.wait_until_idle(_RUN_TIMEOUT_MS)

    # -------------------------------------------------------------- reading

    def read_cells(self) -> list[CellView]:
        """What the page shows for every cell, read in one pass."""
        views = self.page.evaluate(
            """selector => [...document.querySelectorAll(selector)].map(cell => ({
                kind: cell.classList.contains('jp-CodeCell') ? 'code'
                    : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
                prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
                outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(out => [
                    out.getAttribute('data-mime-type') || '', out.innerText,
                ]),
                images: [...cell.querySelectorAll('.jp-OutputArea-output img')].map(
                    img => img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0
                ),
            }))""",
            _CELLS,
        )
        return [
            CellView(
                kind=view["kind"],
                prompt=view["prompt"].strip(),
                outputs=[(mime, text) for mime, text in view["outputs"]],
                image_widths=view["images"],
            )
            for view in views
        ]

    def title(self) -> str:
        """The notebook's first heading, as rendered (without its anchor link's ¶)."""
        heading = self.page.locator(f"{_PANEL} .jp-RenderedMarkdown h1").first
        return heading.inner_text().removesuffix("¶").strip()

    def alerts(self) -> list[str]:
        """Error or warning notifications and open dialogs: anything JupyterLab raised."""
        return self.page.locator(
            ".Toastify__toast--error, .Toastify__toast--warning, .jp-Dialog"
        ).all_inner_texts()

    # ------------------------------------------------------------- validate

    def validate(self) -> ValidationResult:
        """Press nbgrader's Validate button (it saves first) and read its dialog."""
        self.page.locator(f"{_PANEL} .jp-NotebookPanel-toolbar .validate-button").click()
        return read_validation(self.page, self.shots)


def read_validation(page: Page, shots: Screenshots) -> ValidationResult:
    """Wait for the dialog of one of nbgrader's Validate buttons (a notebook's toolbar, or
    the Assignment List's beside each notebook), screenshot it, close it, return it."""
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    dialog.wait_for(timeout=_RUN_TIMEOUT_MS)
    shots.take(page, "validate-dialog")
    result = ValidationResult(
        passed="nbgrader-SuccessDialog" in (dialog.get_attribute("class") or ""),
        text=dialog.inner_text(),
    )
    dialog.locator("button.jp-Dialog-button").first.click()
    dialog.wait_for(state="detached")
    return result
