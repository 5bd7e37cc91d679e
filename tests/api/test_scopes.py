"""API tokens are scoped to a role and to events (issue 14, item 9)."""

import pytest
from sqlalchemy import select

from summit.auth.api_tokens import TokenError, create_api_token
from summit.auth.services import create_staff
from summit.extensions import db
from summit.models import ApiToken, Checkin
from tests.conftest import STAFF_PASSWORD


def bearer(staff, **scope):
    _row, token = create_api_token(staff, actor="test", **scope)
    return {"Authorization": f"Bearer {token}"}


def slugs(client, headers) -> set[str]:
    response = client.get("/api/v1/events", headers=headers)
    assert response.status_code == 200
    return {item["slug"] for item in response.get_json()["items"]}


def post_scan(client, headers, slug, **body):
    return client.post(f"/api/v1/events/{slug}/checkins", json=body, headers=headers)


def test_a_check_in_token_without_events_sees_published_events_only(
    client, make_staff, make_event, make_registration
):
    shown, hidden = make_event(), make_event(is_published=False)
    make_registration(hidden)
    scanner = bearer(make_staff("checkin"))

    assert slugs(client, scanner) == {shown.slug}
    for path in ("registrations", "sessions"):
        response = client.get(f"/api/v1/events/{hidden.slug}/{path}", headers=scanner)
        assert response.status_code == 404
    assert post_scan(client, scanner, hidden.slug, code="X").status_code == 404


def test_an_admin_token_without_events_covers_every_event(client, make_staff, make_event):
    shown, hidden = make_event(), make_event(is_published=False)
    assert slugs(client, bearer(make_staff("admin"))) == {shown.slug, hidden.slug}


def test_a_token_for_named_events_reads_only_those(
    client, make_staff, make_event, make_registration
):
    mine, other, unpublished = make_event(), make_event(), make_event(is_published=False)
    theirs = make_registration(other)
    make_registration(unpublished)
    scanner = bearer(make_staff("checkin"), events=[mine, unpublished])

    assert slugs(client, scanner) == {mine.slug, unpublished.slug}
    assert client.get(f"/api/v1/events/{unpublished.slug}/registrations", headers=scanner).json[
        "items"
    ]
    assert client.get(
        f"/api/v1/events/{other.slug}/registrations", headers=scanner
    ).status_code == (404)
    refused = post_scan(client, scanner, other.slug, code=theirs.ticket_code)
    assert refused.status_code == 404
    assert db.session.scalars(select(Checkin)).all() == []


def test_annulling_another_scanners_check_in_needs_admin_scope(
    client, make_staff, make_registration
):
    registration = make_registration()
    slug = registration.event.slug
    door = bearer(make_staff("checkin"))
    other_door = bearer(make_staff("checkin"))
    post_scan(client, door, slug, code=registration.ticket_code, nonce="door-1")

    refused = client.delete("/api/v1/checkins/door-1", headers=other_door)
    assert refused.status_code == 403
    assert "admin" in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(Checkin.annulled_at)) is None

    admin = bearer(make_staff("admin"))
    assert client.delete("/api/v1/checkins/door-1", headers=admin).status_code == 200
    assert db.session.scalar(select(Checkin.annulled_at)) is not None


def test_an_admin_staff_members_check_in_token_may_not_annul_others(
    client, make_staff, make_registration
):
    registration = make_registration()
    door = bearer(make_staff("checkin"))
    post_scan(client, door, registration.event.slug, code=registration.ticket_code, nonce="d")
    narrow = bearer(make_staff("admin"), role="checkin")
    assert client.delete("/api/v1/checkins/d", headers=narrow).status_code == 403


def test_a_token_is_never_above_its_staff_members_role(client, make_staff, make_registration):
    with pytest.raises(TokenError, match="cannot be admin"):
        create_api_token(make_staff("checkin"), actor="test", role="admin")

    registration = make_registration()
    door = bearer(make_staff("checkin"))
    post_scan(client, door, registration.event.slug, code=registration.ticket_code, nonce="d")
    boss = make_staff("admin")
    headers = bearer(boss)
    create_staff(boss.email, "checkin", STAFF_PASSWORD)  # demoted: the token follows
    assert client.delete("/api/v1/checkins/d", headers=headers).status_code == 403


def test_the_tokens_page_offers_role_and_events(client, auth, make_staff, make_event):
    auth.as_role("admin")
    event = make_event(is_published=False)
    member = make_staff("checkin")
    page = client.get("/staff/api-tokens")
    assert b"(not published)" in page.data and b'name="role"' in page.data

    made = client.post(
        "/staff/api-tokens",
        data={"staff": member.id, "role": "checkin", "events": [event.id], "name": "door 9"},
    )
    assert made.status_code == 200 and b"Copy this token now" in made.data
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "door 9"))
    assert row.role == "checkin" and [e.slug for e in row.events] == [event.slug]

    above = client.post("/staff/api-tokens", data={"staff": member.id, "role": "admin"})
    assert above.status_code == 400 and b"cannot be admin" in above.data


def test_create_api_token_command_takes_events(runner, make_staff, make_event):
    admin = make_staff("admin")
    first, second = make_event(), make_event(is_published=False)
    every = runner.invoke(args=["create-api-token", admin.email])
    assert every.exit_code == 0 and "every event" in every.output

    scoped = runner.invoke(
        args=["create-api-token", admin.email, "--event", first.slug, "--event", second.slug]
    )
    assert scoped.exit_code == 0, scoped.output
    row = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert {e.slug for e in row.events} == {first.slug, second.slug} and not row.all_events

    door = runner.invoke(args=["create-api-token", make_staff("checkin").email])
    assert "every published event" in door.output
    unknown = runner.invoke(args=["create-api-token", admin.email, "--event", "nope"])
    assert unknown.exit_code != 0 and "no event 'nope'" in unknown.output
