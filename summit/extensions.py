"""Extension objects, bound to the app in ``create_app`` with ``init_app``."""

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from summit.models.base import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
mail = Mail()
bootstrap = Bootstrap5()

__all__ = ["bootstrap", "csrf", "db", "limiter", "login_manager", "mail", "migrate"]
