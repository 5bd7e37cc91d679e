"""Self-training material: links per topic (or general), kept current by ESD staff."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from summit import audit
from summit.curricula import ensure_curricula
from summit.extensions import db
from summit.models import StaffUser, Topic, TrainingResource, utcnow
from summit.training.errors import TrainingError
from summit.transactions import write_transaction

FORMATS = ("web page", "online course", "video", "webinar", "document", "in person", "other")


@dataclass(frozen=True)
class SeedResource:
    title: str
    url: str
    provider: str
    format: str
    position: int


# The public places named on the seed page (SRO HQ) and in PRODUCT.md. WSSO's site
# is not known to us: it is seeded without a link for staff to confirm, not invented.
SEED_RESOURCES: tuple[SeedResource, ...] = (
    SeedResource("S5 Summit and online training request", "https://www.esd105.org/student-support/ssocc/s5",
                 "ESD 105 SSOCC", "web page", 1),
    SeedResource("School safety and security staff: training requirements and self-training",
                 "https://ospi.k12.wa.us/student-success/health-safety/school-safety-center/"
                 "school-safety-and-security-staff",
                 "OSPI School Safety Center", "web page", 2),
    SeedResource("Safety training from Washington's educational service districts",
                 "https://www.waesd.org/services/safety/training/",
                 "Association of Educational Service Districts (AESD)", "web page", 3),
    SeedResource("National Association of School Resource Officers", "https://www.nasro.org/",
                 "NASRO", "web page", 4),
    SeedResource("Washington School Safety Organization (WSSO)", "",
                 "WSSO (website to be confirmed by ESD staff)", "web page", 5),
)  # fmt: skip

# A short, plain description of each shipped topic, shown on /training beside the
# statute's own words. Filled only where staff have not written one.
TOPIC_SUMMARIES: dict[str, str] = {
    "civil-rights": "What the Constitution and Washington law allow when officers search, "
    "question or detain students at school, and the rights students keep there.",
    "development": "How children and teenagers grow and think, and what that means for "
    "how they act and respond to adults in authority.",
    "trauma": "How trauma shapes young people's behaviour, and ways of working with youth "
    "that avoid causing more harm.",
    "mental-health": "Recognising signs of mental-health crises in young people and "
    "responding with care and the right referrals.",
    "disabilities": "The educational rights of students with disabilities, how disability "
    "can show in behaviour, and good practice when interacting with these students.",
    "bias-free": "Policing without bias and working well with students of every background, "
    "including English learners, LGBTQ, immigrant, female and nonbinary students.",
    "disparities": "What local and national data show about differences in the use of "
    "force and arrests of children.",
    "collateral": "What an arrest, a referral for prosecution or court involvement can mean "
    "for a young person's future.",
    "community-resources": "Services in the community that offer alternatives to arrest and "
    "prosecution, and how to connect youth with them.",
    "de-escalation": "Techniques for calming tense situations with a young person or a group.",
    "restraint": "Washington law on restraint and isolation in schools (RCW 28A.600.485) "
    "and what it requires of staff.",
    "ferpa": "Student privacy under FERPA and state law, including limits on using student "
    "records for purposes other than education.",
    "restorative-justice": "Principles and practices of restorative justice: repairing harm "
    "and relationships rather than only punishing.",
}


class BadURL(TrainingError):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host, else :class:`BadURL`."""
    url = (url or "").strip()
    if not _is_web_address(url):
        raise BadURL("Enter a full web address starting with https:// (or http://).")
    return url


def _is_web_address(url: str) -> bool:
    """An absolute http(s) address with a host and no spaces.

    ``urlsplit`` raises ValueError on some malformed addresses (``https://[::1``,
    an unclosed IPv6 host): that is a link typed wrong, not a server error.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and " " not in url


@write_transaction()
def seed_training_resources() -> list[TrainingResource]:
    """Add the demo's general resources and topic summaries where missing; idempotent.

    A resource already present (same URL, or same title for the one without a
    link) is left as staff last edited it.
    """
    ensure_curricula()
    existing = db.session.scalars(select(TrainingResource)).all()
    urls = {resource.url for resource in existing if resource.url}
    titles = {resource.title for resource in existing}
    added = []
    for seed in SEED_RESOURCES:
        if (seed.url and seed.url in urls) or (not seed.url and seed.title in titles):
            continue
        resource = TrainingResource(
            topic_id=None,
            title=seed.title,
            url=seed.url,
            provider=seed.provider,
            format=seed.format,
            position=seed.position,
            is_active=True,
        )
        db.session.add(resource)
        added.append(resource)
    for topic in db.session.scalars(select(Topic)):
        if not topic.summary and topic.code in TOPIC_SUMMARIES:
            topic.summary = TOPIC_SUMMARIES[topic.code]
    db.session.flush()
    for resource in added:
        audit.record(
            "training_resource.create", resource, after=_snapshot(resource), actor="seed-demo"
        )
    return added


def active_resources() -> list[TrainingResource]:
    return list(
        db.session.scalars(
            select(TrainingResource)
            .where(TrainingResource.is_active.is_(True))
            .order_by(TrainingResource.position, TrainingResource.id)
        )
    )


def all_resources() -> list[TrainingResource]:
    return list(
        db.session.scalars(
            select(TrainingResource).order_by(
                TrainingResource.is_active.desc(), TrainingResource.position, TrainingResource.id
            )
        )
    )


def _snapshot(resource: TrainingResource) -> dict:
    return {
        "topic_id": resource.topic_id,
        "title": resource.title,
        "url": resource.url,
        "provider": resource.provider,
        "format": resource.format,
        "approx_minutes": resource.approx_minutes,
        "position": resource.position,
        "is_active": resource.is_active,
    }


@write_transaction()
def save_resource(
    resource: TrainingResource | None,
    *,
    staff: StaffUser,
    topic_id: int | None,
    title: str,
    url: str,
    provider: str,
    format: str,
    approx_minutes: int | None,
    position: int,
    is_active: bool,
    checked: bool,
) -> TrainingResource:
    """Create (``resource`` None) or update a resource; ``checked`` stamps "link checked now"."""
    url = check_url(url)
    if approx_minutes is not None and approx_minutes <= 0:
        raise TrainingError("Approximate minutes must be more than zero.")
    if topic_id is not None and db.session.get(Topic, topic_id) is None:
        raise TrainingError("Choose a topic from the list.")
    before = _snapshot(resource) if resource is not None else None
    if resource is None:
        resource = TrainingResource()
        db.session.add(resource)
    if before is not None and before["url"] != url:
        resource.last_checked_at = None  # a new link has not been checked yet
    resource.topic_id = topic_id
    resource.title = title
    resource.url = url
    resource.provider = provider
    resource.format = format
    resource.approx_minutes = approx_minutes
    resource.position = position
    resource.is_active = is_active
    if checked:
        resource.last_checked_at = utcnow()
    db.session.flush()
    action = "training_resource.update" if before else "training_resource.create"
    audit.record(action, resource, before=before, after=_snapshot(resource), actor=staff)
    return resource


@write_transaction()
def mark_checked(resource: TrainingResource, *, staff: StaffUser) -> TrainingResource:
    """Staff opened the link and it still leads to the material."""
    if not resource.url:
        raise TrainingError("This resource has no link yet: add its web address first.")
    resource.last_checked_at = utcnow()
    audit.record("training_resource.checked", resource, actor=staff)
    return resource


@write_transaction()
def save_topic_summary(topic: Topic, summary: str, *, staff: StaffUser) -> Topic:
    before = {"summary": topic.summary}
    topic.summary = summary
    audit.record("topic.summary", topic, before=before, after={"summary": summary}, actor=staff)
    return topic
