"""The signature and logo printed on certificates: checked uploads, stored files, data URIs.

Uploads are checked by their content, not their name: PNG and JPEG must decode
(Pillow) within a pixel limit; SVG must parse without a DOCTYPE or entities and
may not carry scripts, event handlers, ``foreignObject`` or any reference outside
itself. Files live under ``STORAGE_DIR/branding/`` and reach WeasyPrint only as
``data:`` URIs, never as a file path.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass
from xml.parsers import expat

from PIL import Image

from summit import storage

MAX_BYTES = 1024 * 1024
MAX_PIXELS = 4096 * 4096
KINDS = ("signature", "logo")
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FORBIDDEN_SVG_ELEMENTS = {
    "script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
    "listener", "animate", "set", "animatemotion", "animatetransform",
}  # fmt: skip
_LOCAL_URL = re.compile(r"url\(\s*(['\"]?)#", re.IGNORECASE)
_ANY_URL = re.compile(r"url\(", re.IGNORECASE)


class UploadRefused(ValueError):
    """An upload that is not a small PNG, JPEG or safe SVG; the message says why."""


@dataclass(frozen=True)
class CheckedImage:
    extension: str
    data: bytes

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.extension]


def check_image(data: bytes) -> CheckedImage:
    """Accept a PNG, JPEG or SVG of at most 1 MB, judged by content; raise otherwise."""
    if not data:
        raise UploadRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise UploadRefused("The file is larger than 1 MB.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return CheckedImage("png", _check_bitmap(data, "PNG"))
    if data.startswith(b"\xff\xd8\xff"):
        return CheckedImage("jpg", _check_bitmap(data, "JPEG"))
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        _check_svg(data)
        return CheckedImage("svg", data)
    raise UploadRefused("Only PNG, JPEG or SVG images can be used.")


def _check_bitmap(data: bytes, expected: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise UploadRefused("The file's content does not match its image type.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UploadRefused("The image is too large (at most 4096 × 4096 pixels).")
            image.verify()
    except UploadRefused:
        raise
    except Exception:  # Pillow's decoders raise many kinds on a damaged file
        # (UnidentifiedImageError, OSError, SyntaxError, IndexError, UnicodeDecodeError…)
        raise UploadRefused("The image is damaged or not a real PNG or JPEG.") from None
    return data


def _check_svg(data: bytes) -> None:
    """Parse with expat, refusing DTDs and entities (no billion laughs, no XXE)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    seen_root: list[str] = []

    def refuse(*_args):
        raise UploadRefused("SVG files may not contain a DOCTYPE or entities.")

    def start(name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if not seen_root:
            if local != "svg" or namespace != SVG_NAMESPACE:
                raise UploadRefused("The file is not an SVG image.")
            seen_root.append(local)
        if local.lower() in FORBIDDEN_SVG_ELEMENTS:
            raise UploadRefused(f"SVG files may not contain <{local}>.")
        for key, value in attributes.items():
            attribute = key.rpartition(" ")[2].lower()
            if attribute.startswith("on"):
                raise UploadRefused("SVG files may not contain scripts (event handlers).")
            if attribute == "href" and not value.strip().startswith("#"):
                raise UploadRefused("SVG files may not refer to other files or web addresses.")
            if _external_url(value):
                raise UploadRefused("SVG files may not refer to other files or web addresses.")

    def text(value: str) -> None:
        if "@import" in value.lower() or _external_url(value):
            raise UploadRefused("SVG files may not refer to other files or web addresses.")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except UploadRefused:  # a handler's own refusal, with its reason
        raise
    except (expat.ExpatError, LookupError, ValueError):  # LookupError: an unknown encoding
        raise UploadRefused("The SVG file is not well-formed XML.") from None
    if not seen_root:
        raise UploadRefused("The file is not an SVG image.")


def _external_url(value: str) -> bool:
    """``url(...)`` that points anywhere but inside the same SVG."""
    return len(_ANY_URL.findall(value)) > len(_LOCAL_URL.findall(value))


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
    elif data_uri(event.signature_path) is None:
        warnings.append(
            "The signature image file is missing or damaged: upload it again before issuing."
        )
    if not event.certificate_signer_name:
        warnings.append("No signer's name is set: certificates would be signed by the ESD.")
    if event.logo_path and data_uri(event.logo_path) is None:
        warnings.append("The logo file is missing or damaged: the S5 seal is printed instead.")
    return warnings


def is_signed(event) -> bool:
    """A signature image that will really print."""
    return bool(event.signature_path) and data_uri(event.signature_path) is not None


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
    from summit.extensions import db

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
    db.session.commit()
    return event
