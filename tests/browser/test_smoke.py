"""The first steps a person takes, in real Chromium: the home page and staff sign-in."""

from playwright.sync_api import expect

from tests.conftest import STAFF_PASSWORD

# What sticks out, so a failure says which element did.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 5).map((element) => element.outerHTML.slice(0, 120))"""


def test_home_page_lists_the_event_on_a_phone(live_server, phone_page, make_event):
    event = make_event(name="S5 Summit 2027")
    phone_page.goto(live_server.url + "/")
    expect(phone_page.get_by_role("heading", name="S5 Summit", exact=True)).to_be_visible()
    phone_page.get_by_role("link", name="S5 Summit 2027").click()
    expect(phone_page).to_have_url(f"{live_server.url}/events/{event.slug}")
    expect(phone_page.get_by_role("heading", name="Agenda")).to_be_visible()
    phone_page.wait_for_load_state("load")  # every stylesheet applied (slow under load)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    wide = phone_page.evaluate(WIDER_THAN_THE_SCREEN)
    assert width <= 390, f"nothing overflows a phone screen sideways: {wide}"


def test_staff_signs_in_with_the_keyboard(live_server, page, make_staff):
    staff = make_staff("checkin")
    page.goto(live_server.url + "/staff/")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_text(f"Signed in as {staff.email}")).to_be_visible()
    assert page.url == live_server.url + "/staff/"


def test_wrong_password_is_explained(live_server, page, make_staff):
    staff = make_staff("admin")
    page.goto(live_server.url + "/staff/sign-in")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("do not match a staff account")).to_be_visible()
