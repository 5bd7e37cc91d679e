"""Bulk certificate issue on the task queue: the request creates the batch row and
queues it; the consumer runs it and writes progress on the row (``summit.queue``)."""

from __future__ import annotations

from flask import current_app

from summit.certificates import bulk
from summit.queue import queue_of, task


@task
def issue_certificate_batch(batch_id: int, notify: bool) -> None:
    """Run (or resume) the batch; its row says how far it got and what failed.

    In the consumer, a pool of processes prints, as ``issue-certificates`` does; in
    immediate mode (tests) the batch runs in the caller, without a pool.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    workers = 0 if queue_of(app).immediate else None
    try:
        bulk.run_batch(batch_id, notify=notify, workers=workers)
    except bulk.BatchBusy:
        current_app.logger.info("certificate batch %s is running elsewhere", batch_id)
