"""One loader answers 404 for what a URL names outside the page's event or person."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from summit.loaders import event_or_404, find_event, get_or_404
from summit.models import AgendaSession, Registration


def test_a_row_of_another_event_or_person_is_as_unknown_as_a_missing_one(
    app, make_event, make_registration
):
    event, other = make_event(), make_event()
    session = event.sessions[0]
    registration = make_registration(event=event)
    with app.test_request_context():
        assert get_or_404(AgendaSession, session.id, event=event) is session
        assert get_or_404(Registration, registration.id, person=registration.person)
        with pytest.raises(NotFound):
            get_or_404(AgendaSession, session.id, event=other)
        with pytest.raises(NotFound):
            get_or_404(Registration, registration.id, person=make_registration().person)
        with pytest.raises(NotFound):
            get_or_404(AgendaSession, 2**31 - 1)


def test_only_published_events_when_asked_and_impossible_slugs_find_nothing(app, make_event):
    draft = make_event(is_published=False)
    with app.test_request_context():
        assert find_event(draft.slug) is draft
        assert find_event(draft.slug, published=True) is None
        assert find_event("x" * 81) is None and find_event("event\x01") is None
        with pytest.raises(NotFound):
            event_or_404(draft.slug, published=True)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/events/{slug}/registrations",
        "/staff/events/{slug}/certificates",
        "/staff/events/{slug}/attendance",
        "/events/{slug}/register",
        "/events/{slug}",
    ],
)
def test_every_event_page_answers_404_for_a_slug_no_event_can_have(client, auth, path):
    auth.as_role("admin")
    assert client.get(path.format(slug="s" * 200)).status_code == 404
