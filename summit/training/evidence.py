"""Evidence files: a PDF, PNG or JPEG certificate of a self-training, by content not by name.

Files live under ``STORAGE_DIR/evidence/<person id>/<random>.<ext>``; the row keeps
the path relative to ``STORAGE_DIR``. A file is written to a temporary name in the
same folder and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from summit import storage
from summit.training import evidence_max_bytes
from summit.training.errors import EvidenceRejected

# (magic bytes, extension, content type): what the file *is*, whatever it is called.
SIGNATURES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)


@dataclass(frozen=True)
class Evidence:
    data: bytes
    extension: str
    content_type: str
    filename: str


def sniff(data: bytes) -> tuple[str, str]:
    """``(extension, content type)`` from the first bytes, or :class:`EvidenceRejected`."""
    for magic, extension, content_type in SIGNATURES:
        if data.startswith(magic):
            return extension, content_type
    raise EvidenceRejected(
        "The evidence file must be a PDF, PNG or JPEG. This file is not one of those, "
        "whatever its name says."
    )


def read_upload(stream, filename: str) -> Evidence:
    """Read at most the limit + 1 bytes and check size and type; nothing is stored here."""
    limit = evidence_max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise EvidenceRejected("The evidence file is empty.")
    if len(data) > limit:
        raise EvidenceRejected(
            f"The evidence file is too large: at most {limit // (1024 * 1024)} MB."
        )
    extension, content_type = sniff(data)
    return Evidence(data, extension, content_type, safe_filename(filename, extension))


def safe_filename(filename: str, extension: str) -> str:
    """A download name: the person's own name cut down to safe characters, right extension."""
    stem = Path(filename or "evidence").stem
    cleaned = "".join(c if c.isalnum() or c in "-_ " else "-" for c in stem).strip(" -")[:80]
    return f"{cleaned or 'evidence'}.{extension}"


def store(person_id: int, evidence: Evidence) -> str:
    """Write the file atomically; returns its path relative to ``STORAGE_DIR``."""
    relative = f"evidence/{int(person_id)}/{secrets.token_urlsafe(18)}.{evidence.extension}"
    storage.write_atomic(relative, evidence.data)
    return relative


def path_of(relative: str) -> Path | None:
    """The stored file for a row's ``evidence_path``, refusing anything outside storage."""
    if not relative or not storage.exists(relative):
        return None
    return storage.resolve(relative)


def remove(relative: str) -> None:
    path = path_of(relative)
    if path is not None:
        path.unlink(missing_ok=True)
