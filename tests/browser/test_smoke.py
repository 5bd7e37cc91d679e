"""The first steps a person takes, in real Chromium: the home page and staff sign-in, and
the pages a phone must show whole: verification and the training record."""

from playwright.sync_api import expect

from summit.auth.links import portal_token
from summit.certificates.services import issue_certificate
from tests.conftest import STAFF_PASSWORD
from tests.helpers import attend

# What sticks out, so a failure says which element did.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 5).map((element) => element.outerHTML.slice(0, 120))"""


def test_home_page_lists_the_event_on_a_phone(live_server, phone_page, make_upcoming_event):
    event = make_upcoming_event(name="S5 Summit 2027")
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


# Every table on the page: does it fit its box, and if not, can a keyboard reach the rest?
TABLES = """() => [...document.querySelectorAll("table")].map((table) => {
  const box = table.parentElement;
  const label = document.getElementById(box.getAttribute("aria-labelledby") || "");
  return {
    fits: table.getBoundingClientRect().width <= box.clientWidth + 1,
    region: box.getAttribute("role") === "region" && box.tabIndex === 0,
    name: label ? label.textContent.trim() : "",
  };
})"""


def assert_phone_friendly_tables(page) -> None:
    """Nothing overflows the phone sideways; a table too wide for it scrolls in a focusable,
    named region (axe's scrollable-region-focusable), and the keyboard scrolls it to the end."""
    page.wait_for_load_state("load")  # every stylesheet applied (slow under load)
    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    tables = page.evaluate(TABLES)
    assert tables, "the page shows a table"
    for table in tables:
        assert table["fits"] or (table["region"] and table["name"]), table
    region = page.locator("[role=region][tabindex='0']").first
    region.focus()
    page.keyboard.press("End")  # the keys a keyboard user scrolls with
    for _ in range(100):  # as long as the arrow key still scrolls (smooth scrolling settles)
        before = region.evaluate("element => element.scrollLeft")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(30)
        at_end = region.evaluate(
            "element => element.scrollLeft + element.clientWidth >= element.scrollWidth - 1"
        )
        if at_end and region.evaluate("element => element.scrollLeft") == before:
            break
    last_header = region.locator("thead th").last
    box = last_header.bounding_box()
    assert box["x"] + box["width"] <= 390 + 1, f"{last_header.inner_text()} is still cut off"


def test_verification_page_tables_on_a_phone(live_server, phone_page, make_registration):
    registration = make_registration()
    attend(registration)
    certificate = issue_certificate(registration).certificate
    phone_page.goto(f"{live_server.url}/verify/{certificate.verification_code}")
    expect(phone_page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    expect(phone_page.get_by_role("region", name="Subjects of")).to_be_visible()
    assert_phone_friendly_tables(phone_page)


def test_training_record_on_a_phone(live_server, phone_page, make_registration):
    registration = make_registration()
    attend(registration)
    phone_page.goto(f"{live_server.url}/my/enter/{portal_token(registration.person)}")
    phone_page.goto(f"{live_server.url}/my/training/")
    expect(phone_page.get_by_role("region", name="Each subject of")).to_be_visible()
    assert_phone_friendly_tables(phone_page)
