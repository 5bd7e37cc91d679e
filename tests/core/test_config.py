import ast
import os
import stat
from pathlib import Path

import pytest

import summit
from summit import create_app
from summit.config import ConfigError, Defaults, normalise_database_url


@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    monkeypatch.setenv("SUMMIT_INSTANCE_PATH", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return path


def test_defaults_use_sqlite_in_the_instance_folder(instance_dir):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_dir / 'summit.sqlite3'}"


def test_layers_apply_in_order(instance_dir, monkeypatch):
    instance_dir.mkdir()
    (instance_dir / "config.py").write_text(
        'MAIL_SERVER = "from-instance"\nMAIL_PORT = 2525\nORGANISATION_NAME = "Instance ESD"\n'
    )
    monkeypatch.setenv("SUMMIT_MAIL_SERVER", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@db.internal:5432/summit")
    app = create_app({"ORGANISATION_NAME": "Test ESD"})
    assert app.config["MAIL_PORT"] == 2525  # instance file beats defaults
    assert app.config["MAIL_SERVER"] == "from-env"  # environment beats instance file
    assert app.config["ORGANISATION_NAME"] == "Test ESD"  # test mapping beats everything
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://postgres@db.internal:5432/summit"
    )


def test_an_instance_pool_setting_keeps_the_pre_ping(instance_dir):
    """Without pre-ping the site answers 503 once per dead connection after a restart."""
    instance_dir.mkdir()
    (instance_dir / "config.py").write_text('SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 3}\n')
    options = create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_pre_ping": True, "pool_size": 3}
    explicit = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}}
    assert create_app(explicit).config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


def test_secret_key_is_generated_once_and_private(instance_dir):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    key_file = instance_dir / "secret_key"
    assert first == second == key_file.read_text()
    assert len(first) >= 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_public_url_over_https_makes_cookies_secure(instance_dir, monkeypatch):
    monkeypatch.setenv("SUMMIT_PUBLIC_URL", "https://s5.esd105.org/")
    app = create_app()
    assert app.config["PUBLIC_URL"] == "https://s5.esd105.org"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_secure_cookie_can_be_turned_off_explicitly(instance_dir, monkeypatch):
    monkeypatch.setenv("SUMMIT_PUBLIC_URL", "https://s5.esd105.org")
    monkeypatch.setenv("SUMMIT_SESSION_COOKIE_SECURE", "false")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://root@localhost/summit", "summit runs on sqlite or postgresql"),
        ("postgresql://postgres@localhost", "names no PostgreSQL database"),
    ],
)
def test_bad_database_url_is_one_clear_line(url, message):
    with pytest.raises(ConfigError) as raised:
        normalise_database_url(url)
    text = str(raised.value)
    assert message in text and "\n" not in text and text.startswith("summit: ")


def test_malformed_database_url_stops_the_cli_without_a_traceback(instance_dir, monkeypatch):
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": "::nonsense::"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "summit", "init-db"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "summit: DATABASE_URL is not a database URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("raw", "days"), [("30", 30), ("0", 0), ("", None)])
def test_invoice_due_days_from_the_environment(instance_dir, monkeypatch, raw, days):
    monkeypatch.setenv("SUMMIT_INVOICE_DUE_DAYS", raw)
    assert create_app().config["INVOICE_DUE_DAYS"] == days


@pytest.mark.parametrize("raw", ["thirty", "-1", "30.5", "1000"])
def test_invoice_due_days_must_be_whole_days(instance_dir, monkeypatch, raw):
    monkeypatch.setenv("SUMMIT_INVOICE_DUE_DAYS", raw)
    with pytest.raises(ConfigError, match="INVOICE_DUE_DAYS must be a whole number of days"):
        create_app()


def test_no_placeholder_address_or_phone_by_default(instance_dir):
    config = create_app().config
    assert config["ORGANISATION_ADDRESS"] == config["ORGANISATION_PHONE"] == ""
    assert config["INVOICE_DUE_DAYS"] is None


def test_mail_delivery_defaults_come_from_the_defaults_class(instance_dir, monkeypatch):
    monkeypatch.setenv("SUMMIT_MAIL_MAX_ATTEMPTS", "4")
    app = create_app()
    assert app.config["MAIL_MAX_ATTEMPTS"] == 4
    assert app.config["MAIL_RETRY_MAX_SECONDS"] == Defaults.MAIL_RETRY_MAX_SECONDS
    assert app.config["MAIL_DELIVER_AFTER_REQUEST"] is True  # a real site sends right away
    assert create_app({"TESTING": True}).config["MAIL_DELIVER_AFTER_REQUEST"] is False
    assert create_app({"TESTING": True, "MAIL_DELIVER_AFTER_REQUEST": True}).config[
        "MAIL_DELIVER_AFTER_REQUEST"
    ]


def _default_repeated(node: ast.AST) -> bool:
    """``….config.get(KEY, default)`` or ``….config.setdefault(…)``."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    owner = node.func.value
    on_config = isinstance(owner, ast.Attribute) and owner.attr == "config"
    on_config = on_config or (isinstance(owner, ast.Name) and owner.id == "config")
    method = node.func.attr
    return on_config and (method == "setdefault" or (method == "get" and len(node.args) > 1))


def test_every_default_lives_in_config_defaults_only():
    """A second default beside ``Defaults`` drifts from it: none in the package."""
    package = Path(summit.__file__).parent
    found = [
        f"{path.relative_to(package)}:{node.lineno}"
        for path in sorted(package.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if _default_repeated(node)
    ]
    assert found == []
