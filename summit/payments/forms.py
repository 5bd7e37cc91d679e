"""Payment forms: what attendees ask for, and what staff take at the desk. Every one is a
FlaskForm, so every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from summit.forms import plain_text, strip
from summit.payments.money import format_cents, parse_cents


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


def check_amount(field) -> None:
    """An amount typed by staff: dollars (``50`` or ``50.00``), more than zero."""
    try:
        cents = parse_cents(field.data or "")
    except ValueError:
        raise ValidationError("Enter an amount in dollars, like 50 or 50.00.") from None
    if cents <= 0:
        raise ValidationError("Enter an amount greater than zero.")


class DeskPaymentForm(FlaskForm):
    """Cash or a check handed over at the door; the balance is offered as the amount."""

    method = RadioField(
        "Paid by",
        choices=[SelectChoice("cash", "Cash"), SelectChoice("check", "Check")],
        default="cash",
        validators=[DataRequired("Choose cash or check.")],
    )
    amount = StringField(
        "Amount received (USD)",
        filters=[strip],
        validators=[DataRequired("Enter the amount received.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    reference = StringField(
        "Check number",
        filters=[strip],
        validators=[Length(max=100), plain_text],
        description="Only for a check.",
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField("Record payment")

    def validate_amount(self, field) -> None:
        check_amount(field)

    def validate_reference(self, field) -> None:
        if self.method.data == "check" and not field.data:
            raise ValidationError("Enter the check number.")

    @property
    def amount_cents(self) -> int:
        return parse_cents(self.amount.data)

    def prefill(self, due_cents: int) -> DeskPaymentForm:
        if not self.is_submitted():
            self.amount.data = format_cents(due_cents).lstrip("$")
        return self


class DeskPurchaseOrderForm(FlaskForm):
    """A district's purchase-order number, given at the door: the invoice is issued."""

    purchase_order = StringField(
        "Purchase-order number",
        filters=[strip],
        validators=[DataRequired("Enter the purchase-order number."), Length(max=100), plain_text],
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField("Issue the invoice")
