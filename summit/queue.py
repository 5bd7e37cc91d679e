"""The task queue: background work runs on Huey, never in a request, a spawned CLI or cron.

Mail delivery, retries, lapsed waitlist offers, reminders and bulk certificate
issue are tasks. Features declare them with :func:`task` and :func:`periodic`
(``summit/<feature>/tasks.py``); :func:`init_queue` gives each app its own Huey
instance with every declared task bound to that app, so a task always runs in an
app context of the app that queued it and removes its database session after.

Storage, one of two:

- **SQLite** (the default): its own file, ``<instance>/tasks.sqlite3``
  (``QUEUE_FILE``), never the app's database, so queueing a task can never wait
  for, or hold, the app's write lock;
- **Redis** when ``REDIS_URL`` (``SUMMIT_REDIS_URL``) is set.

``QUEUE_IMMEDIATE`` (on under ``TESTING``) runs each task inside the call that
queues it, in memory: tests see the outcome at once. A consumer runs the rest:
``flask --app summit worker`` in production, threads beside the server in
``flask --app summit demo`` (:func:`start_consumer`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer

from summit.documents.pdf import return_large_buffers_promptly
from summit.extensions import db

EXTENSION = "summit_queue"
Schedule = Callable[[datetime], bool]


@dataclass(frozen=True)
class Task:
    """A unit of background work a feature declares; ``enqueue`` hands it to the queue.

    Arguments must be plain values (ids, flags): the task runs later, perhaps in
    another process, and reads what it needs from the database then.
    """

    name: str
    function: Callable[..., Any]
    schedule: Schedule | None = None

    def enqueue(self, *args: Any) -> None:
        """Queue a run on the current app's queue (runs now in immediate mode)."""
        queue: TaskQueue = current_app.extensions[EXTENSION]
        queue.wrappers[self.name](*args)

    def __call__(self, *args: Any) -> Any:
        """Run now, in the caller's app context (commands, tests)."""
        return self.function(*args)


_TASKS: dict[str, Task] = {}


def task(function: Callable[..., Any]) -> Task:
    """Declare ``function`` a task, named after its module and name."""
    return _declare(Task(_name(function), function))


def periodic(schedule: Schedule) -> Callable[[Callable[[], Any]], Task]:
    """Declare a task the consumer runs by itself when ``schedule`` (a Huey ``crontab``,
    in UTC) says so; it can be queued by hand too."""

    def declare(function: Callable[[], Any]) -> Task:
        return _declare(Task(_name(function), function, schedule))

    return declare


def _name(function: Callable[..., Any]) -> str:
    return f"{function.__module__.removeprefix('summit.')}.{function.__name__}"


def _declare(declared: Task) -> Task:
    _TASKS[declared.name] = declared
    return declared


@dataclass
class TaskQueue:
    """One app's Huey instance and its tasks, bound to that app."""

    huey: Huey
    wrappers: dict[str, TaskWrapper]

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)


def init_queue(app: Flask) -> TaskQueue:
    """Build the app's queue from its settings and bind every declared task to it."""
    huey = _huey(app)
    wrappers = {}
    for declared in _TASKS.values():
        run = _in_app_context(app, declared)
        if declared.schedule is None:
            wrappers[declared.name] = huey.task(name=declared.name)(run)
        else:
            wrappers[declared.name] = huey.periodic_task(declared.schedule, name=declared.name)(run)
    queue = TaskQueue(huey, wrappers)
    app.extensions[EXTENSION] = queue
    return queue


def _huey(app: Flask) -> Huey:
    config = app.config
    name = str(config["QUEUE_NAME"])
    options: dict[str, Any] = {"results": False, "utc": True}
    if config["QUEUE_IMMEDIATE"]:
        return MemoryHuey(name, immediate=True, **options)
    if config.get("REDIS_URL"):
        return RedisHuey(name, url=config["REDIS_URL"], **options)
    path = Path(config.get("QUEUE_FILE") or Path(app.instance_path) / "tasks.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), timeout=15, **options)


def _in_app_context(app: Flask, declared: Task) -> Callable[..., Any]:
    """The function the consumer calls: a fresh app context and session per run.

    Errors are logged with the app's logger and not raised: a task that failed is
    retried by the periodic passes (mail, offers), or shows its failure where staff
    look (a certificate batch's message), never by Huey re-running it blindly.
    """

    def run(*args: Any) -> Any:
        with app.app_context():
            try:
                return declared.function(*args)
            except Exception:
                db.session.rollback()
                app.logger.exception("task %s%r failed", declared.name, args)
                return None
            finally:
                db.session.remove()

    run.__module__ = "summit"  # Huey's key is module + name: summit.mail.tasks.deliver_queued
    run.__name__ = declared.function.__name__
    return run


def queue_of(app: Flask) -> TaskQueue:
    return app.extensions[EXTENSION]


HEARTBEAT_KEY = "consumer-heartbeat"


@periodic(crontab(minute="*"))
def consumer_heartbeat() -> None:
    """Every minute: note in the queue's storage that a consumer runs, for ``flask check``
    (without one, mail waits in the outbox and nothing says so)."""
    queue_of(current_app).huey.put(HEARTBEAT_KEY, time.time())


def seconds_since_consumer_ran(app: Flask) -> float | None:
    """How long ago a consumer last beat; None when none ever ran on this queue.

    Raises what the storage raises when it cannot be reached (Redis down).
    """
    beat = queue_of(app).huey.get(HEARTBEAT_KEY, peek=True)
    return None if beat is None else max(time.time() - float(beat), 0.0)


# --- running the consumer --------------------------------------------------------


class _EmbeddedConsumer(Consumer):
    """A consumer that leaves signals alone, for threads beside a web server."""

    def _set_signal_handlers(self) -> None:
        return None


def start_consumer(app: Flask, *, workers: int | None = None) -> Callable[[], None]:
    """Run the app's consumer (workers and scheduler) in daemon threads of this process.

    For ``flask --app summit demo`` and tests: the web server keeps the main thread
    and its Ctrl-C. Returns a function that stops the consumer and waits for it.
    """
    queue = queue_of(app)
    consumer = _EmbeddedConsumer(
        queue.huey,
        workers=workers or int(app.config["QUEUE_WORKERS"]),
        worker_type="thread",
        periodic=True,
        max_delay=1.0,
    )
    consumer.start()

    def stop() -> None:
        consumer.stop(graceful=False)
        for _worker, thread in consumer.worker_threads:
            thread.join(timeout=10)
        consumer.scheduler.join(timeout=10)

    return stop


@click.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Threads running tasks (default: QUEUE_WORKERS, 2).",
)
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run the task queue's consumer: mail, retries, offers, reminders, bulk certificates.

    Production runs it as a service of its own beside the web server (docs/mail.md).
    SIGINT or SIGTERM stop it; a task cut short is done again by its periodic pass.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = queue_of(app)
    if queue.immediate:
        raise click.ClickException("QUEUE_IMMEDIATE is on: tasks run where they are queued")
    logging.getLogger("huey").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    count = workers or int(app.config["QUEUE_WORKERS"])
    storage = "Redis" if app.config.get("REDIS_URL") else "SQLite"
    click.echo(f"Task consumer: {count} worker threads, {storage} queue; Ctrl-C stops.")
    return_large_buffers_promptly()  # bulk certificate issue prints in forked workers
    consumer = queue.huey.create_consumer(workers=count, worker_type="thread", periodic=True)
    consumer.run()
