"""``flask --app summit check`` and the warning at start: what is missing and what it costs.

The machine's probes (fontconfig, HarfBuzz, the mail server, the migrations) are
replaced, so these tests say the same on any machine.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from summit import checks, create_app
from summit.extensions import db
from tests.conftest import base_config


@pytest.fixture
def machine(monkeypatch):
    """A machine with everything; tests take things away."""

    class Machine:
        missing_families: set[str] = set()
        harfbuzz = True
        layers_problem: str | None = None
        smtp: str | None = None
        heads = ({"a12b75c79a7a"}, {"a12b75c79a7a"}, {"a12b75c79a7a"})
        smtp_calls = 0

    def smtp_problem(host, port, use_ssl, timeout):
        Machine.smtp_calls += 1
        assert timeout <= 5, "a check must not hang on a silent mail server"
        return Machine.smtp

    def schema_heads(app):
        if isinstance(Machine.heads, Exception):
            raise Machine.heads
        return Machine.heads

    monkeypatch.setattr(checks, "installed_family", lambda f: f not in Machine.missing_families)
    monkeypatch.setattr(checks, "fast_font_subsetting", lambda: Machine.harfbuzz)
    monkeypatch.setattr(checks, "layering_problem", lambda: Machine.layers_problem)
    monkeypatch.setattr(checks, "smtp_problem", smtp_problem)
    monkeypatch.setattr(checks, "schema_heads", schema_heads)
    return Machine


@pytest.fixture
def configured(app):
    """A production-like configuration: real mail, a public https URL, shared limits."""
    app.config.update(
        MAIL_SUPPRESS_SEND=False,
        MAIL_SERVER="smtp.esd105.example",
        MAIL_PORT=587,
        PUBLIC_URL="https://s5.esd105.example",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://:secret@127.0.0.1:6379",
    )
    return app


def lines(output: str) -> dict[str, str]:
    """``{topic: line}`` of the report."""
    found = {}
    for line in output.splitlines():
        if line.startswith(("OK", "WARN", "FAIL")):
            found[line.split(":", 1)[0].split(None, 1)[1]] = line
    return found


def test_a_complete_install_is_ok_on_every_line(configured, runner, machine):
    result = runner.invoke(args=["check"])

    assert result.exit_code == 0, result.output
    report = lines(result.output)
    assert set(report) == {
        "database",
        "fonts",
        "PDF speed",
        "PDF layers",
        "mail",
        "public URL",
        "rate limits",
    }
    assert all(line.startswith("OK") for line in report.values()), result.output
    assert "smtp.esd105.example:587 answers" in report["mail"]
    assert "secret" not in result.output  # the limiter's password is not printed
    assert result.output.rstrip().endswith("Ready.")


def test_each_gap_is_a_warning_that_says_what_it_costs(configured, runner, machine):
    machine.missing_families = {"Noto Sans CJK SC", "Noto Serif CJK SC"}
    machine.harfbuzz = False
    configured.config.update(MAIL_SERVER="", PUBLIC_URL=None, RATELIMIT_STORAGE_URI="memory://")

    result = runner.invoke(args=["check"])

    assert result.exit_code == 0, result.output  # warnings never fail the command
    report = lines(result.output)
    assert report["database"].startswith("OK")
    fonts = report["fonts"]
    assert fonts.startswith("WARN") and "Noto Sans CJK SC, Noto Serif CJK SC" in fonts
    assert "apt-get install fonts-noto-cjk" in fonts and "empty boxes" in fonts
    assert report["PDF speed"].startswith("WARN") and "7x slower" in report["PDF speed"]
    assert "libharfbuzz-subset0" in report["PDF speed"]
    assert report["mail"] == "WARN  mail: not configured (MAIL_SERVER): emails stay in the outbox"
    assert report["public URL"].startswith("WARN") and "links in emails" in report["public URL"]
    assert report["rate limits"].startswith("WARN") and "per process" in report["rate limits"]
    assert machine.smtp_calls == 0
    assert "Ready, with 5 to consider." in result.output


def test_a_mail_server_that_does_not_answer(configured, runner, machine):
    machine.smtp = "ConnectionRefusedError: [Errno 111] Connection refused"

    result = runner.invoke(args=["check"])

    assert result.exit_code == 0
    mail = lines(result.output)["mail"]
    assert mail.startswith("WARN  mail: smtp.esd105.example:587 does not answer")
    assert "Connection refused" in mail and "emails stay in the outbox" in mail


def test_suppressed_mail_is_a_warning(configured, runner, machine):
    configured.config["MAIL_SUPPRESS_SEND"] = True
    mail = lines(runner.invoke(args=["check"]).output)["mail"]
    assert mail.startswith("WARN") and "never leave" in mail


def test_an_unreachable_database_fails_the_command(configured, runner, machine):
    machine.heads = OperationalError("SELECT 1", {}, Exception("connection refused"))

    result = runner.invoke(args=["check"])

    assert result.exit_code == 1
    assert lines(result.output)["database"].startswith("FAIL  database: cannot reach")
    assert "connection refused" in result.output
    assert lines(result.output)["fonts"].startswith("OK")  # the rest is still reported


@pytest.mark.parametrize(
    ("heads", "level", "says"),
    [
        ((set(), {"b"}, {"a", "b"}), "FAIL", "run flask --app summit init-db"),
        (({"a"}, {"b"}, {"a", "b"}), "FAIL", "behind the code"),
        (({"c"}, {"b"}, {"a", "b"}), "WARN", "migrations this code does not know"),
    ],
)
def test_schema_state(configured, runner, machine, heads, level, says):
    machine.heads = heads
    result = runner.invoke(args=["check"])
    assert result.exit_code == (1 if level == "FAIL" else 0)
    database = lines(result.output)["database"]
    assert database.startswith(level) and says in database


def test_a_missing_sqlite_file_is_reported_not_created(tmp_path):
    path = tmp_path / "never-made.sqlite3"
    app = create_app({**base_config(f"sqlite:///{path}", tmp_path)})

    result = app.test_cli_runner().invoke(args=["check"])

    assert result.exit_code == 1
    assert "does not exist yet: run flask --app summit init-db" in result.output
    assert not path.exists()
    with app.app_context():
        db.engine.dispose()


def test_the_real_migration_probe_on_the_test_schema(app):
    """The suite's schema comes from ``create_all``: no migration is recorded."""
    current, heads, known = checks.schema_heads(app)
    assert current == set() and len(heads) == 1 and heads < known


def test_fonts_are_read_from_the_document_stylesheets(app):
    families = checks.stylesheet_families(app.static_folder)
    assert {"Noto Sans", "Noto Serif", "DejaVu Sans Mono", "Noto Sans CJK SC"} <= set(families)
    assert "serif" not in families and "monospace" not in families


# --- the warning at start -----------------------------------------------------------------


@pytest.fixture
def fresh_process(monkeypatch):
    monkeypatch.setattr(checks, "_warned", False)


def test_the_start_warning_is_logged_once_without_network(make_app, machine, fresh_process, caplog):
    machine.harfbuzz = False
    app = make_app(PUBLIC_URL=None)
    app.testing = False

    with caplog.at_level(logging.WARNING):
        assert checks.warn_at_start(app) is True
        assert checks.warn_at_start(app) is False

    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = record.getMessage()
    assert "flask --app summit check" in message
    assert "7x slower" in message and "PUBLIC_URL is not set" in message
    assert machine.smtp_calls == 0  # the web server's start never waits on the network


def test_the_demo_greets_its_mail_server_and_skips_public_site_concerns(
    make_app, machine, fresh_process, caplog
):
    machine.smtp = "ConnectionRefusedError: [Errno 111] Connection refused"
    app = make_app(PUBLIC_URL=None, MAIL_SUPPRESS_SEND=False)
    app.testing = False

    with caplog.at_level(logging.WARNING):
        checks.warn_at_start(app, demo=True)

    message = caplog.records[-1].getMessage()
    assert "emails stay in the outbox" in message
    assert "PUBLIC_URL" not in message and "memory://" not in message


def test_nothing_is_said_under_tests_or_by_the_app_factory(
    make_app, machine, fresh_process, caplog
):
    machine.harfbuzz = False
    with caplog.at_level(logging.WARNING):
        app = make_app()
        assert checks.warn_at_start(app) is False  # TESTING
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_weasyprint_without_what_layers_need_is_a_warning(runner, configured, machine):
    machine.layers_problem = "AttributeError: 'Page' object has no attribute '_page_box'"
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output  # certificates still print, whole
    line = lines(result.output)["PDF layers"]
    assert line.startswith("WARN") and "printed whole" in line and "_page_box" in line


def test_rate_limits_shared_through_redis_url_are_ok(make_app, machine, monkeypatch):
    monkeypatch.delenv("SUMMIT_RATELIMIT_STORAGE_URI", raising=False)
    shared = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=None, REDIS_URL="redis://r:6379"
    )
    finding = checks.check_rate_limits(shared)
    assert finding.level == checks.OK and "redis://" in finding.text
    alone = make_app(RATELIMIT_ENABLED=True)
    finding = checks.check_rate_limits(alone)
    assert finding.level == checks.WARN
    assert "per process" in finding.text and "SUMMIT_REDIS_URL" in finding.text
