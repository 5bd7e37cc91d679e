"""What this install lacks, and what each gap costs: ``flask --app summit check``.

A newcomer's summit works with nothing but Python, yet quietly does less: PDFs in
a substitute font, slow certificates, emails that wait in the outbox, links to the
wrong host, rate limits that count per process. Each probe here answers one of
those with one line: ``OK``, ``WARN`` (works, at a cost named in the line) or
``FAIL`` (the site cannot work: the command exits non-zero).

The same local probes, minus anything that touches the network, are logged once
when the demo or the web server starts (:func:`warn_at_start`); ``create_app``
runs none of them, so building the app stays free of I/O.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import smtplib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

OK, WARN, FAIL = "OK", "WARN", "FAIL"

# The stylesheets whose fonts the documents need (certificates, tickets, invoices).
DOCUMENT_STYLESHEETS = ("documents/base.css", "documents/certificate.css")
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}
# Debian package of each family the stylesheets name, and what its absence costs.
FONT_PACKAGES = {
    "fonts-noto-core": (
        ("Noto Sans", "Noto Serif", "Noto Sans Arabic", "Noto Naskh Arabic",
         "Noto Sans Hebrew", "Noto Serif Hebrew"),
        "certificates print in a substitute font, and Arabic or Hebrew names may print "
        "as empty boxes",
    ),
    "fonts-dejavu-core": (
        ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"),
        "tickets, invoices and verification codes print in a substitute font",
    ),
    "fonts-noto-cjk": (
        ("Noto Sans CJK SC", "Noto Serif CJK SC"),
        "Chinese, Japanese and Korean names print as empty boxes",
    ),
}  # fmt: skip
SMTP_PROBE_TIMEOUT = 3.0

logger = logging.getLogger("summit")


@dataclass(frozen=True)
class Finding:
    """One line of the report."""

    topic: str
    level: str
    text: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.topic}: {self.text}"


# --- probes of the machine (tests replace these) -------------------------------------


@functools.cache
def installed_family(family: str) -> bool | None:
    """Whether fontconfig knows ``family``; None when ``fc-list`` is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed program, the pattern is our own CSS's
        [fc_list, f":family={family}", "family"], capture_output=True, text=True, timeout=20
    )
    return any(family in line.split(",") for line in result.stdout.splitlines())


def fast_font_subsetting() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (``libharfbuzz-subset0``)."""
    from summit.documents.pdf import fast_font_subsetting as probe

    return probe()


def layering_problem() -> str | None:
    """What layered certificates need and this WeasyPrint lacks (None: nothing)."""
    from summit.documents.layers import missing_internals

    return missing_internals()


def smtp_problem(host: str, port: int, use_ssl: bool, timeout: float) -> str | None:
    """Why the mail server does not answer, or None when it greets us (no login, no mail)."""
    factory = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    try:
        server = factory(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()
    return None


def schema_heads(app: Flask) -> tuple[set[str], set[str], set[str]]:
    """The migrations the database has, the ones this code ends with, and every one
    this code knows.

    Raises SQLAlchemy's ``OperationalError`` when the database cannot be reached.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from summit.extensions import db

    script = ScriptDirectory(app.extensions["migrate"].directory)
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        current = set(MigrationContext.configure(connection).get_current_heads())
    known = {revision.revision for revision in script.walk_revisions()}
    return current, set(script.get_heads()), known


# --- findings ---------------------------------------------------------------------------


def stylesheet_families(static_folder: str | Path) -> list[str]:
    """The font families the document stylesheets ask for, in order, without generics."""
    families: list[str] = []
    for name in DOCUMENT_STYLESHEETS:
        css = (Path(static_folder) / name).read_text(encoding="utf-8")
        for declaration in re.findall(r"font-family\s*:\s*([^;}]+)", css):
            for raw in declaration.split(","):
                family = raw.strip().strip("\"'").strip()
                if family and family.lower() not in GENERIC_FAMILIES and family not in families:
                    families.append(family)
    return families


def check_fonts(app: Flask) -> Finding:
    families = stylesheet_families(app.static_folder or "static")
    found = {family: installed_family(family) for family in families}
    if any(value is None for value in found.values()):
        return Finding(
            "fonts",
            WARN,
            "fc-list (fontconfig) is not installed, so the fonts cannot be checked; "
            "PDFs may print in a substitute font (apt-get install fontconfig)",
        )
    missing = [family for family, present in found.items() if not present]
    if not missing:
        return Finding("fonts", OK, f"all {len(families)} families the PDFs use are installed")
    problems = []
    for package, (package_families, cost) in FONT_PACKAGES.items():
        lacking = [family for family in missing if family in package_families]
        if lacking:
            problems.append(f"{', '.join(lacking)} (apt-get install {package}): {cost}")
    unknown = [f for f in missing if not any(f in fams for fams, _ in FONT_PACKAGES.values())]
    if unknown:
        problems.append(f"{', '.join(unknown)}: printed in a substitute font")
    return Finding("fonts", WARN, "missing " + "; ".join(problems))


def check_font_subsetting(app: Flask) -> Finding:
    if fast_font_subsetting():
        return Finding("PDF speed", OK, "fonts are subset with HarfBuzz (libharfbuzz-subset0)")
    return Finding(
        "PDF speed",
        WARN,
        "libharfbuzz-subset0 is not installed: WeasyPrint subsets fonts with fontTools, "
        "about 7x slower per PDF (certificates, tickets, invoices); "
        "apt-get install libharfbuzz-subset0",
    )


def check_layered_printing(app: Flask) -> Finding:
    problem = layering_problem()
    if problem is None:
        return Finding("PDF layers", OK, "certificates share a backdrop per layout")
    return Finding(
        "PDF layers",
        WARN,
        f"certificates are printed whole, slower in bulk: this WeasyPrint "
        f"lacks what layered printing uses ({problem}); install the range pyproject.toml pins",
    )


def check_mail(app: Flask, *, network: bool = True) -> Finding | None:
    """Configured and answering; without ``network`` only whether it is configured."""
    config = app.config
    if config.get("MAIL_SUPPRESS_SEND"):
        return Finding(
            "mail", WARN, "MAIL_SUPPRESS_SEND is on: emails are marked sent but never leave"
        )
    server = config.get("MAIL_SERVER")
    if not server:
        return Finding("mail", WARN, "not configured (MAIL_SERVER): emails stay in the outbox")
    address = f"{server}:{config['MAIL_PORT']}"
    if not network:
        return None
    problem = smtp_problem(
        server,
        int(config["MAIL_PORT"]),
        bool(config.get("MAIL_USE_SSL")),
        SMTP_PROBE_TIMEOUT,
    )
    if problem is None:
        return Finding("mail", OK, f"{address} answers")
    return Finding(
        "mail",
        WARN,
        f"{address} does not answer ({problem}): emails stay in the outbox and are "
        "retried until it does (MAIL_SERVER, MAIL_PORT)",
    )


def check_public_url(app: Flask) -> Finding:
    base = app.config.get("PUBLIC_URL")
    if not base:
        return Finding(
            "public URL",
            WARN,
            "PUBLIC_URL is not set: links in emails and QR codes use whatever host a request "
            "came in on, and mail queued by commands links to http://127.0.0.1:5000",
        )
    if not base.startswith("https://"):
        return Finding(
            "public URL",
            WARN,
            f"{base} is not https: links in emails travel unencrypted and the session "
            "cookie is not Secure",
        )
    return Finding("public URL", OK, f"links in emails use {base}")


def check_rate_limits(app: Flask) -> Finding:
    config = app.config
    if not config["RATELIMIT_ENABLED"]:
        return Finding(
            "rate limits",
            WARN,
            "off (RATELIMIT_ENABLED): sign-in, verification and email-me-a-link are not throttled",
        )
    storage = str(config["RATELIMIT_STORAGE_URI"])
    if storage.startswith("memory://"):
        return Finding(
            "rate limits",
            WARN,
            "memory:// keeps limits per process: each web worker allows the full limit and "
            "a restart forgets them; set SUMMIT_REDIS_URL=redis://… (or "
            "SUMMIT_RATELIMIT_STORAGE_URI) so every worker shares one count",
        )
    return Finding("rate limits", OK, f"shared in {storage.split('://', 1)[0]}://")


def check_database(app: Flask) -> Finding:
    from sqlalchemy.exc import SQLAlchemyError

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    shown = url.render_as_string(hide_password=True)
    is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if is_file and not Path(str(url.database)).exists():  # connecting would create it, empty
        return Finding(
            "database", FAIL, f"{shown} does not exist yet: run flask --app summit init-db"
        )
    try:
        current, heads, known = schema_heads(app)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return Finding("database", FAIL, f"cannot reach {shown}: {reason}")
    if current == heads:
        return Finding("database", OK, f"{shown}, schema up to date")
    if not current:
        return Finding(
            "database",
            FAIL,
            f"{shown} has no summit schema yet: run flask --app summit init-db",
        )
    if current - known:
        return Finding(
            "database",
            WARN,
            f"{shown} has migrations this code does not know ({', '.join(sorted(current))}): "
            "is this an older checkout?",
        )
    return Finding(
        "database", FAIL, f"{shown} schema is behind the code: run flask --app summit init-db"
    )


def check_queue(app: Flask) -> Finding | None:
    """Whether a task consumer runs: without one, mail, offers and reminders wait."""
    from summit.queue import queue_of, seconds_since_consumer_ran

    if queue_of(app).immediate:
        return None
    storage = "Redis" if app.config.get("REDIS_URL") else "SQLite"
    remedy = "run flask --app summit worker as a service (docs/tasks.md)"
    try:
        age = seconds_since_consumer_ran(app)
    except Exception as error:  # whatever the storage's client raises
        return Finding("task queue", WARN, f"cannot reach its {storage} storage: {error}")
    if age is None:
        return Finding(
            "task queue", WARN, f"no consumer has run: emails wait in the outbox; {remedy}"
        )
    if age > CONSUMER_SILENT_AFTER:
        return Finding(
            "task queue",
            WARN,
            f"the consumer was last seen {age / 60:.0f} min ago: emails wait; {remedy}",
        )
    return Finding("task queue", OK, f"a consumer ran {age:.0f} s ago ({storage})")


CONSUMER_SILENT_AFTER = 180  # seconds: the heartbeat comes every minute


def run_checks(app: Flask) -> list[Finding]:
    """Every probe, network ones included, for ``flask --app summit check``."""
    probes: list[Callable[[Flask], Finding | None]] = [
        check_database,
        check_fonts,
        check_font_subsetting,
        check_layered_printing,
        check_mail,
        check_public_url,
        check_rate_limits,
        check_queue,
    ]
    return [finding for probe in probes if (finding := probe(app)) is not None]


def start_warnings(app: Flask, *, demo: bool = False) -> list[Finding]:
    """The probes that concern a running site, without the database.

    The demo (one process on this machine) also greets its mail server, and skips
    what only matters to a public site: the public URL and shared rate limits.
    """
    findings = [
        check_fonts(app),
        check_font_subsetting(app),
        check_layered_printing(app),
        check_mail(app, network=demo),
    ]
    if not demo:
        findings += [check_public_url(app), check_rate_limits(app)]
    return [f for f in findings if f is not None and f.level != OK]


_warned = False


def warn_at_start(app: Flask, *, demo: bool = False) -> bool:
    """Log, once per process, what this install lacks and what it costs; never under tests.

    Called when the demo or the web server (``wsgi.py``, so nothing here touches the
    network unless ``demo``) starts. Returns whether it logged.
    """
    global _warned
    if _warned or app.testing:
        return False
    _warned = True
    findings = start_warnings(app, demo=demo)
    if not findings:
        return False
    lines = "\n".join(f"  - {finding.topic}: {finding.text}" for finding in findings)
    app.logger.warning(
        "summit runs, but without some things (details: flask --app summit check):\n%s", lines
    )
    return True
