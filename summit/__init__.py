"""summit: registration, check-in, topic credit and verifiable certificates for the S5 Summit."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. No schema changes, no network: those are CLI commands."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("SUMMIT_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from summit.config import load_config

    load_config(app, test_config)
    register_converters(app)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_templating(app)
    register_queue(app)
    register_cli(app)
    register_mail(app)
    return app


def register_converters(app: Flask) -> None:
    """Before any route: ``<int:…>`` means an id the database can hold."""
    from summit.urls import DatabaseId

    app.url_map.converters["int"] = DatabaseId


def register_extensions(app: Flask) -> None:
    from summit.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from summit.admin.merge_views import bp as merge_bp
    from summit.admin.views import bp as admin_bp
    from summit.api.views import bp as api_bp
    from summit.auth.views import bp as auth_bp
    from summit.certificates.verify import bp as verify_bp
    from summit.certificates.views import bp as certificates_bp
    from summit.checkin.views import bp as checkin_bp
    from summit.events.views import bp as events_bp
    from summit.payments.desk_views import bp as desk_payments_bp
    from summit.payments.views import bp as payments_bp
    from summit.portal.views import bp as portal_bp
    from summit.public.views import bp as public_bp
    from summit.registration.views import bp as registration_bp
    from summit.staff.account_views import bp as accounts_bp
    from summit.staff.views import bp as staff_bp
    from summit.training.views import blueprints as training_blueprints

    for blueprint in (
        public_bp,
        registration_bp,
        portal_bp,
        payments_bp,
        desk_payments_bp,
        auth_bp,
        staff_bp,
        accounts_bp,
        admin_bp,
        merge_bp,
        events_bp,
        checkin_bp,
        api_bp,
        certificates_bp,
        verify_bp,
        *training_blueprints,
    ):
        app.register_blueprint(blueprint)


def register_security(app: Flask) -> None:
    from summit.security import init_security

    init_security(app)


def register_errors(app: Flask) -> None:
    from summit.errors import init_errors

    init_errors(app)


def register_templating(app: Flask) -> None:
    from summit.templating import init_templating

    init_templating(app)


def register_queue(app: Flask) -> None:
    """The app's task queue, with every feature's tasks (their modules declare them)."""
    import summit.certificates.tasks
    import summit.mail.tasks
    import summit.registration.tasks  # noqa: F401
    from summit.queue import init_queue

    init_queue(app)


def register_cli(app: Flask) -> None:
    from summit.cli import init_cli

    init_cli(app)


def register_mail(app: Flask) -> None:
    from summit.mail import init_mail

    init_mail(app)
