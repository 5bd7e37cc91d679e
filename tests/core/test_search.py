"""Staff searches take ``%`` and ``_`` as typed: ``q=%`` once listed everyone."""

from __future__ import annotations

import pytest

from summit.search import escape_like


@pytest.fixture
def people(make_event, make_person, make_registration):
    event = make_event()
    plain = make_person(first_name="Dana", last_name="Quinlan", agency="Yakima PD")
    odd = make_person(first_name="Kim", last_name="Lee", agency="Unit_7 (100% SRO)")
    for person in (plain, odd):
        make_registration(event=event, person=person)
    return event


def listed(client, url: str) -> set[str]:
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return {name for name in ("Quinlan", "Lee") if name in text}


@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("/staff/training/?q={q}", "admin"),
        ("/staff/events/{slug}/registrations?q={q}", "checkin"),
        ("/staff/events/{slug}/checkin?q={q}", "checkin"),
    ],
)
def test_wildcards_match_only_themselves(client, auth, people, url, role):
    auth.as_role(role)
    for typed, expected in (("%25", {"Lee"}), ("_", {"Lee"}), ("0%25", {"Lee"}), ("t_7", {"Lee"})):
        assert listed(client, url.format(q=typed, slug=people.slug)) == expected, typed
    assert listed(client, url.format(q="%25%25", slug=people.slug)) == set()
    assert listed(client, url.format(q="a_a", slug=people.slug)) == set()
    assert listed(client, url.format(q="QUINLAN", slug=people.slug)) == {"Quinlan"}


def test_escape_like_escapes_its_own_escape_character():
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"
