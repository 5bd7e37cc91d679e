"""The domain model. Import models from here."""

from summit.models.base import Base, db, utcnow
from summit.models.certificate import Certificate, CertificateBatch
from summit.models.curriculum import Curriculum, CurriculumTopic, Topic
from summit.models.event import (
    CREDIT_MODES,
    AgendaSession,
    EmailText,
    Event,
    Room,
    SessionTopic,
    Tier,
    TopicRequirement,
)
from summit.models.people import (
    ROLE_TYPES,
    STAFF_ROLES,
    ApiToken,
    Person,
    RecoveryCode,
    SignInFailure,
    StaffUser,
)
from summit.models.records import (
    CHECKIN_SOURCES,
    CHECKIN_STATUSES,
    AuditLog,
    Checkin,
    OutboxMessage,
)
from summit.models.registration import (
    REGISTRATION_STATES,
    SEAT_HOLDING_STATES,
    Invoice,
    Payment,
    Registration,
)
from summit.models.states import (
    STATE_ENUMS,
    CertificateStatus,
    CheckinResult,
    RegistrationState,
    TrainingEntryStatus,
)
from summit.models.training import (
    ENTRY_KINDS,
    ENTRY_STATUSES,
    PriorExperience,
    PriorExperienceFile,
    RecordShare,
    SelfTrainingEntry,
    TrainingResource,
    TrainingSeriesDocumentation,
)

__all__ = [
    "CHECKIN_SOURCES",
    "CHECKIN_STATUSES",
    "CREDIT_MODES",
    "ENTRY_KINDS",
    "ENTRY_STATUSES",
    "REGISTRATION_STATES",
    "ROLE_TYPES",
    "SEAT_HOLDING_STATES",
    "STAFF_ROLES",
    "STATE_ENUMS",
    "AgendaSession",
    "ApiToken",
    "AuditLog",
    "Base",
    "Certificate",
    "CertificateBatch",
    "CertificateStatus",
    "Checkin",
    "CheckinResult",
    "Curriculum",
    "CurriculumTopic",
    "EmailText",
    "Event",
    "Invoice",
    "OutboxMessage",
    "Payment",
    "Person",
    "PriorExperience",
    "PriorExperienceFile",
    "RecordShare",
    "RecoveryCode",
    "Registration",
    "RegistrationState",
    "Room",
    "SelfTrainingEntry",
    "SessionTopic",
    "SignInFailure",
    "StaffUser",
    "Tier",
    "Topic",
    "TopicRequirement",
    "TrainingEntryStatus",
    "TrainingResource",
    "TrainingSeriesDocumentation",
    "db",
    "utcnow",
]
