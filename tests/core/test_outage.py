"""A database outage answers 503 with Retry-After (a page, JSON for the API and
``/healthz``), saves nothing half-done, and the site recovers without a restart."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from summit.extensions import db
from summit.models import Registration
from tests.tcp_proxy import TcpProxy


def assert_unavailable(client) -> None:
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert page.mimetype == "text/html"
    assert "cannot reach its database" in page.get_data(as_text=True)

    api = client.get("/api/v1/events/any/sessions", headers={"Authorization": "Bearer s5_x"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.get_json()["error"]["status"] == 503

    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == "30"
    assert health.get_json() == {"status": "unavailable", "database": "down"}


def assert_available(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    assert client.get("/").status_code == 200


def test_an_unreachable_sqlite_file_answers_503_until_it_is_back(make_app, tmp_path, is_postgres):
    if is_postgres:
        pytest.skip("a SQLite file")
    folder = tmp_path / "gone"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'summit.sqlite3'}")
    with app.app_context():
        client = app.test_client()
        assert_unavailable(client)
        folder.mkdir()  # the disk is back
        db.create_all()
        assert_available(client)


@pytest.fixture
def proxy(database_url, is_postgres):
    """A TCP proxy in front of the test PostgreSQL: cut it and the database is gone."""
    if not is_postgres:
        pytest.skip("PostgreSQL behind a proxy")
    url = make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as running:
        yield running, url.set(port=running.port).render_as_string(hide_password=False)


def test_postgresql_behind_a_cut_proxy_answers_503_and_recovers_without_restart(
    proxy, make_app, make_event
):
    running, proxied_url = proxy
    slug = make_event().slug
    app = make_app(SQLALCHEMY_DATABASE_URI=proxied_url)
    with app.app_context():
        client = app.test_client()
        assert_available(client)  # pooled connections now go through the proxy
        running.stop()
        assert_unavailable(client)
        form = client.post(f"/events/{slug}/register", data={"email": "sam@wsp.example"})
        assert form.status_code == 503
        running.start()
        assert_available(client)  # the same app: the pool dropped its dead connections
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_the_api_document_tells_scanner_apps_about_503(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = [
        operation
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "responses" in operation
    ]
    assert operations
    for operation in operations:
        assert "503" in operation["responses"], operation["operationId"]
