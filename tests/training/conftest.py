"""Fixtures every training test module uses: the statute's curriculum and who reviews."""

from __future__ import annotations

import pytest

from summit.curricula import STATUTE_CODE
from tests.helpers import topic


@pytest.fixture
def statute(curricula):
    return curricula[STATUTE_CODE]


@pytest.fixture
def admin(make_staff):
    return make_staff("admin")


@pytest.fixture
def trauma(statute):
    return topic("trauma")
