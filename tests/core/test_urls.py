"""Absolute URLs, in and out of a request: emails, PDFs and QR codes carry them."""

from __future__ import annotations

import pytest

from summit.urls import absolute_url


def test_outside_a_request_the_public_url_prefixes_the_path(app):
    with app.app_context():
        assert absolute_url("verify.certificate", code="ABC") == (
            "https://summit.example/verify/ABC"
        )


def test_a_public_url_with_a_path_keeps_it(app):
    app.config["PUBLIC_URL"] = "https://esd105.example/s5"
    with app.app_context():
        assert absolute_url("portal.home") == "https://esd105.example/s5/my/"


def test_a_changed_public_url_is_used_at_once(app):
    with app.app_context():
        absolute_url("portal.home")
        app.config["PUBLIC_URL"] = None
        assert absolute_url("portal.home") == "http://127.0.0.1:5000/my/"


def test_inside_a_request_the_public_url_wins_over_the_host(app):
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert absolute_url("verify.certificate", code="X Y") == (
            "https://summit.example/verify/X%20Y"
        )
    app.config["PUBLIC_URL"] = None
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert absolute_url("portal.home") == "http://10.0.0.5:8000/my/"


def test_query_values_and_unknown_arguments_become_a_query_string(app):
    with app.app_context():
        url = absolute_url("public.event", slug="s5-2027", ref="email")
    assert url == "https://summit.example/events/s5-2027?ref=email"


def test_an_id_is_ascii_digits_in_the_columns_range():
    from summit.urls import LARGEST_ID, parse_id

    assert [parse_id(value) for value in (None, "", "7", 7, str(LARGEST_ID))] == [
        None,
        None,
        7,
        7,
        LARGEST_ID,
    ]
    for damaged in (
        "²",
        "٣",
        "-1",
        "0",
        " 5",
        "1.5",
        1.5,
        True,
        float("inf"),
        "9" * 5000,
        LARGEST_ID + 1,
        [1],
    ):
        with pytest.raises(ValueError):
            parse_id(damaged)
