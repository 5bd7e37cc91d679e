"""Issue every certificate an event earns, in parallel processes, resumable after a crash.

The parent process plans (who needs a new or changed certificate: the content
hash of what would be printed against the valid certificate's), splits the list
into chunks and hands them to a pool of worker processes. Each worker builds the
app once (pool initializer) and issues its chunk through ``issue_certificate``,
the same three-step issue as a single one, so parallel workers never share a
serial and a killed worker never leaves a file that is served. Progress is a
``CertificateBatch`` row the parent commits after every chunk, with a heartbeat;
a batch with no heartbeat for ``STALE_AFTER`` is resumable, and a rerun simply
plans again: what is already issued is skipped.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit.certificates.eligibility import certificate_for
from summit.certificates.errors import CertificateError, NotEligible
from summit.certificates.services import (
    IssuePlan,
    certificate_details,
    content_hash,
    issue_planned,
    plan_issue,
    valid_certificates,
)
from summit.checkin.credit import event_credit
from summit.extensions import db
from summit.models import (
    Certificate,
    CertificateBatch,
    CertificateStatus,
    Checkin,
    CheckinResult,
    Event,
    Registration,
    RegistrationState,
    StaffUser,
    utcnow,
)
from summit.transactions import lock_row, write_transaction

STALE_AFTER = timedelta(minutes=2)
CHUNK_SIZE = 8  # the smallest chunk
MAX_CHUNK_SIZE = 32
CHUNKS_PER_WORKER = 4
ProgressCallback = Callable[[CertificateBatch], None]


class BatchBusy(CertificateError):
    """Another bulk issue of this event is running (its heartbeat is fresh)."""


@dataclass
class ChunkResult:
    done: int = 0
    failed: int = 0
    issued: int = 0
    errors: list[str] = field(default_factory=list)


# --- planning ----------------------------------------------------------------


def _registrations(event: Event, ids: list[int] | None = None) -> list[Registration]:
    statement = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.state == RegistrationState.CONFIRMED)
        .options(selectinload(Registration.person))
        .order_by(Registration.id)
    )
    if ids is not None:
        statement = statement.where(Registration.id.in_(ids))
    return list(db.session.scalars(statement))


def checked_in_ids(event: Event) -> set[int]:
    """Registrations with a standing check-in (event entry or any session) at this event."""
    return set(
        db.session.scalars(
            select(Checkin.registration_id)
            .where(
                Checkin.event_id == event.id,
                Checkin.status == CheckinResult.OK,
                Checkin.direction == "in",
                Checkin.annulled_at.is_(None),
                Checkin.registration_id.is_not(None),
            )
            .distinct()
        )
    )


def event_valid_certificates(event: Event) -> dict[int, Certificate]:
    """The event's valid certificate of each registration that has one."""
    rows = db.session.scalars(
        select(Certificate).where(
            Certificate.event_id == event.id,
            Certificate.status == CertificateStatus.ISSUED,
        )
    )
    return {certificate.registration_id: certificate for certificate in rows}


def plan(event: Event) -> list[int]:
    """Registrations whose certificate is missing or no longer matches their credit.

    Cheap: a handful of queries and no rendering, so it is safe to call again on
    every rerun; that is what makes a rerun finish exactly the rest.
    """
    registrations = _registrations(event)
    credits = event_credit(event, registrations)
    checked_in = checked_in_ids(event)
    current = event_valid_certificates(event)
    needed = []
    for registration in registrations:
        existing = current.get(registration.id)
        manual = existing.details.get("manual", "") if existing else ""
        eligibility = certificate_for(
            registration,
            credits[registration.id],
            checked_in=registration.id in checked_in,
            override=bool(manual),
        )
        if not eligibility.eligible:
            continue
        digest = content_hash(certificate_details(registration, eligibility, manual=manual))
        if existing is None or existing.content_hash != digest:
            needed.append(registration.id)
    return needed


# --- batches -----------------------------------------------------------------


def is_stale(batch: CertificateBatch, now=None) -> bool:
    now = now or utcnow()
    beat = batch.heartbeat_at or batch.started_at or batch.created_at
    return batch.status in ("queued", "running") and now - beat > STALE_AFTER


def active_batch(event: Event) -> CertificateBatch | None:
    """A queued or running batch of the event whose heartbeat is fresh."""
    batch = latest_batch(event)
    if batch is None or batch.status not in ("queued", "running") or is_stale(batch):
        return None
    return batch


def latest_batch(event: Event) -> CertificateBatch | None:
    return db.session.scalar(
        select(CertificateBatch)
        .where(CertificateBatch.event_id == event.id)
        .order_by(CertificateBatch.id.desc())
        .limit(1)
    )


@write_transaction()
def create_batch(event: Event, *, actor: StaffUser | None = None) -> CertificateBatch:
    """A queued batch for the event; refused while another one is alive."""
    lock_row(Event, event.id)
    busy = active_batch(event)
    if busy is not None:
        raise BatchBusy("Certificates for this event are being issued already.")
    now = utcnow()
    batch = CertificateBatch(
        event_id=event.id,
        status="queued",
        started_by_id=actor.id if actor else None,
        created_at=now,
        heartbeat_at=now,
    )
    db.session.add(batch)
    return batch


def batch_progress(batch: CertificateBatch) -> dict[str, Any]:
    """The JSON the progress bar polls."""
    total = batch.total or 0
    finished = (batch.done or 0) + (batch.failed or 0)
    return {
        "id": batch.id,
        "status": "stalled" if is_stale(batch) else batch.status,
        "total": total,
        "done": batch.done,
        "failed": batch.failed,
        "percent": 100
        if total == 0 and batch.status == "finished"
        else (round(100 * finished / total) if total else 0),
        "message": batch.message,
        "started_at": batch.started_at.isoformat() if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }


def default_workers() -> int:
    configured = current_app.config["CERTIFICATE_WORKERS"]
    if configured:
        return max(int(configured), 1)
    return max(len(os.sched_getaffinity(0)), 1)


def chunk_size(count: int, workers: int) -> int:
    """How many certificates one chunk issues.

    A chunk pays once for the event's credit, one lock and one commit, so bigger is
    cheaper; but every worker should get several chunks, so that they finish
    together and the progress bar moves.
    """
    share = math.ceil(count / (max(workers, 1) * CHUNKS_PER_WORKER))
    return max(CHUNK_SIZE, min(MAX_CHUNK_SIZE, share))


def run_batch(
    batch_id: int,
    *,
    notify: bool = True,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> CertificateBatch:
    """Plan and issue the batch's certificates; commits progress after every chunk.

    ``workers`` 0 runs in this process (tests, tiny events); otherwise a pool of
    processes, each building the app once.
    """
    batch = db.session.get(CertificateBatch, batch_id)
    if batch is None:
        raise LookupError(f"no certificate batch {batch_id}")
    if batch.status == "running" and not is_stale(batch):
        raise BatchBusy("This batch is running in another process.")
    event = db.session.get(Event, batch.event_id)
    actor_id = batch.started_by_id
    ids = plan(event)
    with write_transaction():
        batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
        now = utcnow()
        batch.status = "running"
        batch.started_at = batch.started_at or now
        batch.heartbeat_at = now
        batch.finished_at = None
        batch.total = len(ids) + (batch.done or 0)  # a resumed batch keeps what it did
        batch.message = ""
    if progress:
        progress(batch)
    workers = default_workers() if workers is None else workers
    size = chunk_size(len(ids), workers)
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    errors: list[str] = []
    try:
        for result in _results(chunks, event.id, actor_id, notify, workers):
            with write_transaction():
                batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
                batch.done += result.done
                batch.failed += result.failed
                batch.heartbeat_at = utcnow()
                errors.extend(result.errors)
                if errors:
                    batch.message = "; ".join(errors[-3:])[:1000]
            if progress:
                progress(batch)
    except BaseException as error:
        db.session.rollback()  # whatever the failed chunk left unfinished
        with write_transaction():
            batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
            batch.status = "failed"
            batch.message = f"stopped: {type(error).__name__}: {error}"[:1000]
            batch.finished_at = utcnow()
        raise
    with write_transaction():
        batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
        batch.status = "finished"
        batch.finished_at = utcnow()
        batch.heartbeat_at = batch.finished_at
    if progress:
        progress(batch)
    return batch


def _results(chunks, event_id: int, actor_id: int | None, notify: bool, workers: int):
    if not chunks:
        return
    if workers == 0 or len(chunks) == 1:
        for chunk in chunks:
            yield issue_chunk(event_id, chunk, actor_id, notify)
        return
    # Fork: workers start at once with the parent's imports, fonts and stylesheets
    # (shared copy-on-write); each drops the inherited database connections first.
    app = current_app._get_current_object()
    db.session.remove()
    db.engine.dispose()
    context = multiprocessing.get_context("fork")
    # Objects the workers inherit stay out of their garbage collections, which would
    # otherwise write to (and so copy) nearly every page the parent shares with them.
    gc.collect()
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(chunks)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(app,),
        ) as pool:
            pending = {
                pool.submit(_worker_issue_chunk, event_id, chunk, actor_id, notify)
                for chunk in chunks
            }
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
    finally:
        gc.unfreeze()


_worker_app: Flask | None = None


def _init_worker(app: Flask) -> None:
    """Adopt the forked app; never reuse a database connection the parent opened."""
    global _worker_app
    with app.app_context():
        db.engine.dispose(close=False)
    _worker_app = app


def _worker_issue_chunk(event_id, registration_ids, actor_id, notify) -> ChunkResult:
    assert _worker_app is not None, "worker not initialised"
    with _worker_app.app_context():
        try:
            return issue_chunk(event_id, registration_ids, actor_id, notify)
        finally:
            db.session.remove()


def issue_chunk(
    event_id: int, registration_ids: list[int], actor_id: int | None, notify: bool
) -> ChunkResult:
    """Issue certificates for some registrations of one event; never raises per person.

    The chunk is reserved and finished with one lock each, so workers spend their
    time printing, not waiting for each other's transactions.
    """
    result = ChunkResult()
    event = db.session.get(Event, event_id)
    actor: StaffUser | str = (db.session.get(StaffUser, actor_id) if actor_id else None) or "system"
    registrations = _registrations(event, registration_ids)
    credits = event_credit(event, registrations)
    checked_in = checked_in_ids(event)
    current = valid_certificates(registration_ids)
    plans = []
    for registration in registrations:
        try:
            plan = plan_issue(
                registration,
                credit=credits[registration.id],
                checked_in=registration.id in checked_in,
                current=current.get(registration.id),
            )
        except NotEligible:
            result.done += 1  # became ineligible since planning: nothing to do
            continue
        if isinstance(plan, IssuePlan):
            plans.append(plan)
        else:
            result.done += 1  # unchanged since planning
    labels = [f"registration {plan.registration.id}" for plan in plans]
    try:
        outcomes = issue_planned(plans, actor=actor, notify=notify)
    except Exception as error:  # the chunk's lock or commit failed: all of it is retried later
        db.session.rollback()
        result.failed += len(plans)
        result.errors.append(f"{type(error).__name__}: {error}")
        current_app.logger.error("certificate chunk failed\n%s", traceback.format_exc())
        return result
    for label, outcome in zip(labels, outcomes, strict=True):
        if isinstance(outcome, Exception):
            result.failed += 1
            result.errors.append(f"{label}: {type(outcome).__name__}: {outcome}")
            current_app.logger.error("certificate for %s failed: %r", label, outcome)
        else:
            result.done += 1
            result.issued += outcome.changed
    return result
