"""What this machine has for the tests that need more than Python: fonts, mostly.

A test that needs a font skips with the Debian package that brings it, so the
README's test command passes on a machine with only Python and npm, and CI (which
installs everything) still runs it.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

import pytest

FONT_PACKAGES = {
    "Noto Sans": "fonts-noto-core",
    "Noto Serif": "fonts-noto-core",
    "Noto Sans CJK SC": "fonts-noto-cjk",
}


@functools.cache
def _fc_list(pattern: str) -> str:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ""
    result = subprocess.run([fc_list, pattern, "family"], capture_output=True, text=True)
    return result.stdout


def has_font_family(family: str) -> bool:
    return any(family in line.split(",") for line in _fc_list(f":family={family}").splitlines())


def has_glyphs(text: str) -> bool:
    """Whether one installed font draws every letter of ``text`` (fontconfig's charset)."""
    letters = sorted({f"{ord(char):x}" for char in text if not char.isspace()})
    return bool(_fc_list(":charset=" + " ".join(letters)).strip())


def require_font_family(family: str) -> None:
    if not has_font_family(family):
        package = FONT_PACKAGES.get(family, "a package with it")
        pytest.skip(f"font {family!r} not installed: apt-get install {package}")


def require_glyphs(text: str, package: str = "fonts-noto-cjk") -> None:
    if not has_glyphs(text):
        pytest.skip(f"no installed font draws {text!r}: apt-get install {package}")
