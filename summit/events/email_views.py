"""An event's automatic emails for admins: the list, edit with preview, reset to default.

*Preview* is a POST that re-shows the form with the unsaved text rendered for a
registration of the event: it writes nothing, so nothing is lost by trying words
out. *Save* stores them; *Reset to default* asks first (a page of its own, no script).
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for

from summit.errors import render_error
from summit.events import email_texts
from summit.events.blueprint import ADMIN, acting_staff, bp, show_refusal
from summit.events.errors import EventSetupError
from summit.events.forms import EmailTextForm
from summit.forms import ActionForm
from summit.loaders import event_or_404
from summit.mail.texts import placeholders_for
from summit.models import Event
from summit.security import allow_inline_style_attributes, staff_required


@bp.get("/<slug>/emails")
@staff_required(ADMIN)
def emails(slug: str):
    event = event_or_404(slug)
    return render_template(
        "events/emails.html", event=event, emails=email_texts.listed_emails(event)
    )


def _listed_or_404(event: Event, kind: str) -> email_texts.ListedEmail:
    try:
        return email_texts.listed_email(event, kind)
    except LookupError:
        abort(404)


@bp.route("/<slug>/emails/<kind>", methods=["GET", "POST"])
@staff_required(ADMIN)
def edit_email(slug: str, kind: str):
    event = event_or_404(slug)
    listed = _listed_or_404(event, kind)
    form = EmailTextForm(data={"subject": listed.subject, "body": listed.body})
    if not form.is_submitted():
        return _email_page(event, listed, form, email_texts.preview_email(event, kind))
    if not form.validate():
        return _email_page(event, listed, form, status=400)
    subject, body = form.subject.data, form.body.data
    try:
        email_texts.check_email_text(kind, subject, body)
        if form.wants_preview:
            preview = email_texts.preview_email(event, kind, subject=subject, body=body)
            return _email_page(event, listed, form, preview)
        saved = email_texts.save_email_text(
            event.id, kind, subject=subject, body=body, actor=acting_staff()
        )
    except EventSetupError as error:
        show_refusal(form, error)
        return _email_page(event, listed, form, status=error.status_code)
    if saved is None:
        flash("Nothing changed: this email keeps the standard text.", "info")
    else:
        flash(
            f"Saved. From now on, “{listed.email.title}” emails of this event say this.", "success"
        )
    return redirect(url_for("events.edit_email", slug=slug, kind=kind), code=303)


def _email_page(
    event: Event,
    listed: email_texts.ListedEmail,
    form: EmailTextForm,
    preview: email_texts.Preview | None = None,
    status: int = 200,
):
    """The form, the placeholders, and the preview when there is one to show."""
    page = render_template(
        "events/email.html",
        event=event,
        listed=listed,
        form=form,
        preview=preview,
        placeholders=placeholders_for(listed.email.kind),
        previewing_form=form.is_submitted(),
    )
    return allow_inline_style_attributes(make_response(page, status))


@bp.route("/<slug>/emails/<kind>/reset", methods=["GET", "POST"])
@staff_required(ADMIN)
def reset_email(slug: str, kind: str):
    """GET asks (and shows the text that would go); POST puts the standard text back."""
    event = event_or_404(slug)
    listed = _listed_or_404(event, kind)
    form = ActionForm()
    if not form.is_submitted():
        return render_template("events/email_reset.html", event=event, listed=listed, form=form)
    if not form.validate():
        return render_error(400, "This form has expired; reload the page and try again.")
    if email_texts.reset_email_text(event.id, kind, actor=acting_staff()):
        flash(f"“{listed.email.title}” is back to the standard text.", "success")
    else:
        flash(f"“{listed.email.title}” already uses the standard text.", "info")
    return redirect(url_for("events.edit_email", slug=slug, kind=kind), code=303)
