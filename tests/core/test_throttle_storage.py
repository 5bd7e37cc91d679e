"""Throttles count once for every web worker when Redis is configured (issue 14, item 13).

Two gunicorn workers are two processes, each with its own ``memory://`` count: 9 of
"5 a minute" sign-ins got through with 2 workers. Here two processes (two app
instances that share nothing but the configuration) post wrong staff passwords in
turn, counting in Redis at 127.0.0.1:6379, then in memory for contrast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from summit import ROOT
from summit.config import load_config

REDIS_URL = os.environ.get("SUMMIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

WORKER = """
import json, sys
from summit import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
form = {"email": "nobody@esd105.example", "password": "wrong password"}
codes = [client.post("/staff/sign-in", data=form).status_code for _ in range(int(sys.argv[2]))]
print(json.dumps(codes))
"""


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def worker(config: dict, posts: int) -> list[int]:
    """One web worker in its own process: what ``posts`` wrong sign-ins answer."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config), str(posts)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def worker_config(app, database_url, tmp_path):
    """A configuration both workers share; its own key prefix keeps the count apart."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": f"summit-test-{uuid.uuid4().hex}",
        "LOGIN_RATE_LIMIT": "3 per minute",
        "STORAGE_DIR": str(tmp_path / "storage"),
    }


def test_two_workers_share_one_count_in_redis(worker_config):
    if not redis_answers():
        pytest.skip(f"no Redis answers at {REDIS_URL} (apt-get install redis-server)")
    config = {**worker_config, "REDIS_URL": REDIS_URL}
    assert worker(config, 2) == [401, 401]
    assert worker(config, 2) == [401, 429]  # the second worker knows the first one's tries


def test_in_memory_each_worker_counts_alone(worker_config):
    """Why production needs Redis: the same two workers without it allow twice the limit."""
    config = {**worker_config, "RATELIMIT_STORAGE_URI": "memory://"}
    assert worker(config, 2) == [401, 401]
    assert worker(config, 2) == [401, 401]


def test_redis_url_is_where_limits_count_unless_storage_is_named(tmp_path, monkeypatch):
    from flask import Flask

    def configured(**values):
        app = Flask("probe", instance_path=str(tmp_path))
        load_config(app, {"SECRET_KEY": "x", **values})
        return app.config["RATELIMIT_STORAGE_URI"]

    monkeypatch.delenv("SUMMIT_REDIS_URL", raising=False)
    monkeypatch.delenv("SUMMIT_RATELIMIT_STORAGE_URI", raising=False)
    assert configured() == "memory://"
    assert configured(REDIS_URL="redis://cache:6379/1") == "redis://cache:6379/1"
    assert (
        configured(REDIS_URL="redis://cache:6379/1", RATELIMIT_STORAGE_URI="memcached://m:11211")
        == "memcached://m:11211"
    )


def test_redis_down_never_fails_a_request(make_app):
    """While Redis is unreachable, limits count in memory: a sign-in answers, not 500."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    client = app.test_client()
    form = {"email": "nobody@esd105.example", "password": "wrong password"}
    with app.app_context():
        codes = [client.post("/staff/sign-in", data=form).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
