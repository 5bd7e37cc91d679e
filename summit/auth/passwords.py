"""The staff password policy: long, and not one that guessing lists try first.

Length alone let ``aaaaaaaaaaaa`` and ``password1234`` through for an admin. A
password must have ``MIN_LENGTH`` characters, must not be on the shipped list of
common passwords (``common_passwords.txt``), not even with digits or symbols
added at either end, and must not be one character or a short pattern repeated,
or a run along the alphabet, the digits or the keyboard.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

MIN_LENGTH = 12
MAX_LENGTH = 1024  # what the sign-in form accepts
MIN_DISTINCT = 5
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_REPEATED_UNIT = re.compile(r"(.{1,6}?)\1+", re.DOTALL)
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiopasdfghjklzxcvbnm")


@cache
def common_passwords() -> frozenset[str]:
    text = files("summit.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why ``password`` is refused, as a sentence to show; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password must have at most {MAX_LENGTH} characters."
    lowered = password.lower()
    core = _EDGES.sub("", lowered)
    if lowered in common_passwords() or core in common_passwords():
        return "That password is on lists of common passwords that attackers try first."
    if not core:
        return "The password needs letters, not only digits and symbols."
    if len(set(lowered)) < MIN_DISTINCT or _REPEATED_UNIT.fullmatch(lowered):
        return "The password repeats a few characters: choose a longer mix, or a few words."
    if any(lowered in run or lowered in run[::-1] for run in _RUNS):
        return "The password is a run of letters, digits or keys: choose something less regular."
    local = email.partition("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        return "The password must not contain the email address."
    return None
