"""Staff check-in pages, on the one ``checkin`` blueprint, split by who uses them.

* :mod:`~summit.checkin.desk` and :mod:`~summit.checkin.scan`: door staff at the
  desk and in room mode;
* :mod:`~summit.checkin.payments`: door staff taking cash, a check or a PO;
* :mod:`~summit.checkin.reports`: organisers' attendance matrix, CSVs, sign-in
  sheets and badges;
* :mod:`~summit.checkin.tokens`: admins' API tokens for scanner apps.

Importing this module registers every page on :data:`bp`.
"""

from __future__ import annotations

from summit.checkin import desk, payments, reports, scan, tokens
from summit.checkin.blueprint import bp

PAGES = (desk, scan, payments, reports, tokens)

__all__ = ["PAGES", "bp"]
