"""HTML to PDF with WeasyPrint, locked down: the only module that imports WeasyPrint.

A PDF is printed from a Jinja template with the app's own environment (so
autoescaping, filters and the organisation's name work as in pages) and one shared
stylesheet. WeasyPrint would happily fetch ``file:`` and ``http:`` URLs found in
the HTML; a ticket or invoice must never read the server's files or call out to the
network because of what someone typed into a form, so every URL goes through
:class:`LockedURLFetcher`, which serves only the app's static folder and ``data:``.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import mimetypes
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import LineBox, ReplacedBox, TextBox
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

STATIC_SCHEME = "summit-static:"
BASE_CSS = "documents/base.css"


class DocumentError(Exception):
    """A document could not be printed (a template asked for a forbidden resource)."""


class RefusedURL(ValueError):
    """The fetcher will not open this URL: not a static asset and not ``data:``."""


class LockedURLFetcher(URLFetcher):
    """Serves ``summit-static:<path>`` from one folder and ``data:`` URIs; refuses the rest.

    ``fail_on_errors`` makes a refusal stop the rendering instead of printing a
    document with a silent hole in it, so a template bug shows up in tests.
    """

    def __init__(self, static_folder: str | Path) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)
        self.static_folder = Path(static_folder).resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith(STATIC_SCHEME):
            return self._static(url)
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        raise RefusedURL(f"documents may not fetch {url[:80]!r}")

    def static_path(self, url: str) -> Path:
        """The file a ``summit-static:`` URL names, refusing anything outside the folder."""
        relative = url[len(STATIC_SCHEME) :].split("?", 1)[0].split("#", 1)[0].lstrip("/")
        path = (self.static_folder / relative).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            raise RefusedURL(f"no static asset {relative!r}")
        return path

    def _static(self, url: str) -> URLFetcherResponse:
        path = self.static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


_fetchers = threading.local()


def locked_fetcher(static_folder: str) -> LockedURLFetcher:
    """This thread's fetcher for ``static_folder``.

    Building one sets up a urllib opener with all its handlers (about half a
    millisecond); a fetcher keeps a little state between calls, so threads do not
    share one.
    """
    cache = _fetchers.__dict__.setdefault("by_folder", {})
    if static_folder not in cache:
        cache[static_folder] = LockedURLFetcher(static_folder)
    return cache[static_folder]


def static_asset(path: str) -> str:
    """The URL a document template uses for a file in ``static/``: ``summit-static:<path>``."""
    return STATIC_SCHEME + path.lstrip("/")


@lru_cache(maxsize=1)
def font_config() -> FontConfiguration:
    """One Fontconfig set-up per process: building it scans the system fonts (slow)."""
    return FontConfiguration()


@lru_cache(maxsize=16)
def static_stylesheet(static_folder: str, path: str) -> CSS:
    """A stylesheet from ``static/``, parsed once per process (fonts are system families)."""
    fetcher = LockedURLFetcher(static_folder)
    return CSS(url=static_asset(path), url_fetcher=fetcher, font_config=font_config())


def base_stylesheet(static_folder: str) -> CSS:
    """The shared document CSS, parsed once per process."""
    return static_stylesheet(static_folder, BASE_CSS)


@dataclass(frozen=True)
class Slot:
    """Where an element marked ``data-slot`` was laid out: its content box, in CSS px.

    Layered certificates use these to print per-person text exactly where the
    full design would have put it (see :mod:`summit.documents.layers`).
    """

    page: int
    left: float
    top: float
    width: float
    height: float


class LaidOutDocument:
    """A template laid out by WeasyPrint and not yet written: slots can be measured first."""

    def __init__(self, document: Document, *, title: str, subject: str, author: str) -> None:
        self.document = document
        self.title = title
        self.subject = subject
        self.author = author

    def _slot_boxes(self):
        """``(page, name, box)`` for each element marked ``data-slot``: its own box only.

        Its line and text boxes carry the same element and come after it.
        """
        seen: set[str] = set()
        for number, page in enumerate(self.document.pages):
            for box in page._page_box.descendants(placeholders=True):
                element = getattr(box, "element", None)
                name = element.get("data-slot") if element is not None else None
                if name and name not in seen:
                    seen.add(name)
                    yield number, name, box

    def slots(self) -> dict[str, Slot]:
        """The content box of every element with a ``data-slot`` attribute, by its value."""
        return {
            name: Slot(page, box.content_box_x(), box.content_box_y(), box.width, box.height)
            for page, name, box in self._slot_boxes()
        }

    def misfits(self, expected: dict[str, Slot], tolerance: float = 0.5) -> list[str]:
        """The slots whose text is taller or wider than ``expected`` allows.

        A layered certificate's foreground is checked with this before it is used:
        a name too long for the one line its backdrop kept is printed in full instead.
        """
        return [
            name
            for page, name, box in self._slot_boxes()
            if not _fits(box, expected.get(name), page, tolerance)
        ]

    @property
    def page_count(self) -> int:
        return len(self.document.pages)

    def layout_problems(self, frame_class: str = "frame", tolerance: float = 0.5) -> list[str]:
        """Text or images that overlap each other, or leave their page's frame.

        What a reader of a printed certificate would see as broken: a paragraph
        running under the QR code, a footer over the table, a line past the border.
        Each text run spans its line's height (the line box), so adjacent lines
        touch without overlapping; an element with class ``frame_class`` bounds
        its page (the whole page where there is none).
        """
        problems = []
        for number, page in enumerate(self.document.pages, 1):
            marks, bounds = _marks_and_bounds(page, frame_class)
            for label, rect in marks:
                if not _inside(rect, bounds, tolerance):
                    problems.append(f"page {number}: {label!r} leaves the frame")
            for (one, first), (other, second) in itertools.combinations(marks, 2):
                if _overlap(first, second) > tolerance:
                    problems.append(f"page {number}: {one!r} overlaps {other!r}")
        return problems

    def write(
        self,
        *,
        pdf_variant: str | None = None,
        finisher: Callable[[Document, Any], None] | None = None,
    ) -> bytes:
        """The PDF bytes, with the title, subject and author as metadata.

        ``finisher`` gets WeasyPrint's pydyf PDF before it is written (layers use it).
        """
        metadata = self.document.metadata
        metadata.title = self.title
        metadata.description = self.subject or None
        metadata.authors = [self.author]
        options: dict[str, Any] = {"finisher": finisher}
        if pdf_variant:
            options["pdf_variant"] = pdf_variant
        return self.document.write_pdf(**options)


Rect = tuple[float, float, float, float]  # left, top, right, bottom


def _marks_and_bounds(page, frame_class: str) -> tuple[list[tuple[str, Rect]], Rect]:
    """What prints ink on ``page`` (text runs, images) and the frame it must stay in."""
    bounds: Rect = (0, 0, page.width, page.height)
    marks: list[tuple[str, Rect]] = []
    runs: dict[int, tuple[str, Rect]] = {}  # an inline-block's text: its own line wins
    for box in page._page_box.descendants(placeholders=True):
        element = getattr(box, "element", None)
        classes = (element.get("class") or "").split() if element is not None else []
        if frame_class in classes and getattr(box, "element_tag", "").isalpha():
            x, y = box.padding_box_x(), box.padding_box_y()
            bounds = (x, y, x + box.padding_width(), y + box.padding_height())
        elif isinstance(box, LineBox):
            top, bottom = box.position_y, box.position_y + box.height
            for leaf in box.descendants():
                if isinstance(leaf, TextBox) and leaf.text.strip():
                    left = leaf.position_x
                    rect = (left, top, left + leaf.width, bottom)
                    runs[id(leaf)] = (leaf.text.strip()[:40], rect)
        elif isinstance(box, ReplacedBox):
            left, top = box.content_box_x(), box.content_box_y()
            label = element.get("alt") or "image" if element is not None else "image"
            marks.append((label, (left, top, left + box.width, top + box.height)))
    return marks + list(runs.values()), bounds


def _inside(rect: Rect, bounds: Rect, tolerance: float) -> bool:
    return (
        rect[0] >= bounds[0] - tolerance
        and rect[1] >= bounds[1] - tolerance
        and rect[2] <= bounds[2] + tolerance
        and rect[3] <= bounds[3] + tolerance
    )


def _overlap(first: Rect, second: Rect) -> float:
    """The smaller of the two sides of the rectangles' intersection (0 when apart)."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    return max(min(width, height), 0)


def _fits(box, room: Slot | None, page: int, tolerance: float) -> bool:
    if room is None or room.page != page or box.height > room.height + tolerance:
        return False
    return not any(
        isinstance(leaf, TextBox | ReplacedBox)
        and (
            leaf.position_x < room.left - tolerance
            or leaf.position_x + leaf.margin_width() > room.left + room.width + tolerance
        )
        for leaf in box.descendants()
    )


def document_html(
    template_name: str, context: dict, *, title: str, subject: str = "", author: str
) -> str:
    """The HTML WeasyPrint will print: the template with the document helpers."""
    return render_template(
        template_name,
        **context,
        pdf_title=title,
        pdf_subject=subject,
        pdf_author=author,
        static_asset=static_asset,
    )


def lay_out_html(
    html: str,
    *,
    title: str,
    subject: str = "",
    author: str,
    stylesheets: Sequence[str] = (),
    label: str = "document",
) -> LaidOutDocument:
    """Lay HTML from :func:`document_html` out in pages; ``label`` names it in errors."""
    static_folder = str(current_app.static_folder)
    fetcher = locked_fetcher(static_folder)
    try:
        document = HTML(string=html, url_fetcher=fetcher, base_url=None).render(
            stylesheets=[
                base_stylesheet(static_folder),
                *(static_stylesheet(static_folder, path) for path in stylesheets),
            ],
            font_config=font_config(),
        )
    except FatalURLFetchingError as error:
        raise DocumentError(f"{label}: {error}") from error.__cause__
    return LaidOutDocument(document, title=title, subject=subject, author=author)


def lay_out_plain_html(html: str, *, title: str = "probe") -> LaidOutDocument:
    """``html`` laid out with WeasyPrint's own styles only, no app and no URLs: for probes."""
    fetcher = LockedURLFetcher(Path(__file__).parent / "no-static-files")
    document = HTML(string=html, url_fetcher=fetcher, base_url=None).render(
        font_config=font_config()
    )
    return LaidOutDocument(document, title=title, subject="", author="summit")


def lay_out(
    template_name: str,
    context: dict,
    *,
    title: str,
    subject: str = "",
    author: str | None = None,
    stylesheets: Sequence[str] = (),
) -> LaidOutDocument:
    """Lay ``templates/<template_name>`` out in pages with the shared stylesheet.

    ``title``, ``subject`` and ``author`` (default: the organisation) become the PDF's
    metadata when it is written. ``stylesheets`` are more ``static/`` paths applied
    after the shared one (each parsed once per process). Needs an app context.
    """
    author = author or current_app.config["ORGANISATION_NAME"]
    html = document_html(template_name, context, title=title, subject=subject, author=author)
    return lay_out_html(
        html,
        title=title,
        subject=subject,
        author=author,
        stylesheets=stylesheets,
        label=template_name,
    )


def render_pdf(
    template_name: str, context: dict, *, pdf_variant: str | None = None, **layout: Any
) -> bytes:
    """Print ``templates/<template_name>`` to PDF bytes with the shared stylesheet.

    ``layout`` is :func:`lay_out`'s keywords: ``title``, ``subject`` and ``author``
    become the PDF's metadata, which screen readers and file managers show, and
    ``stylesheets`` adds ``static/`` paths after the shared one. ``pdf_variant`` is a
    WeasyPrint variant such as ``"pdf/a-3b"`` (archival copies). Needs an app context.
    """
    return lay_out(template_name, context, **layout).write(pdf_variant=pdf_variant)


def fast_font_subsetting() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (Debian's ``libharfbuzz-subset0``).

    Without it WeasyPrint falls back to fontTools, about seven times slower per PDF.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def warn_if_slow_font_subsetting(logger: logging.Logger | None = None) -> bool:
    """Log one warning when PDFs will be slow for want of HarfBuzz subsetting.

    Meant for app start-up (``create_app``); returns whether fast subsetting is on.
    """
    fast = fast_font_subsetting()
    if not fast:
        (logger or logging.getLogger("summit.documents")).warning(
            "libharfbuzz-subset0 is not installed: WeasyPrint will subset fonts with "
            "fontTools, about 7x slower per PDF (certificates, tickets, invoices). "
            "Install it: apt-get install libharfbuzz-subset0"
        )
    return fast


# glibc's mallopt parameter: allocations this big get their own mapping.
M_MMAP_THRESHOLD = -3
LARGE_BUFFER_BYTES = 4 * 2**20


def return_large_buffers_promptly() -> bool:
    """Have glibc give big buffers back to the system as soon as they are freed.

    For every PDF that uses a font, WeasyPrint copies the font's whole file into
    memory to subset it: 27 MB for Noto Serif CJK. glibc raises its mmap threshold
    after the first such buffer is freed, so later copies come from the heap, which
    never shrinks again: a bulk-issue worker kept about 50 MB it no longer used.
    Fixing the threshold keeps each copy in a mapping of its own, unmapped when
    freed. Returns whether it applied (only glibc has ``mallopt``).
    """
    try:
        process = ctypes.CDLL(None)  # the symbols already loaded: libc's among them
    except (OSError, TypeError):  # no dlopen(NULL) (Windows)
        return False
    mallopt = getattr(process, "mallopt", None)
    return bool(mallopt and mallopt(M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES))
