"""``flask --app summit issue-certificates <slug>``: the bulk issue, with a progress bar."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from summit.certificates import bulk
from summit.certificates.branding import branding_warnings, is_signed
from summit.certificates.eligibility import certificates_open_at, too_early_message
from summit.documents.pdf import return_large_buffers_promptly
from summit.extensions import db
from summit.models import CertificateBatch, Event, utcnow


@click.command("issue-certificates")
@click.argument("slug")
@click.option("--batch", "batch_id", type=int, help="Run (or resume) this batch, made by the UI.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: CPUs).")
@click.option("--no-email", is_flag=True, help="Do not email people their new certificates.")
@click.option(
    "--without-signature", is_flag=True, help="Issue even though no signature image is set."
)
@with_appcontext
def issue_certificates_command(
    slug: str, batch_id: int | None, workers: int | None, no_email: bool, without_signature: bool
) -> None:
    """Issue every certificate the event SLUG earns: new ones, and new versions where the
    credit changed. Safe to rerun after a crash: it finishes the rest."""
    return_large_buffers_promptly()  # before the workers fork: they inherit it
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"no event {slug!r}")
    for warning in branding_warnings(event):
        click.echo(f"Warning: {warning}", err=True)
    opens_at = certificates_open_at(event)
    if utcnow() < opens_at:
        raise click.ClickException(too_early_message(opens_at))
    if batch_id is None and not is_signed(event) and not without_signature:
        raise click.ClickException(
            "no signature image: upload one on the certificates page, or pass --without-signature"
        )
    if batch_id is None:
        stale = bulk.latest_batch(event)
        if stale is not None and bulk.is_stale(stale):
            click.echo(f"Resuming batch {stale.id}, stopped without finishing.")
            batch = stale
        else:
            try:
                batch = bulk.create_batch(event)
            except bulk.BatchBusy as error:
                raise click.ClickException(error.message) from None
    else:
        batch = db.session.get(CertificateBatch, batch_id)
        if batch is None or batch.event_id != event.id:
            raise click.ClickException(f"no batch {batch_id} for {slug!r}")
    with click.progressbar(length=1, label=f"Certificates for {event.name}") as bar:
        shown = {"done": 0}

        def progress(current: CertificateBatch) -> None:
            bar.length = max(current.total, 1)
            finished = current.done + current.failed
            bar.update(finished - shown["done"])
            shown["done"] = finished

        try:
            batch = bulk.run_batch(
                batch.id, notify=not no_email, workers=workers, progress=progress
            )
        except bulk.BatchBusy as error:
            raise click.ClickException(error.message) from None
    click.echo(
        f"Batch {batch.id} {batch.status}: {batch.done} done, {batch.failed} failed "
        f"of {batch.total}."
    )
    if batch.message:
        click.echo(batch.message, err=True)
    if batch.failed:
        raise SystemExit(1)
