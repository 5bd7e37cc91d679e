"""Configuration layers: safe defaults, then ``instance/config.py``, then the
environment (``DATABASE_URL`` and ``SUMMIT_<KEY>``), then a test mapping.

Nothing here may hold a secret: the secret key is generated per install into the
instance folder so that no two installs share one and none sits in git.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(SystemExit):
    """A configuration mistake the operator must fix; exits with one clear line."""

    def __init__(self, message: str) -> None:
        super().__init__(f"summit: {message}")


class Defaults:
    """Safe defaults. Every value can be overridden per install."""

    SQLALCHEMY_DATABASE_URI: str | None = None
    # Test each pooled connection before use, so the site recovers by itself after a
    # database restart or a network cut instead of failing once per dead connection.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    PUBLIC_URL: str | None = None
    TIMEZONE = "America/Los_Angeles"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None means "Secure when the request came over https" (see summit.security).
    SESSION_COOKIE_SECURE: bool | None = None
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    TRUSTED_PROXIES = 0
    # Strict-Transport-Security on https responses (0: none), one year by default.
    HSTS_MAX_AGE = 365 * 24 * 3600

    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    # Fail any GET that writes in its request's transaction (the test suite turns it on).
    GUARD_GET_WRITES = False
    GUARD_WRITE_SCOPE = False  # tests: a request's write outside write_transaction fails

    RATELIMIT_ENABLED = True
    # Where throttles count. Unset: REDIS_URL when set (every worker shares one count),
    # else memory:// (per process; fine for the demo and tests, see summit.checks).
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: count in memory per process until it is back, never answer 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # The public registration form (POST only): per client address, generous enough for
    # a district office registering a group of officers one after another; and per
    # event from all addresses together, so a script spread over many addresses cannot
    # fill a tier in seconds.
    REGISTRATION_RATE_LIMIT = "20 per minute; 100 per hour"
    REGISTRATION_EVENT_RATE_LIMIT = "60 per minute; 600 per hour"
    LOGIN_RATE_LIMIT = "5 per minute"
    OFFER_HOLD_HOURS = 48
    PORTAL_LINK_MAX_AGE = 30 * 24 * 3600
    # Admins must use two-step sign-in (set up right after the password step; recovery
    # codes for a lost phone). None means on, except under tests; `flask demo` turns it off.
    REQUIRE_ADMIN_TOTP: bool | None = None
    # How long a staff invitation's or reset's set-password link works (3 days).
    STAFF_PASSWORD_LINK_MAX_AGE = 3 * 24 * 3600
    PORTAL_SIGN_IN_RATE_LIMIT = "5 per minute; 20 per hour"

    BOOTSTRAP_SERVE_LOCAL = True

    # Stored files (certificates, evidence, branding); None means <instance>/storage.
    STORAGE_DIR: str | None = None
    VERIFY_RATE_LIMIT = "30 per minute"
    CERTIFICATE_WORKERS: int | None = None
    CERTIFICATE_SERIAL_PREFIX = "S5"
    TRAINING_CURRICULUM = "wa-rcw-28a-310-515"
    TRAINING_REQUIRED_MINUTES = 60
    EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    RECORD_SHARE_DAYS = 30
    RECORD_SHARE_RATE_LIMIT = "30 per minute; 300 per hour"

    # Card payments are on when both Stripe keys are set (docs/payments.md).
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_TIMEOUT = 20
    STRIPE_MAX_NETWORK_RETRIES = 2
    STRIPE_WEBHOOK_TOLERANCE = 300
    INVOICE_NUMBER_PREFIX = "S5"
    INVOICE_PAYMENT_INSTRUCTIONS: str | None = None
    # Payment terms: days from the invoice date to its due date (unset: no due date),
    # whom checks are payable to and where to mail them (unset: the organisation).
    INVOICE_DUE_DAYS: int | None = None
    INVOICE_PAYEE = ""
    INVOICE_REMIT_TO = ""

    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "S5 Summit <s5@esd105.org>"
    # The outbox (docs/mail.md): SMTP socket timeout, attempts before a message is
    # given up, and the back-off between them (doubling from the base, at most the max).
    MAIL_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 12
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    # Queue delivery of a request's mail once it has committed; None means on, except
    # under tests.
    MAIL_DELIVER_AFTER_REQUEST: bool | None = None
    # How long delivery keeps trying to record that a message was sent (the database
    # busy or away) before it gives up and logs it; less than the 10-minute lease.
    MAIL_RECORD_RETRY_SECONDS = 300

    # Redis (SUMMIT_REDIS_URL): the task queue (summit/queue.py, docs/tasks.md) and the
    # throttles' counts. Unset: the queue has its own SQLite file (None means
    # <instance>/tasks.sqlite3), never the app's database, and throttles count in memory.
    REDIS_URL: str | None = None
    QUEUE_FILE: str | None = None
    # Names this install's queue in storage: installs sharing one Redis need their own.
    QUEUE_NAME = "summit"
    # Run tasks where they are queued, in memory; None means on under tests only.
    QUEUE_IMMEDIATE: bool | None = None
    QUEUE_WORKERS = 2
    # The reminder the consumer queues daily (15:00 UTC): for events this many days ahead.
    REMINDER_DAYS_BEFORE = 7

    ORGANISATION_NAME = "ESD 105"
    ORGANISATION_UNIT = "School Safety Operations and Coordination Center (SSOCC)"
    # Empty lines are left off invoices and emails rather than printing a placeholder.
    ORGANISATION_ADDRESS = ""
    ORGANISATION_EMAIL = "ssocc@esd105.example"
    ORGANISATION_PHONE = ""


def load_config(app, test_config: Mapping[str, Any] | None) -> None:
    """Apply the configuration layers to ``app`` in order."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env("SUMMIT")
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'summit.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    app.config["INVOICE_DUE_DAYS"] = _due_days(app.config.get("INVOICE_DUE_DAYS"))
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    if app.config["REQUIRE_ADMIN_TOTP"] is None:
        app.config["REQUIRE_ADMIN_TOTP"] = not app.testing
    if app.config["MAIL_DELIVER_AFTER_REQUEST"] is None:
        app.config["MAIL_DELIVER_AFTER_REQUEST"] = not app.testing
    if app.config["QUEUE_IMMEDIATE"] is None:
        app.config["QUEUE_IMMEDIATE"] = app.testing
    public_url = app.config.get("PUBLIC_URL")
    if public_url:
        app.config["PUBLIC_URL"] = public_url.rstrip("/")
        if app.config["SESSION_COOKIE_SECURE"] is None and public_url.startswith("https://"):
            app.config["SESSION_COOKIE_SECURE"] = True


def _engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """An install's engine options on top of the defaults, not in place of them.

    An instance file that sets only ``pool_size`` must not lose ``pool_pre_ping``
    (the site would then fail once per dead connection after a database restart);
    an install may still turn it off by saying so.
    """
    return {**Defaults.SQLALCHEMY_ENGINE_OPTIONS, **(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}


def _due_days(raw: Any) -> int | None:
    """``INVOICE_DUE_DAYS`` as whole days, or None when unset (no due date printed)."""
    if raw is None or raw == "":
        return None
    try:
        days = int(str(raw).strip())
    except ValueError:
        days = -1
    if not 0 <= days <= 366:
        raise ConfigError(
            f"INVOICE_DUE_DAYS must be a whole number of days from 0 to 366, not {raw!r}"
        )
    return days


def normalise_database_url(raw: str) -> str:
    """Check the URL and pick the psycopg 3 driver for PostgreSQL.

    A malformed URL raises :class:`ConfigError` so the CLI and the app stop with
    one line instead of a traceback deep inside SQLAlchemy.
    """
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL; expected sqlite:///path "
            "or postgresql://user@host:port/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        if not url.database:
            raise ConfigError("DATABASE_URL names no PostgreSQL database (…/dbname)")
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(f"DATABASE_URL uses {backend!r}; summit runs on sqlite or postgresql")
    return url.render_as_string(hide_password=False)


def _instance_secret(path: Path) -> str:
    """Read the install's secret key, creating it once with owner-only permissions."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
