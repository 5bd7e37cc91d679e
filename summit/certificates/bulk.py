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

import ctypes
import gc
import math
import multiprocessing
import os
import signal
import sys
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


@write_transaction(keep_loaded=True)
def create_batch(event: Event, *, actor: StaffUser | None = None) -> CertificateBatch:
    """A queued batch for the event; refused while another one is alive.

    Kept loaded: the caller hands its id to the task queue without reading it again.
    """
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
    batch = _start(batch_id, len(ids))
    if progress:
        progress(batch)
    workers = default_workers() if workers is None else workers
    size = chunk_size(len(ids), workers)
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    errors: list[str] = []
    try:
        for result in _results(chunks, event.id, actor_id, notify, workers):
            batch = _record_chunk(batch_id, result, errors)
            if progress:
                progress(batch)
    except BaseException as error:
        db.session.rollback()  # whatever the failed chunk left unfinished
        _stop(batch_id, "failed", f"stopped: {type(error).__name__}: {error}")
        raise
    batch = _stop(batch_id, "finished")
    if progress:
        progress(batch)
    return batch


def _start(batch_id: int, planned: int) -> CertificateBatch:
    """Mark the batch running; a resumed batch keeps what it did."""
    with write_transaction():
        batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
        now = utcnow()
        batch.status = "running"
        batch.started_at = batch.started_at or now
        batch.heartbeat_at = now
        batch.finished_at = None
        batch.total = planned + (batch.done or 0)
        batch.message = ""
    return batch


def _record_chunk(batch_id: int, result: ChunkResult, errors: list[str]) -> CertificateBatch:
    """Add a chunk's counts to the batch row, with a heartbeat and the latest errors."""
    with write_transaction():
        batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
        batch.done += result.done
        batch.failed += result.failed
        batch.heartbeat_at = utcnow()
        errors.extend(result.errors)
        if errors:
            batch.message = "; ".join(errors[-3:])[:1000]
    return batch


def _stop(batch_id: int, status: str, message: str | None = None) -> CertificateBatch:
    with write_transaction():
        batch = db.session.get(CertificateBatch, batch_id, populate_existing=True)
        batch.status = status
        batch.finished_at = utcnow()
        if status == "finished":
            batch.heartbeat_at = batch.finished_at
        if message is not None:
            batch.message = message[:1000]
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
            initargs=(app, os.getpid()),
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


def _init_worker(app: Flask, parent_pid: int) -> None:
    """Die with the parent; adopt the forked app; never reuse the parent's connections.

    Killing ``issue-certificates`` (or the consumer running a batch), with SIGTERM
    or SIGKILL, gives the pool's workers no chance to be told: without this they
    ran on, 150 MB each, adopted by PID 1. Linux delivers SIGKILL to a process
    whose parent dies once it asked for it; the parent may have died already.
    """
    _die_with_parent()
    if os.getppid() != parent_pid:
        os._exit(1)
    global _worker_app
    with app.app_context():
        db.engine.dispose(close=False)
    _worker_app = app


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)`` on Linux; nothing elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the parent check still applies
        return


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
