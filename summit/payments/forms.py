"""Attendee payment forms. Every one is a FlaskForm, so every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from summit.forms import plain_text, strip


class InvoiceRequestForm(FlaskForm):
    """Purchase order (with its number) or pay by check."""

    how = RadioField(
        "How will your agency pay?",
        choices=[SelectChoice("po", "Purchase order"), SelectChoice("check", "Pay by check")],
        default="po",
        validators=[DataRequired("Choose purchase order or check.")],
    )
    purchase_order = StringField(
        "Purchase-order number",
        filters=[strip],
        validators=[Length(max=100), plain_text],
        description="Required for a purchase order; leave empty when paying by check.",
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField("Send me the invoice")

    def validate_purchase_order(self, field) -> None:
        if self.how.data == "po" and not field.data:
            raise ValidationError("Enter your purchase-order number, or choose pay by check.")

    @property
    def pay_by_check(self) -> bool:
        return self.how.data == "check"


class CardPaymentForm(FlaskForm):
    """Nothing to fill in: the button leads to Stripe's own page."""

    submit = SubmitField("Pay by card")
