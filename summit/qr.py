"""QR codes for tickets and certificates, drawn by segno: no network, no image library.

One module so that a page, an email and a PDF draw the same symbol from the same
text. Error correction ``M`` survives a creased printout and a dim phone screen.
"""

from __future__ import annotations

from io import BytesIO

import segno
from markupsafe import Markup

ERROR_LEVEL = "m"
# Any of the eight mask patterns is valid for every reader; choosing the best one
# scores all eight, which is most of the cost of drawing a symbol.
PRINT_MASK = 0


def _make(data: str, *, mask: int | None = None) -> segno.QRCode:
    if not data:
        raise ValueError("a QR code needs something to encode")
    return segno.make(data, error=ERROR_LEVEL, micro=False, boost_error=False, mask=mask)


def qr_svg(data: str, *, title: str = "QR code") -> Markup:
    """An inline ``<svg>`` element that scales to its box (viewBox only, no size).

    Safe to put in a template as is: segno escapes ``title`` and the symbol is paths.
    """
    svg = _make(data).svg_inline(scale=1, border=4, omitsize=True, title=title, svgclass="qr")
    return Markup(svg)  # noqa: S704 - segno output: paths plus an escaped title


def qr_svg_data_uri(data: str) -> str:
    """The symbol as an SVG ``data:`` URI, for ``<img src>`` in pages and PDFs."""
    return _make(data).svg_data_uri(scale=8, border=4)


def qr_png_data_uri(data: str, *, scale: int = 8) -> str:
    """The symbol as a PNG ``data:`` URI, for places that cannot show SVG."""
    return _make(data).png_data_uri(scale=scale, border=4)


def qr_print_data_uri(data: str) -> str:
    """A PNG ``data:`` URI with one pixel per module, for PDFs printed in bulk.

    Cheaper for WeasyPrint than an SVG path (no path to parse and draw) and as sharp
    at any size when the ``<img>`` has ``image-rendering: pixelated`` (the PDF image
    is then not interpolated). The mask is fixed, which skips scoring all eight.
    """
    return _make(data, mask=PRINT_MASK).png_data_uri(scale=1, border=4)


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """PNG bytes, e.g. for an email attachment."""
    buffer = BytesIO()
    _make(data).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
