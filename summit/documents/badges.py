"""Name badges, six per letter sheet, whose text never runs into the ticket QR.

A badge has fixed zones (``templates/documents/badges.html``): the name across the
top, agency and tier beside the QR, the QR with its quiet zone in the corner. A
long name or agency does not fit its zone at the usual size, and WeasyPrint cannot
shrink text to fit; so the sheet is laid out, the zones that overflow are measured,
and only those badges are laid out again, on their own, with smaller type until
they fit; then the whole sheet once more. Each step is chosen from how much too
tall the text was, so a few passes of a few badges are enough.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from summit.documents.pdf import lay_out
from summit.models import Event, Registration
from summit.qr import qr_svg_data_uri

BADGES_PER_SHEET = 6
PX_PER_INCH = 96  # WeasyPrint lays out in CSS pixels
# The room each zone has on the badge, in inches: the template's CSS says the same.
NAME_ROOM = 1.05
DETAILS_ROOM = 0.95
# Type sizes in points, largest first: (first name, last name) and agency.
NAME_SIZES: Sequence[tuple[float, float]] = (
    (26, 15), (22, 14), (19, 13), (16, 12), (14, 11), (12, 10), (10.5, 9), (9, 8),
)  # fmt: skip
AGENCY_SIZES: Sequence[float] = (10, 9, 8, 7.5, 7, 6.5, 6)
NAME_LADDER = [first for first, _last in NAME_SIZES]
MAX_PASSES = 6  # of the overflowing badges alone; then the whole sheet once more


def _next_step(sizes: Sequence[float], current: int, height: float, room: float) -> int:
    """The next size to try for text ``height`` tall in ``room``.

    Text area grows with the square of its size, so the size that should fit is
    known roughly; the step taken is the smallest one down to it, so that a name is
    never printed smaller than it needs to be.
    """
    wanted = sizes[current] * math.sqrt(room / height) if height > room else sizes[current]
    step = current + 1
    while step + 1 < len(sizes) and sizes[step] > wanted and sizes[step + 1] >= wanted:
        step += 1
    return min(step, len(sizes) - 1)


def render_badges_pdf(event: Event, registrations: Sequence[Registration], org_name: str) -> bytes:
    """The badges of ``registrations`` in order, type shrunk where a name or agency is long."""
    people = [
        {
            "registration": registration,
            "person": registration.person,
            "qr_uri": qr_svg_data_uri(registration.ticket_code),
            "slot": index,
            "name_step": 0,
            "details_step": 0,
            "name_size": NAME_SIZES[0],
            "agency_size": AGENCY_SIZES[0],
        }
        for index, registration in enumerate(registrations)
    ]
    laid_out = _lay_out(event, people, org_name)
    overflowing = _overflowing(laid_out)
    shrunk = False
    for _attempt in range(MAX_PASSES):  # only the badges that overflow, laid out alone
        misfits = sorted({index for _zone, index in overflowing})
        retry = [people[index] for index in misfits if _shrink(people[index], overflowing)]
        if not retry:
            break
        shrunk = True
        overflowing = _overflowing(_lay_out(event, retry, org_name))
    if shrunk:
        laid_out = _lay_out(event, people, org_name)
    return laid_out.write()


def _shrink(person: dict, overflowing: dict) -> bool:
    """Step down the type of each zone of this badge that overflows; False at the smallest."""
    changed = False
    for zone, ladder in (("name", NAME_LADDER), ("details", AGENCY_SIZES)):
        found = overflowing.get((zone, person["slot"]))
        if found is None:
            continue
        current = person[f"{zone}_step"]
        step = _next_step(ladder, current, *found)
        changed = changed or step != current
        person[f"{zone}_step"] = step
    person["name_size"] = NAME_SIZES[person["name_step"]]
    person["agency_size"] = AGENCY_SIZES[person["details_step"]]
    return changed


def _lay_out(event: Event, people: list[dict], org_name: str):
    sheets = [people[i : i + BADGES_PER_SHEET] for i in range(0, len(people), BADGES_PER_SHEET)]
    return lay_out(
        "documents/badges.html",
        {"event": event, "sheets": sheets, "org_name": org_name},
        title=f"Name badges: {event.name}",
        subject=f"{len(people)} name badges for {event.name}",
    )


def _overflowing(laid_out) -> dict[tuple[str, int], tuple[float, float]]:
    """``(zone, badge index) -> (text height, room)`` for every zone its text overflows."""
    rooms = {"name": NAME_ROOM * PX_PER_INCH, "details": DETAILS_ROOM * PX_PER_INCH}
    slots = laid_out.slots()
    limits = {
        name: replace(slot, height=rooms[name.split("-", 1)[0]]) for name, slot in slots.items()
    }
    found = {}
    for name in laid_out.misfits(limits):
        zone, index = name.split("-", 1)
        found[(zone, int(index))] = (slots[name].height, limits[name].height)
    return found
