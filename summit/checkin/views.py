"""Staff check-in pages, on the one ``checkin`` blueprint, split by who uses them.

* :mod:`~summit.checkin.desk` and :mod:`~summit.checkin.scan`: door staff at the
  desk and in room mode;
* :mod:`~summit.checkin.reports`: organisers' attendance matrix, CSVs, sign-in
  sheets and badges;
* :mod:`~summit.checkin.tokens`: admins' API tokens for scanner apps.

Importing this module registers every page on :data:`bp`.
"""

from __future__ import annotations

from summit.checkin import desk, reports, scan, tokens
from summit.checkin.blueprint import bp

PAGES = (desk, scan, reports, tokens)

__all__ = ["PAGES", "bp"]
