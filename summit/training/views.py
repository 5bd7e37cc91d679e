"""Pages of self-training and the training record, split by audience into three blueprints.

* ``training`` (public, :mod:`~summit.training.public_views`): ``/training`` (topics
  and self-training links), starting a record, and ``/records/<token>`` (a
  district's read-only view of a shared record);
* ``training_portal`` (attendee, ``/my/training``, :mod:`~summit.training.portal_views`);
* ``training_staff`` (``/staff/training``, :mod:`~summit.training.staff_views` and
  :mod:`~summit.training.resource_views` and :mod:`~summit.training.policy_views`).
"""

from __future__ import annotations

from summit.training import (
    policy_views,
    portal_views,
    public_views,
    resource_views,
    staff_views,
)

PAGES = (public_views, portal_views, staff_views, resource_views, policy_views)
blueprints = (public_views.bp, portal_views.bp, staff_views.bp)
