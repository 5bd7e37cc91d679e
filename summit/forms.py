"""Form pieces every feature uses: the text filters and the button-only form.

They live here, not in one feature, so that a feature's forms never import
another feature's (see ARCHITECTURE.md, "Helpers shared by features").
"""

from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(form, field) -> None:
    """Refuse binary junk (NUL and other control characters) in any text field."""
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError("This field contains characters that are not allowed.")


def strip(value):
    """Drop the spaces people paste around what they type; leaves non-text alone."""
    return value.strip() if isinstance(value, str) else value


# Joiners that spell words in Persian, Indic scripts and emoji: kept, they reorder nothing.
KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})


def single_line(value):
    """A name, agency or title as it will print: one line, no invisible characters.

    Names reach certificates, badges, rosters and emails. A newline splits a printed
    line; a control character is junk; a format character (category Cf: bidi
    overrides such as U+202E that print "evil" as "live", zero-width spaces, word
    joiners) changes what a reader sees without showing itself. Line breaks and tabs
    become spaces, the rest is dropped, and runs of spaces collapse to one.
    """
    if not isinstance(value, str):
        return value
    kept = []
    for character in value:
        category = unicodedata.category(character)
        if character.isspace():
            kept.append(" ")
        elif category == "Cc" or (category == "Cf" and character not in KEPT_FORMAT_CHARACTERS):
            continue
        else:
            kept.append(character)
    return " ".join("".join(kept).split())


# What a link or markup looks like in a name: a scheme, "www.", angle brackets, a
# forum link tag, or a domain followed by a path ("bit.ly/x").
_LINK_OR_MARKUP = re.compile(r"://|\bwww\.|[<>]|\[/?url|\b[\w-]+\.[a-z]{2,}/", re.IGNORECASE)


def no_links(form, field) -> None:
    """Refuse web addresses and markup in names, agencies and titles.

    They print on certificates and badges and go into emails the ESD's server sends
    to any address typed on the public form: a script that registers with a chosen
    "first name" must not be able to make that mail carry its link.
    """
    if field.data and _LINK_OR_MARKUP.search(field.data):
        raise ValidationError(
            "Enter the name as it should print: web addresses and the characters < and > "
            "are not allowed here."
        )


class ActionForm(FlaskForm):
    """A button with nothing to fill in (approve, resend email): only the CSRF token."""


class ReasonRequiredForm(FlaskForm):
    """A staff action that must say why (reject, waive, revoke, withhold): audited."""

    reason = TextAreaField(
        "Reason",
        filters=[strip],
        validators=[
            DataRequired("Give a reason; it is kept in the audit log."),
            Length(max=500),
            plain_text,
        ],
    )


class ContactForm(FlaskForm):
    """The contact fields a person types at registration and may correct later."""

    first_name = StringField(
        "First name",
        filters=[single_line],
        validators=[DataRequired("Enter your first name."), Length(max=100), no_links],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        "Last name",
        filters=[single_line],
        validators=[DataRequired("Enter your last name."), Length(max=100), no_links],
        render_kw={"autocomplete": "family-name"},
    )
    phone = TelField(
        "Phone",
        filters=[strip],
        validators=[DataRequired("Enter a phone number."), Length(max=40), plain_text],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    agency = StringField(
        "Agency or employer",
        filters=[single_line],
        validators=[DataRequired("Enter your agency or employer."), Length(max=200), no_links],
        render_kw={"autocomplete": "organization"},
    )
    job_title = StringField(
        "Job title",
        filters=[single_line],
        validators=[DataRequired("Enter your job title."), Length(max=200), no_links],
        render_kw={"autocomplete": "organization-title"},
    )
