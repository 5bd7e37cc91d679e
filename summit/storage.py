"""Stored files (certificates, proofs, evidence, branding) under ``STORAGE_DIR``.

Written atomically and addressed by paths relative to the folder.

A reader never sees half a file: bytes go to a temporary file in the same folder,
are flushed to disk, then renamed over the final name (atomic on POSIX). Paths in
the database are relative, so the folder can move between machines.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app


class StorageError(Exception):
    """A stored path that escapes the storage folder, or a file that is missing."""


def storage_root() -> Path:
    """``STORAGE_DIR`` when set, else ``<instance>/storage``."""
    configured = current_app.config.get("STORAGE_DIR")
    return Path(configured or Path(current_app.instance_path) / "storage").resolve()


def resolve(relative: str) -> Path:
    """The absolute path of a stored file, refusing anything outside the storage folder."""
    root = storage_root()
    path = (root / relative).resolve()
    if not relative or not path.is_relative_to(root) or path == root:
        raise StorageError(f"not a stored file: {relative!r}")
    return path


def write_atomic(relative: str, data: bytes) -> Path:
    """Write ``data`` to ``relative`` (temp file, fsync, rename); returns the final path."""
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def read(relative: str) -> bytes:
    path = resolve(relative)
    if not path.is_file():
        raise StorageError(f"missing stored file: {relative!r}")
    return path.read_bytes()


def exists(relative: str) -> bool:
    try:
        return resolve(relative).is_file()
    except StorageError:
        return False
