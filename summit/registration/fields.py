"""Normalising what people type, and the ticket code alphabet."""

from __future__ import annotations

import secrets

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# Upper case without 0/O, 1/I/L: read aloud without confusion, and QR codes use
# their compact alphanumeric mode. 32 characters of 31 symbols ≈ 158 bits.
TICKET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TICKET_LENGTH = 32


def new_ticket_code() -> str:
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


def normalise_email(raw: str) -> str:
    """Syntax check without DNS, lower-cased: the one spelling stored for a person."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


# The stored column's width (Person.phone).
MAX_PHONE_LENGTH = 40


def normalise_phone(raw: str, region: str = "US") -> str:
    """A valid phone number in international format (``+1 509-555-0105``); '' stays ''."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a phone number such as (509) 555-0105.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("That phone number is not valid. Enter it as (509) 555-0105.")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if len(formatted) > MAX_PHONE_LENGTH:  # an extension can make it longer than typed
        raise ValueError(f"That phone number is too long ({MAX_PHONE_LENGTH} characters at most).")
    return formatted
