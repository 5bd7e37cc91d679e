"""Every CSV export goes through one writer that keeps typed formulas from running."""

from __future__ import annotations

import csv
import io

import pytest

from summit.exports import csv_text, spreadsheet_safe


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://x","y")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "-$A$2&-$B$2",  # looks like money at first, but is a formula
        "-$1,000&A1",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_typed_formula_is_written_as_text(typed):
    assert spreadsheet_safe(typed) == "'" + typed
    assert next(csv.reader(io.StringIO(csv_text([[typed]])))) == ["'" + typed]


@pytest.mark.parametrize(
    "value", ["Yakima PD", "jordan.lee@yakimapd.example", "-$20.00", "-$1,250.50", "-5", 42, None]
)
def test_plain_values_and_our_own_amounts_stay_as_they_are(value):
    assert spreadsheet_safe(value) == value


def test_registration_list_csv_defuses_a_formula_shaped_like_money(
    client, auth, make_registration, make_person
):
    registration = make_registration(person=make_person(agency="-$A$2&-$B$2"))
    auth.as_role("admin")
    response = client.get(f"/staff/events/{registration.event.slug}/registrations?format=csv")
    header, row = rows_of(response)
    assert row[header.index("Agency")] == "'-$A$2&-$B$2"


def test_attendance_csv_defuses_formulas_the_same_way(client, auth, make_registration, make_person):
    registration = make_registration(person=make_person(agency="-$A$2&-$B$2"))
    auth.as_role("checkin")
    response = client.get(f"/staff/events/{registration.event.slug}/attendance?format=csv")
    header, row = rows_of(response)
    assert response.mimetype == "text/csv"
    assert row[header.index("agency")] == "'-$A$2&-$B$2"
