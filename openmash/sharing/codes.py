"""Code lists for consent, overrides and the sharing log (DESIGN.md §1.8; reference §2.3–2.4)."""

from django.db import models


class ConsentSought(models.TextChoices):
    YES = "yes", "Yes, consent to share was sought"
    NO = "no", "No, consent was not sought"


class NotSoughtReason(models.TextChoices):
    RISK_TO_CHILD = "risk_to_child", "Seeking it would put the child at risk of harm"
    PREJUDICE_INVESTIGATION = "prejudice_investigation", "Seeking it would prejudice a police investigation"
    UNDUE_DELAY = "undue_delay", "Seeking it would cause undue delay in protecting the child"
    NOT_REACHABLE = "not_reachable", "The person could not be reached"
    NOT_CAPABLE = "not_capable", "The person cannot give consent (and no one may give it for them)"
    OTHER = "other", "Another reason (give it in the notes)"


class ConsentOutcome(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn (after it had been given)"


class ConsentGivenBy(models.TextChoices):
    PARENT_WITH_PR = "parent_pr", "A parent with parental responsibility"
    CARER_WITH_PR = "carer_pr", "Another carer with parental responsibility"
    YOUNG_PERSON = "young_person", "The young person (competent to decide)"
    SELF = "self", "The adult themselves"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbal"
    WRITTEN = "written", "Written"


class OverrideStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed – waiting for a MASH manager"
    AUTHORISED = "authorised", "Authorised"
    REJECTED = "rejected", "Rejected"


class BasisCategory(models.TextChoices):
    ARTICLE_6 = "article_6", "UK GDPR Article 6 – lawful basis"
    SPECIAL = "special", "Special-category and criminal-offence data – condition"
    LAW_ENFORCEMENT = "law_enforcement", "Law-enforcement processing (DPA 2018 Part 3)"
    STATUTE = "statute", "Statutory power or duty"


# The list an administrator starts with (issue 4); they may add to it and retire entries, never
# delete one that has been relied on.
SEED_LAWFUL_BASES = [
    ("uk-gdpr-6-1-c", BasisCategory.ARTICLE_6, "UK GDPR Article 6(1)(c) – legal obligation"),
    ("uk-gdpr-6-1-d", BasisCategory.ARTICLE_6, "UK GDPR Article 6(1)(d) – vital interests"),
    ("uk-gdpr-6-1-e", BasisCategory.ARTICLE_6, "UK GDPR Article 6(1)(e) – public task"),
    ("dpa-2018-sch1-p18", BasisCategory.SPECIAL, "DPA 2018 Schedule 1 paragraph 18 – safeguarding of children and of individuals at risk"),
    ("dpa-2018-sch1-p6", BasisCategory.SPECIAL, "DPA 2018 Schedule 1 paragraph 6 – statutory and government purposes"),
    ("uk-gdpr-9-2-h-sch1-p2", BasisCategory.SPECIAL, "UK GDPR Article 9(2)(h) with DPA 2018 Schedule 1 paragraph 2 – health or social care purposes"),
    ("dpa-2018-sch8-p4", BasisCategory.LAW_ENFORCEMENT, "DPA 2018 Schedule 8 paragraph 4 – safeguarding of children and of individuals at risk (police)"),
    ("ca-1989-s47", BasisCategory.STATUTE, "Children Act 1989 section 47 – local authority's duty to investigate"),
    ("ca-1989-s17", BasisCategory.STATUTE, "Children Act 1989 section 17 – children in need"),
    ("ca-2004-s11", BasisCategory.STATUTE, "Children Act 2004 section 11 – duty to safeguard and promote welfare"),
]


class SharingDecision(models.TextChoices):
    """Reference §2.4: share, not share, or partial (shared with something withheld)."""

    SHARED = "shared", "Shared"
    NOT_SHARED = "not_shared", "Not shared"
    PARTIAL = "partial", "Shared in part"


class SharingKind(models.TextChoices):
    REQUEST_SENT = "request_sent", "Information request sent to an agency"
    ANSWER_GIVEN = "answer_given", "Agency shared what it holds with the hub"
    ANSWER_NOT_KNOWN = "answer_not_known", "Agency answered: not known to us"
    ANSWER_DECLINED = "answer_declined", "Agency declined to share"
    RESTRICTION_APPLIED = "restriction_applied", "Agency restricted its answer"
    REFERRER_RELEASED = "referrer_released", "Referrer's identity released to an agency"
    OUTCOME_LETTER = "outcome_letter", "Outcome feedback to the referrer"
    REFERRER_NOT_TOLD = "referrer_not_told", "Decided not to tell the referrer the outcome"


class BasisKind(models.TextChoices):
    CONSENT = "consent", "Consent"
    OVERRIDE = "override", "Override: lawful basis without consent"
    URGENT = "urgent", "Urgent: sent before the override was recorded"
    AGENCY = "agency", "The agency's own basis for sharing with the hub"
    NONE = "", "Not applicable (nothing shared)"


class Channel(models.TextChoices):
    IN_SERVICE = "in_service", "Within OpenMASH"
    PHONE = "phone", "Phone"
    SECURE_EMAIL = "secure_email", "Secure email"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
