"""The signature and logo printed on certificates: checked uploads, stored files, data URIs.

Only PNG and JPEG are accepted, judged by content, not by name: the magic bytes
must match, and the image must decode (Pillow) within a size and pixel limit.
SVG was accepted once and filtered; the filter was bypassed (CSS escapes such as
``u\\72l(…)`` and ``@\\69mport``, ``<?xml-stylesheet?>``), an ``@font-face`` made
every certificate preview fail, and a 1.5 KB ``<use>`` fan-out kept a worker busy
for 31 s. A bitmap has none of that: no references, no styles, bounded decoding.
SVG files stored before are no longer printed (the desk says so and asks for a PNG).
Files live under ``STORAGE_DIR/branding/`` and reach WeasyPrint only as ``data:``
URIs, never as a file path.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

from PIL import Image

from summit import storage
from summit.transactions import write_transaction

MAX_BYTES = 1024 * 1024
MAX_SIDE = 4096
MAX_PIXELS = MAX_SIDE * MAX_SIDE
KINDS = ("signature", "logo")
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
# What each accepted type's file starts with, and what Pillow must then call it.
MAGIC = ((b"\x89PNG\r\n\x1a\n", "png", "PNG"), (b"\xff\xd8\xff", "jpg", "JPEG"))
SVG_REFUSED = (
    "SVG images are not accepted (they can carry styles and references that break "
    "certificates). Save the image as PNG, about 600 pixels wide, and upload that."
)


class UploadRefused(ValueError):
    """An upload that is not a small, sound PNG or JPEG; the message says why."""


@dataclass(frozen=True)
class CheckedImage:
    extension: str
    data: bytes

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.extension]


def check_image(data: bytes) -> CheckedImage:
    """Accept a PNG or JPEG of at most 1 MB that decodes, judged by content; raise otherwise."""
    if not data:
        raise UploadRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise UploadRefused("The file is larger than 1 MB.")
    for magic, extension, pillow_format in MAGIC:
        if data.startswith(magic):
            return CheckedImage(extension, _check_bitmap(data, pillow_format))
    if looks_like_svg(data):
        raise UploadRefused(SVG_REFUSED)
    raise UploadRefused("Only PNG or JPEG images can be used.")


def looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) or b"<svg" in head


def _check_bitmap(data: bytes, expected: str) -> bytes:
    """The header names the type and a size within limits, and the pixels decode.

    The size is read from the header before any pixel is decoded, so a small file
    that claims a huge image costs nothing.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise UploadRefused("The file's content does not match its image type.")
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise UploadRefused("The image is too large (at most 4096 × 4096 pixels).")
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # every pixel: verify() checks little of a JPEG
    except UploadRefused:
        raise
    except Exception:  # Pillow's decoders raise many kinds on a damaged file
        # (UnidentifiedImageError, OSError, SyntaxError, IndexError, UnicodeDecodeError…)
        raise UploadRefused("The image is damaged or not a real PNG or JPEG.") from None
    return data


def store_image(event_slug: str, kind: str, image: CheckedImage) -> str:
    """Write the checked image under ``branding/<event>/``; returns its relative path."""
    if kind not in KINDS:
        raise ValueError(f"unknown branding kind {kind!r}")
    digest = hashlib.sha256(image.data).hexdigest()[:16]
    relative = f"branding/{event_slug}/{kind}-{digest}.{image.extension}"
    storage.write_atomic(relative, image.data)
    return relative


def data_uri(relative: str | None) -> str | None:
    """The stored image as a ``data:`` URI for a PDF, or None when missing.

    Checked again on the way out, so a file swapped on disk cannot smuggle in a
    script or a file reference.
    """
    if not relative or not storage.exists(relative):
        return None
    try:
        image = check_image(storage.read(relative))
    except UploadRefused:
        return None
    encoded = base64.b64encode(image.data).decode("ascii")
    return f"data:{image.mime_type};base64,{encoded}"


def branding_warnings(event) -> list[str]:
    """What an admin must know before issuing: a missing signature is not a broken PDF,
    but a certificate nobody signed."""
    warnings = []
    if not event.signature_path:
        warnings.append(
            "No signature image is uploaded for this event: certificates would print "
            "an empty signature line."
        )
    elif is_stored_svg(event.signature_path):
        warnings.append(
            "The signature is an SVG image, which certificates no longer print: "
            "upload it as PNG or JPEG before issuing."
        )
    elif data_uri(event.signature_path) is None:
        warnings.append(
            "The signature image file is missing or damaged: upload it again before issuing."
        )
    if not event.certificate_signer_name:
        warnings.append("No signer's name is set: certificates would be signed by the ESD.")
    if event.logo_path and is_stored_svg(event.logo_path):
        warnings.append(
            "The logo is an SVG image, which certificates no longer print: the S5 seal is "
            "printed instead. Upload the logo as PNG or JPEG."
        )
    elif event.logo_path and data_uri(event.logo_path) is None:
        warnings.append("The logo file is missing or damaged: the S5 seal is printed instead.")
    return warnings


def is_stored_svg(relative: str) -> bool:
    """An SVG kept from before uploads were PNG and JPEG only: never printed now."""
    return relative.lower().endswith(".svg")


def is_signed(event) -> bool:
    """A signature image that will really print."""
    return bool(event.signature_path) and data_uri(event.signature_path) is not None


@write_transaction()
def update_branding(
    event,
    *,
    actor,
    signer_name: str | None = None,
    signer_title: str | None = None,
    signature: CheckedImage | None = None,
    logo: CheckedImage | None = None,
    remove_signature: bool = False,
    remove_logo: bool = False,
):
    """Store uploaded images and the signer for an event's certificates; audit; commit."""
    from summit import audit

    fields = ("certificate_signer_name", "certificate_signer_title", "signature_path", "logo_path")
    before = {name: getattr(event, name) for name in fields}
    if signer_name is not None:
        event.certificate_signer_name = signer_name
    if signer_title is not None:
        event.certificate_signer_title = signer_title
    if remove_signature:
        event.signature_path = ""
    if remove_logo:
        event.logo_path = ""
    if signature is not None:
        event.signature_path = store_image(event.slug, "signature", signature)
    if logo is not None:
        event.logo_path = store_image(event.slug, "logo", logo)
    after = {name: getattr(event, name) for name in fields}
    audit.record_event_change("certificate.branding", event, before, after, actor)
    return event
