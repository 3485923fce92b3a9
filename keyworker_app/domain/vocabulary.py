"""The vocabularies of edge-of-care work, in one place.

Every code stored in the caseload, imported from a spreadsheet or sent to the central store comes
from one of these enums. The values are the stable codes (stored and exchanged); ``label`` gives the
words a worker reads.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Vocabulary(StrEnum):
    """A code list whose members carry a human label."""

    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value.replace("_", " ").capitalize())

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def parse(cls, text: str) -> Vocabulary:
        """The member whose code is ``text`` (case and surrounding space ignored).

        Raises ValueError naming the accepted codes.
        """
        code = text.strip().lower()
        try:
            return cls(code)
        except ValueError:
            raise ValueError(
                f"'{text}' is not a {cls.describe()}; use one of: {', '.join(cls.codes())}"
            ) from None

    @classmethod
    def describe(cls) -> str:
        """The vocabulary's name in words: ``RiskCategory`` -> "risk category"."""
        return re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()


class Role(Vocabulary):
    KEYWORKER = "keyworker"
    CLINICIAN = "clinician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class CaseStatus(Vocabulary):
    OPEN = "open"
    CLOSED = "closed"


class Gender(Vocabulary):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    NOT_STATED = "not_stated"


class LegalStatus(Vocabulary):
    NONE = "none"
    CHILD_IN_NEED = "cin"
    CHILD_PROTECTION = "child_protection"
    SECTION_20 = "s20"
    INTERIM_CARE_ORDER = "interim_care_order"
    CARE_ORDER = "care_order"
    SPECIAL_GUARDIANSHIP = "sgo"
    CHILD_ARRANGEMENTS_ORDER = "child_arrangements_order"
    REMAND = "remand"
    OTHER = "other"


class RiskCategory(Vocabulary):
    """The risk category recorded at referral, as services report it to scrutiny committees."""

    PLACEMENT_LIKELY_WITHOUT_INTERVENTION = "placement_likely_without_intervention"
    PLACEMENT_LIKELY_TO_DISRUPT = "placement_likely_to_disrupt"
    OTHER = "other"


class Outcome(Vocabulary):
    """How a referral ended."""

    DEFLECTED_FROM_CARE = "deflected_from_care"
    DISCHARGED_FROM_CARE = "discharged_from_care"
    RETURNED_HOME_AFTER_SHORT_PLACEMENT = "returned_home_after_short_placement"
    PLACEMENT_STABILISED = "placement_stabilised"
    ENTERED_CARE = "entered_care"
    PLACEMENT_DISRUPTED = "placement_disrupted"
    OTHER = "other"


class PlacementType(Vocabulary):
    WITH_PARENTS = "with_parents"
    KINSHIP = "kinship"
    IN_HOUSE_FOSTERING = "in_house_fostering"
    IFA = "ifa"
    IN_HOUSE_RESIDENTIAL = "in_house_residential"
    EXTERNAL_RESIDENTIAL = "external_residential"
    SUPPORTED_ACCOMMODATION = "supported_accommodation"
    ASSESSMENT_BED = "assessment_bed"
    SECURE = "secure"
    OTHER = "other"


class ContactType(Vocabulary):
    FACE_TO_FACE = "face_to_face"
    HOME_VISIT = "home_visit"
    SCHOOL_VISIT = "school_visit"
    PLACEMENT_VISIT = "placement_visit"
    PHONE = "phone"
    VIDEO_CALL = "video_call"
    MESSAGE = "message"
    GROUP_ACTIVITY = "group_activity"
    FAMILY_MEETING = "family_meeting"
    PROFESSIONALS_MEETING = "professionals_meeting"
    ATTEMPTED = "attempted"


class RecordStatus(Vocabulary):
    """Whether a contact or form response may still be edited."""

    DRAFT = "draft"
    FINAL = "final"


class Worry(Vocabulary):
    """The worries checklist on a contact."""

    MISSING_FROM_HOME = "missing_from_home"
    EXPLOITATION = "exploitation"
    SELF_HARM = "self_harm"
    SUBSTANCE_USE = "substance_use"
    MENTAL_HEALTH = "mental_health"
    OFFENDING = "offending"
    SCHOOL_ATTENDANCE = "school_attendance"
    PLACEMENT_STABILITY = "placement_stability"
    FAMILY_CONFLICT = "family_conflict"
    ONLINE_SAFETY = "online_safety"
    PHYSICAL_HEALTH = "physical_health"
    HOUSING = "housing"


class ActionStatus(Vocabulary):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ActionSource(Vocabulary):
    """Where an action was agreed."""

    CONTACT = "contact"
    DEEP_DIVE = "deep_dive"
    SUPERVISION = "supervision"
    REVIEW = "review"
    MANUAL = "manual"


class GoalStatus(Vocabulary):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    ENDED = "ended"


class ScoreStage(Vocabulary):
    """When a Goal Based Outcomes score was taken."""

    START = "start"
    REVIEW = "review"
    END = "end"


class ChronologyCategory(Vocabulary):
    CONTACT = "contact"
    MISSING = "missing"
    PLACEMENT = "placement"
    LEGAL = "legal"
    HEALTH = "health"
    EDUCATION = "education"
    POLICE = "police"
    FAMILY = "family"
    SAFEGUARDING = "safeguarding"
    OTHER = "other"


_LABELS: dict[Vocabulary, str] = {
    Role.CLINICIAN: "Clinician",
    Gender.NON_BINARY: "Non-binary",
    LegalStatus.NONE: "No order",
    LegalStatus.CHILD_IN_NEED: "Child in need",
    LegalStatus.SECTION_20: "Section 20 (voluntary)",
    LegalStatus.SPECIAL_GUARDIANSHIP: "Special guardianship order",
    RiskCategory.PLACEMENT_LIKELY_WITHOUT_INTERVENTION: "Placement likely without intervention",
    RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT: "Placement likely to disrupt",
    Outcome.RETURNED_HOME_AFTER_SHORT_PLACEMENT: "Returned home after a short placement",
    PlacementType.IFA: "IFA",
    PlacementType.IN_HOUSE_FOSTERING: "In-house fostering",
    PlacementType.IN_HOUSE_RESIDENTIAL: "In-house residential",
    ContactType.FACE_TO_FACE: "Face to face",
    Worry.MISSING_FROM_HOME: "Missing from home",
}
