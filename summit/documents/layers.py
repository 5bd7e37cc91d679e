"""Two-layer PDFs: a backdrop printed once, and a thin foreground printed per person.

WeasyPrint spends most of a certificate's time on what every certificate of an
event shares: the frame, the statement and the thirteen-row topic table with its
statute wording (about a millisecond of style and layout work per element). A
layered certificate lays that out once as a *backdrop* and, for each person, lays
out only the few boxes that differ (name, hours, serial, code, QR) at positions
measured in the backdrop. This module joins the two while WeasyPrint writes the
foreground: each backdrop page becomes a Form XObject painted underneath the
foreground's page of the same number.

The backdrop PDF is parsed once (pypdf) into ready-to-number PDF objects: its
content streams and the fonts, images and colour spaces it uses, still compressed
and embedded as PDF/A requires. Each foreground then only appends those objects
to its own object list (a WeasyPrint "finisher"), so it keeps its catalog, its
PDF/A identification (XMP metadata, output intent) and its document information,
and nothing is parsed or written twice.

This leans on internals no WeasyPrint release promises to keep: the laid-out
``page._page_box`` (slots are measured in it) and the pydyf objects a finisher
gets. pyproject.toml pins the range this is tested with, and :func:`layering_supported`
tries the whole path once per process on a tiny document; where it fails,
certificates are printed whole (slower, the same on paper) and one warning is logged.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pydyf
from flask import current_app
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

from summit.documents.pdf import (
    Slot,
    document_html,
    lay_out,
    lay_out_html,
    lay_out_plain_html,
    render_pdf,
)

BACKDROP_NAME = "SummitBackdrop"  # + the page's object number
BACKDROP_TITLE = "backdrop"  # the same for every person, so it never splits the cache
BACKDROP_CACHE_SIZE = 32
# A backdrop costs about two whole prints: make one when its layout comes back.
WHOLE_PRINTS_BEFORE_BACKDROP = 1

# A serialised object: bytes, and ints that stand for "reference to backdrop object i".
Parts = list[bytes | int]


class _ReadyObject(pydyf.Object):
    """A PDF object already serialised, added to a pydyf PDF as it is."""

    def __init__(self, data: bytes, *, stream: bool) -> None:
        super().__init__()
        self._serialised = data
        self._stream = stream

    @property
    def data(self) -> bytes:
        return self._serialised

    @property
    def compressible(self) -> bool:
        return not self._stream and not self.generation


class Backdrop:
    """The pages of a PDF as Form XObjects, ready to be appended to other PDFs.

    Each page's web links come along (the self-training links of an attendance
    certificate stay clickable). Font subsets are renamed: the foreground embeds
    its own, different subsets of the same fonts, and PDF readers and printers
    may treat two subsets with one name as one font.
    """

    def __init__(self, pdf: bytes) -> None:
        self._objects: list[tuple[Parts, bool]] = []
        self._numbers: dict[int, int] = {}
        self._pending: list[tuple[int, PdfObject]] = []
        self._subset_tag = hashlib.sha256(pdf).hexdigest()
        pages = PdfReader(BytesIO(pdf)).pages
        self.form_indexes = [self._form(page) for page in pages]
        self.link_indexes = [self._links(page) for page in pages]
        while self._pending:
            index, target = self._pending.pop()
            is_stream = isinstance(target, StreamObject)
            parts = (
                self._stream_parts(dict(target), target._data) if is_stream else self._parts(target)
            )
            self._objects[index] = (parts, is_stream)

    @property
    def page_count(self) -> int:
        return len(self.form_indexes)

    def _form(self, page: Any) -> int:
        contents = page.get(NameObject("/Contents"))
        stream = contents.get_object() if contents is not None else None
        if not isinstance(stream, StreamObject):  # WeasyPrint writes one stream per page
            raise ValueError("a backdrop page needs exactly one content stream")
        form: dict[str, Any] = {
            **{key: value for key, value in stream.items() if key != "/Length"},
            "/Type": NameObject("/XObject"),
            "/Subtype": NameObject("/Form"),
            "/BBox": ArrayObject(page.mediabox),
            "/Resources": page["/Resources"].get_object(),
        }
        return self._add(self._stream_parts(form, stream._data), stream=True)

    def _links(self, page: Any) -> list[int]:
        """The page's web links as annotations for another page (printable, as PDF/A wants)."""
        links = []
        for reference in page.get("/Annots", ArrayObject()):
            annotation = reference.get_object()
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            if (
                annotation.get("/Subtype") != "/Link"
                or action is None
                or action.get("/S") != "/URI"
            ):
                raise ValueError("a backdrop may carry web links only")
            link = {key: value for key, value in annotation.items() if key not in ("/P", "/F")}
            link["/F"] = NumberObject(4)  # print
            links.append(self._add(self._parts(link), stream=False))
        return links

    def _add(self, parts: Parts, *, stream: bool) -> int:
        self._objects.append((parts, stream))
        return len(self._objects) - 1

    def _reference(self, reference: IndirectObject) -> int:
        number = reference.idnum
        if number not in self._numbers:
            self._numbers[number] = self._add([], stream=False)  # filled in by __init__
            self._pending.append((self._numbers[number], reference.get_object()))
        return self._numbers[number]

    def _parts(self, value: Any) -> Parts:
        if isinstance(value, IndirectObject):
            return [self._reference(value)]
        if isinstance(value, DictionaryObject | dict):
            parts: Parts = [b"<<"]
            for key, item in value.items():
                if key in ("/BaseFont", "/FontName"):
                    item = self._renamed_subset(item)
                parts += [*self._parts(NameObject(key)), b" ", *self._parts(item), b"\n"]
            return [*parts, b">>"]
        if isinstance(value, ArrayObject):
            parts = [b"["]
            for item in value:
                parts += [*self._parts(item), b" "]
            return [*parts, b"]"]
        buffer = BytesIO()
        value.write_to_stream(buffer)
        return [buffer.getvalue()]

    def _renamed_subset(self, name: Any) -> Any:
        """``/ABCDEF+Noto-Sans`` with a tag of this backdrop's own (same font name)."""
        tag, plus, font = str(name)[1:].partition("+")
        if not plus or len(tag) != 6 or not tag.isalpha() or not tag.isupper():
            return name
        digest = hashlib.sha256((self._subset_tag + tag).encode()).digest()
        return NameObject("/" + "".join(chr(65 + byte % 26) for byte in digest[:6]) + "+" + font)

    def _stream_parts(self, dictionary: dict[str, Any], data: bytes) -> Parts:
        dictionary = {**dictionary, "/Length": NumberObject(len(data))}
        return [*self._parts(dictionary), b"\nstream\n", data, b"\nendstream"]

    def add_to(self, pdf: pydyf.PDF) -> int:
        """Append the backdrop's objects to ``pdf``; the number of the first one."""
        base = len(pdf.objects)
        for parts, stream in self._objects:
            data = b"".join(
                part if isinstance(part, bytes) else b"%d 0 R" % (base + part) for part in parts
            )
            pdf.add_object(_ReadyObject(data, stream=stream))
        return base

    def paint_under(self, _document: Any, pdf: pydyf.PDF) -> None:
        """WeasyPrint finisher: paint backdrop page n first on page n of ``pdf``.

        The caller has checked that both have the same number of pages.
        """
        base = self.add_to(pdf)
        kids = pdf.pages["Kids"]  # flat: number, 0, R, number, 0, R…
        for number, form, links in zip(
            kids[::3], self.form_indexes, self.link_indexes, strict=True
        ):
            page = pdf.objects[number]
            resources = pdf.objects[int(page["Resources"].split()[0])]
            name = f"{BACKDROP_NAME}{number}"
            resources["XObject"][name] = b"%d 0 R" % (base + form)
            paint = pydyf.Stream([b"q /" + name.encode() + b" Do Q"])
            pdf.add_object(paint)
            page["Contents"] = pydyf.Array([paint.reference, page["Contents"]])
            if links:
                annotations = page.setdefault("Annots", pydyf.Array())
                annotations.extend(b"%d 0 R" % (base + link) for link in links)


@dataclass(frozen=True)
class Column:
    """Numbered slots (``hours-1``, ``hours-2``…) that one text block can print.

    When the slots share a left edge and width and their tops fall on a grid of
    half lines, a single ``white-space: pre`` block with that line height puts every
    value on its baseline: one element instead of one per row, which is most of
    what a row costs WeasyPrint. ``gaps`` are the line breaks before each value.
    """

    left: float
    top: float
    width: float
    pitch: float
    gaps: tuple[int, ...]

    @property
    def room(self) -> Slot:
        return Slot(0, self.left, self.top, self.width, (sum(self.gaps) + 1) * self.pitch)


def _columns(slots: dict[str, Slot], tolerance: float = 0.01) -> dict[str, Column]:
    numbered: dict[str, dict[int, Slot]] = {}
    for name, slot in slots.items():
        prefix, _, number = name.rpartition("-")
        if prefix and number.isdigit() and slot.page == 0:
            numbered.setdefault(prefix, {})[int(number)] = slot
    columns = {}
    for prefix, group in numbered.items():
        rows = [group[number] for number in sorted(group)]
        first, pitch = rows[0], rows[0].height / 2  # each slot holds one line
        if len(rows) < 2 or pitch <= 0:
            continue
        lines = [(row.top - first.top) / pitch for row in rows]
        if all(
            abs(row.left - first.left) < tolerance
            and abs(row.width - first.width) < tolerance
            and abs(line - round(line)) < tolerance
            for row, line in zip(rows, lines, strict=True)
        ):
            steps = [round(line) for line in lines]
            gaps = (0, *(b - a for a, b in itertools.pairwise(steps)))
            if all(gap > 0 for gap in gaps[1:]):
                # A half-line box puts the baseline a quarter line higher: start lower.
                top = first.top + pitch / 2
                columns[prefix] = Column(first.left, top, first.width, pitch, gaps)
    return columns


@dataclass(frozen=True)
class MeasuredBackdrop:
    """A backdrop and where its blank slots are, for one exact backdrop HTML."""

    key: str
    backdrop: Backdrop
    slots: dict[str, Slot]
    columns: dict[str, Column]

    @property
    def rooms(self) -> dict[str, Slot]:
        """Every slot and every column, as :meth:`LaidOutDocument.misfits` expects."""
        return {
            **self.slots,
            **{f"{prefix}-column": column.room for prefix, column in self.columns.items()},
        }


# Per process: the backdrops made (None: this layout is printed whole, see below) and
# how often each backdrop HTML was seen without one.
_backdrops: OrderedDict[str, MeasuredBackdrop | None] = OrderedDict()
_sightings: OrderedDict[str, int] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(cache: OrderedDict, key: str, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > BACKDROP_CACHE_SIZE:
        cache.popitem(last=False)


def _backdrop_key(html: str, stylesheets: Sequence[str]) -> str:
    return hashlib.sha256("\x00".join([html, *stylesheets]).encode()).hexdigest()


def _choose_backdrop(
    candidates: list[Callable[[], str]], *, author: str, stylesheets: Sequence[str]
) -> tuple[int, MeasuredBackdrop] | None:
    """The first candidate backdrop that is cached or worth making, with its index.

    A candidate gives its HTML when asked (rendering the template costs a
    millisecond, so only as many as needed). Backdrops are keyed by that HTML, so
    anything that changes what one shows (event, curriculum, signer, branding, kind,
    the topics still to do) is a different one. A backdrop costs about two whole
    documents, so it is made the second time its HTML is seen: a layout nobody else
    shares is printed whole, never worse than without layers. Every candidate is
    counted as seen, so a later certificate can use a less specific one (the
    event's) when the most specific never comes back.
    """
    asked: list[tuple[str, str]] = []
    for html_of in candidates:
        html = html_of()
        key = _backdrop_key(html, stylesheets)
        with _cache_lock:
            if key in _backdrops:
                _backdrops.move_to_end(key)
                measured = _backdrops[key]
                return None if measured is None else (len(asked), measured)
        asked.append((key, html))
    chosen = None
    with _cache_lock:
        for index, (key, html) in enumerate(asked):
            seen = _sightings.get(key, 0)
            if chosen is None and seen >= WHOLE_PRINTS_BEFORE_BACKDROP:
                chosen = index, key, html
            else:
                _remember(_sightings, key, seen + 1)
    if chosen is None:
        return None
    index, key, html = chosen
    laid_out = lay_out_html(
        html, title=BACKDROP_TITLE, author=author, stylesheets=stylesheets, label="backdrop"
    )
    slots = laid_out.slots()
    try:
        backdrop = Backdrop(laid_out.write())
    except ValueError:  # something a backdrop cannot carry (a link inside the document)
        _give_up(key)
        return None
    measured = MeasuredBackdrop(key, backdrop, slots, _columns(slots))
    with _cache_lock:
        _remember(_backdrops, key, measured)
    return index, measured


def _give_up(key: str) -> None:
    """Print this layout whole from now on (it does not split into layers)."""
    with _cache_lock:
        _remember(_backdrops, key, None)


def render_layered(
    template_name: str,
    layer_template: str,
    context: dict,
    *,
    title: str,
    subject: str = "",
    stylesheets: Sequence[str] = (),
    pdf_variant: str | None = None,
    variants: Sequence[dict[str, Any]] = ({},),
) -> bytes:
    """Print ``template_name`` as a shared backdrop plus a per-person layer.

    ``template_name`` is printed with ``layer="backdrop"`` (per-person values blank,
    each marked ``data-slot``) and cached; ``layer_template`` prints the values at the
    measured ``slots``, or a numbered series of them at once with its ``columns``.
    ``variants`` are context overrides tried in order, most shared work first (a
    certificate's hours in the backdrop, then the event's backdrop with the hours
    in the layer). The document is printed whole with ``layer="full"`` when no
    backdrop is worth making yet, when a value does not fit its slot (a very long
    name), or when the backdrop and the layer disagree on pages (a long address
    pushed the footer onto a second page): the result always reads the same.
    """
    author = current_app.config["ORGANISATION_NAME"]
    candidates = [
        functools.partial(
            document_html,
            template_name,
            {**context, **variant, "layer": "backdrop"},
            title=BACKDROP_TITLE,
            author=author,
        )
        for variant in variants
    ]
    chosen = None
    if layering_supported():
        chosen = _choose_backdrop(candidates, author=author, stylesheets=stylesheets)
    if chosen is not None:
        index, measured = chosen
        foreground = lay_out(
            layer_template,
            {**context, **variants[index], "slots": measured.slots, "columns": measured.columns},
            title=title,
            subject=subject,
            stylesheets=stylesheets,
        )
        if foreground.page_count != measured.backdrop.page_count:
            _give_up(measured.key)
        elif not foreground.misfits(measured.rooms):
            return foreground.write(pdf_variant=pdf_variant, finisher=measured.backdrop.paint_under)
    return render_pdf(
        template_name,
        {**context, "layer": "full"},
        title=title,
        subject=subject,
        stylesheets=stylesheets,
        pdf_variant=pdf_variant,
    )


# --- the internals this module needs ------------------------------------------------

logger = logging.getLogger("summit.documents")
_PROBE_BACKDROP = '<p data-slot="name" style="margin:0;height:20px">backdrop</p>'
_PROBE_LAYER = '<p style="margin:0">layer</p>'


@functools.cache
def missing_internals() -> str | None:
    """What layered printing needs and this WeasyPrint lacks, or None when all is there.

    Measures a slot in a tiny backdrop and paints it under a tiny layer, the same
    calls a certificate makes, and reads the result back: a renamed attribute or a
    changed pydyf structure shows up here once, not in every certificate.
    """
    try:
        backdrop = lay_out_plain_html(_PROBE_BACKDROP)
        if set(backdrop.slots()) != {"name"}:
            return "laid-out pages no longer expose their boxes (page._page_box)"
        layered = Backdrop(backdrop.write())
        pdf = lay_out_plain_html(_PROBE_LAYER).write(finisher=layered.paint_under)
        page = PdfReader(BytesIO(pdf)).pages[0]
        names = page["/Resources"].get("/XObject", {}).keys()
        if not any(str(name).startswith("/" + BACKDROP_NAME) for name in names):
            return "the backdrop did not reach the page (pydyf's page structures changed)"
    except Exception as error:  # any failure of the internals means: print whole
        return f"{type(error).__name__}: {error}"
    return None


_warned = False


def layering_supported() -> bool:
    """Whether certificates may be layered here; logs one warning per process if not."""
    global _warned
    problem = missing_internals()
    if problem is not None and not _warned:
        _warned = True
        logger.warning(
            "layered certificates are off, every certificate is printed whole (slower, "
            "same result): this WeasyPrint lacks what summit.documents.layers uses (%s)",
            problem,
        )
    return problem is None
