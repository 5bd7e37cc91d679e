"""One verification for every document the ESD signs, whichever feature issues it.

A certificate (``summit.certificates``) and training series documentation
(``summit.training.proof``) both carry a serial and an unguessable code in the
format made here, and both answer the public ``/verify`` pages
(``summit.certificates.verify``). Each kind registers a :class:`Verifier` with the
app, so the pages ask every kind without importing the features that issue them,
and neither feature imports the other.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

Answer = dict[str, Any]
EXTENSION_KEY = "summit.verifiers"
_CODE_NOISE = re.compile(r"[\s\-‐‑‒–—_.]+")
CODE_PATTERN = re.compile(r"[A-Z2-7]{32}")


@dataclass(frozen=True)
class Verifier:
    """How one kind of document answers: by its code, and by its serial with the name.

    Each returns the public answer (the certified facts only), or None when the
    code or the serial and name are not one of its documents.
    """

    kind: str
    by_code: Callable[[str], Answer | None]
    by_serial: Callable[[str, str], Answer | None]


def register(app: Flask, verifier: Verifier) -> None:
    """Add a kind of document to this app's verification; asked in the order registered."""
    app.extensions.setdefault(EXTENSION_KEY, {})[verifier.kind] = verifier


def _verifiers() -> list[Verifier]:
    return list(current_app.extensions.get(EXTENSION_KEY, {}).values())


def answer_for_code(code: str) -> Answer | None:
    """The answer of the document with this code, of whatever kind; None when none has it."""
    for verifier in _verifiers():
        answer = verifier.by_code(code)
        if answer is not None:
            return answer
    return None


def answer_for_serial(serial: str, name: str) -> Answer | None:
    """The answer of the document with this serial and the name printed on it, or None."""
    for verifier in _verifiers():
        answer = verifier.by_serial(serial, name)
        if answer is not None:
            return answer
    return None


# --- codes ------------------------------------------------------------------------------


def new_verification_code() -> str:
    """160 random bits as 32 base32 characters (A–Z, 2–7): unguessable, easy to type."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def normalise_verification_code(raw: str | None) -> str:
    """What a person typed or a QR carried, as a stored code: no spaces or dashes, upper case."""
    return _CODE_NOISE.sub("", (raw or "")[:200]).upper()


def grouped_verification_code(code: str) -> str:
    """``ABCD-EFGH-…``: how the code is printed so people can type it back."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- names --------------------------------------------------------------------------------


def comparable_name(name: str) -> str:
    """``José  de la Cruz`` and ``jose DE LA CRUZ`` compare equal: no case, spaces or accents."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(letters.casefold().split())


def same_name(printed: str, typed: str) -> bool:
    """Whether the name typed with a serial is the one printed on the document."""
    printed, typed = comparable_name(printed), comparable_name(typed)
    return bool(printed) and hmac.compare_digest(printed.encode(), typed.encode())
