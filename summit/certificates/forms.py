"""Staff forms of the certificate desk. Each POST carries CSRF; each form has a prefix."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from summit.forms import no_links, plain_text, single_line, strip


class IssueForm(FlaskForm):
    """Issue or re-issue one registration's certificate."""

    manual_reason = TextAreaField(
        "Reason to issue by hand (only when the rules would refuse: never checked in, withheld)",
        filters=[strip],
        validators=[Optional(), Length(max=500), plain_text],
    )
    force = BooleanField("Print a new version even if nothing changed")
    notify = BooleanField("Email the person that the certificate is ready", default=True)
    attach_pdf = BooleanField("Attach the PDF to that email")
    unsigned_ok = BooleanField("Issue without a signature image")


class ResendForm(FlaskForm):
    attach_pdf = BooleanField("Attach the PDF")


class BulkIssueForm(FlaskForm):
    notify = BooleanField("Email each person whose certificate is new or changed", default=True)
    unsigned_ok = BooleanField("Issue without a signature image")


class BrandingForm(FlaskForm):
    signer_name = StringField(
        "Signer's name", filters=[single_line], validators=[Optional(), Length(max=200), no_links]
    )
    signer_title = StringField(
        "Signer's title", filters=[single_line], validators=[Optional(), Length(max=200), no_links]
    )
    signature = FileField("Signature image (PNG or JPEG, at most 1 MB)")
    logo = FileField("Logo (PNG or JPEG, at most 1 MB)")
    remove_signature = BooleanField("Remove the signature image")
    remove_logo = BooleanField("Remove the logo")


class CreditPolicyForm(FlaskForm):
    """The ESD's credit policy for one event: the statute sets no hours, staff do."""

    required_minutes = IntegerField(
        "Minutes of sessions that complete a subject",
        validators=[InputRequired("Give a number of minutes."), NumberRange(1, 600)],
    )
    grace_minutes = IntegerField(
        "How many minutes before its start a session scan still counts",
        validators=[InputRequired("Give a number of minutes."), NumberRange(0, 240)],
    )
