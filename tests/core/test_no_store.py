"""Pages that name people stay out of caches; a file served public on purpose keeps its caching."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/staff/events/{slug}/registrations",
        "/staff/events/{slug}/registrations?format=csv",
        "/staff/events/{slug}/attendance",
        "/staff/events/{slug}/certificates",
        "/staff/api-tokens",
    ],
)
def test_staff_pages_are_never_stored(client, auth, make_event, path):
    event = make_event()
    auth.as_role("admin")
    response = client.get(path.format(slug=event.slug))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_vendored_scanner_script_keeps_its_own_caching(client, auth):
    auth.as_role("checkin")
    response = client.get("/staff/vendor/jsQR.js")
    if response.status_code == 404:
        pytest.skip("npm ci was not run")
    assert "public" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]
