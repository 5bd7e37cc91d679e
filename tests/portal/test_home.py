"""The portal home gets what it shows from its view: no template global runs a query."""

from __future__ import annotations

from flask import template_rendered

from summit.auth.links import portal_token


def test_the_view_passes_registrations_certificates_and_the_training_record(
    app, client, curricula, make_registration
):
    registration = make_registration()
    person = registration.person
    client.get(f"/my/enter/{portal_token(person)}")
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append((template.name, context))

    with template_rendered.connected_to(record, app):
        assert client.get("/my/").status_code == 200
    (name, context), *_ = rendered
    assert name == "portal/home.html"
    assert context["registrations"] == [registration]
    assert context["certificates"] == []
    assert context["training"].person == person
    assert not {"certificates_of", "training_summary"} & set(app.jinja_env.globals)
