import re
from datetime import timedelta

import pytest

from summit.auth.links import portal_token
from summit.models import utcnow


def test_home_lists_open_events_with_links(client, make_upcoming_event):
    event = make_upcoming_event(name="S5 Summit 2027")
    make_upcoming_event(name="Hidden draft", is_published=False)
    html = client.get("/").get_data(as_text=True)
    assert f'href="/events/{event.slug}"' in html
    assert "S5 Summit 2027" in html
    assert "Registration open" in html
    assert "Hidden draft" not in html


def test_past_events_are_not_listed(client, make_event):
    past = utcnow().date() - timedelta(days=400)
    make_event(name="Old Summit", starts_on=past)
    assert "Old Summit" not in client.get("/").get_data(as_text=True)


def test_event_page_shows_when_where_tiers_and_agenda(client, make_event):
    event = make_event()
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert event.name in html and "Yakima Convention Center" in html
    assert "SRO (commissioned law enforcement officer)" in html and "Free" in html
    assert "$50" in html
    for item in event.curriculum.items:
        assert item.topic.title in html.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("zone", "words"),
    [("America/Los_Angeles", "Times are Pacific."), ("America/Denver", "Times are Mountain.")],
)
def test_event_page_names_the_events_own_time_zone(client, make_event, zone, words):
    event = make_event(timezone=zone)
    assert words in client.get(f"/events/{event.slug}").get_data(as_text=True)


def test_unknown_event_is_a_404_page_in_the_site_look(client):
    response = client.get("/events/no-such-summit")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "S5 Summit" in html


def test_server_error_page_is_friendly(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "kaboom" not in html


def test_api_clients_get_json_errors(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_every_asset_is_served_by_this_app(client, make_event):
    make_event()
    html = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:css|js|svg))"', html)
    assert assets, "the page links its stylesheets"
    for url in assets:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_a_nul_byte_in_any_form_is_a_clear_400(client, make_event):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register", data={"first_name": "Dana\x00"})
    assert response.status_code == 400
    assert "not allowed" in response.get_data(as_text=True)
    assert client.get("/my/sign-in?email=a%00b").status_code == 400


def test_staff_json_calls_get_401_not_a_redirect(client, make_event):
    event = make_event()
    response = client.get(
        f"/staff/events/{event.slug}/checkin/live.json", headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Sign in as staff again."


NAV_LINKS = {
    "/": "Events",
    "/training": "Self-training",
    "/verify/": "Verify a certificate",
    "/my/sign-in": "Find my registration",
}


@pytest.mark.parametrize("path", ["/", "/training", "/verify", "/my/sign-in", "/training/start"])
def test_every_public_page_links_to_the_public_pages(client, curricula, path):
    page = client.get(path).get_data(as_text=True)
    nav = page[page.index('aria-label="Main"') : page.index("</nav>")]
    for href, label in NAV_LINKS.items():
        assert re.search(rf'href="{re.escape(href)}"[^>]*>{re.escape(label)}</a>', nav), label


def test_the_current_section_is_marked_in_the_navigation(client, curricula):
    page = client.get("/verify").get_data(as_text=True)
    assert re.search(r'href="/verify/" aria-current="page">Verify a certificate', page)
    assert page.count('aria-current="page"') == 1


def test_a_signed_in_attendee_sees_my_registrations(client, make_person):
    client.get(f"/my/enter/{portal_token(make_person())}")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/my/">My registrations</a>' in page
    assert "Find my registration</a>" not in page.split("</nav>")[0]


def test_the_home_page_points_to_training_verification_and_registrations(client):
    page = client.get("/").get_data(as_text=True)
    main = page[page.index('<main id="main"') :]
    for href in ("/training", "/training/start", "/verify/", "/my/sign-in"):
        assert f'href="{href}"' in main, href
    assert "no registration needed" in main
