"""Code lists for referrals.

Referral source is the Children in Need census `ReferralSource` list, exactly (reference §3.2).
Concern categories are the hub's screening categories named by the service design; each maps to the
census assessment factor it most often becomes, for the statutory returns.
"""

from django.db import models


class ReferralSource(models.TextChoices):
    INDIVIDUAL_FAMILY = "1A", "Individual – family member, relative or carer"
    INDIVIDUAL_ACQUAINTANCE = "1B", "Individual – acquaintance (including neighbours and child minders)"
    INDIVIDUAL_SELF = "1C", "Individual – self"
    INDIVIDUAL_OTHER = "1D", "Individual – other (including strangers)"
    SCHOOLS = "2A", "Schools"
    EDUCATION_SERVICES = "2B", "Education services"
    HEALTH_GP = "3A", "Health – GP"
    HEALTH_VISITOR = "3B", "Health – health visitor"
    HEALTH_SCHOOL_NURSE = "3C", "Health – school nurse"
    HEALTH_OTHER_PRIMARY = "3D", "Health – other primary health services"
    HEALTH_AE = "3E", "Health – A&E"
    HEALTH_OTHER = "3F", "Health – other (for example, hospice)"
    HOUSING = "4", "Housing – local authority housing or housing association"
    LA_SOCIAL_CARE = "5A", "Local authority services – social care (for example, adult social care)"
    LA_OTHER_INTERNAL = "5B", "Local authority services – other internal (for example, youth offending, not housing)"
    LA_EXTERNAL = "5C", "Local authority services – external (for example, another authority's adult social care)"
    LA_EARLY_HELP = "5D", "Local authority services – early help"
    POLICE = "6", "Police"
    OTHER_LEGAL = "7", "Other legal agency (courts, probation, immigration, CAFCASS, prison)"
    OTHER = "8", "Other (children's centres, independent providers, voluntary organisations)"
    ANONYMOUS = "9", "Anonymous"
    UNKNOWN = "10", "Unknown"


class ConcernCategory(models.TextChoices):
    NEGLECT = "neglect", "Neglect"
    PHYSICAL_ABUSE = "physical_abuse", "Physical abuse"
    SEXUAL_ABUSE = "sexual_abuse", "Sexual abuse"
    EMOTIONAL_ABUSE = "emotional_abuse", "Emotional abuse"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    CSE = "cse", "Child sexual exploitation"
    CCE = "cce", "Child criminal exploitation"
    TRAFFICKING = "trafficking", "Trafficking"
    FGM = "fgm", "Female genital mutilation (FGM)"
    PRIVATE_FOSTERING = "private_fostering", "Private fostering"
    MISSING = "missing", "Missing"
    RADICALISATION = "radicalisation", "Radicalisation"
    PARENTAL_MENTAL_HEALTH = "parental_mental_health", "Parental mental health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    OTHER = "other", "Other"


# The census assessment factor (CIN AssessmentFactors) a screening concern usually corresponds to.
CONCERN_TO_ASSESSMENT_FACTOR = {
    ConcernCategory.NEGLECT: "16A",
    ConcernCategory.PHYSICAL_ABUSE: "18C",
    ConcernCategory.SEXUAL_ABUSE: "19C",
    ConcernCategory.EMOTIONAL_ABUSE: "17A",
    ConcernCategory.DOMESTIC_ABUSE: "3B",
    ConcernCategory.CSE: "11A",
    ConcernCategory.CCE: "24A",
    ConcernCategory.TRAFFICKING: "12A",
    ConcernCategory.FGM: "22A",
    ConcernCategory.PRIVATE_FOSTERING: "8F",
    ConcernCategory.MISSING: "10A",
    ConcernCategory.RADICALISATION: "20",
    ConcernCategory.PARENTAL_MENTAL_HEALTH: "4B",
    ConcernCategory.SUBSTANCE_MISUSE: "2B",
    ConcernCategory.OTHER: "20",
}


class Rating(models.TextChoices):
    URGENT = "urgent", "Urgent"
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


RATING_ORDER = {Rating.URGENT: 0, Rating.RED: 1, Rating.AMBER: 2, Rating.GREEN: 3}

RATING_HINTS = {
    Rating.URGENT: "Immediate risk: straight to a strategy discussion; agencies share on the shortest clock",
    Rating.RED: "High risk: every agency shares within the red clock",
    Rating.AMBER: "Medium risk: agencies share within the amber clock",
    Rating.GREEN: "Lower risk: agencies share within the green clock",
}


class ClockBasis(models.TextChoices):
    CALENDAR = "calendar", "Calendar hours (around the clock)"
    WORKING = "working", "Working hours (Monday to Friday, 9am to 5pm, not bank holidays)"


class ReferralStatus(models.TextChoices):
    AWAITING_TRIAGE = "awaiting_triage", "Awaiting triage"
    GATHERING = "gathering", "Gathering information"
    DECIDED = "decided", "Decided"


class FamilyInformed(models.TextChoices):
    YES = "yes", "Yes, the family knows about this referral"
    NO = "no", "No, the family has not been told"
    NOT_KNOWN = "not_known", "Not known"


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Consent to share was given"
    REFUSED = "refused", "Consent to share was refused"
    NOT_SOUGHT = "not_sought", "Consent was not sought"


class Outcome(models.TextChoices):
    """The hub's decision for a child (DESIGN.md §1.7)."""

    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion / section 47 child protection enquiry"
    ASSESSMENT = "assessment", "Child and family assessment (section 17)"
    EARLY_HELP = "early_help", "Early help"
    UNIVERSAL = "universal", "Universal services or signposting"
    NFA = "nfa", "No further action"
    ALREADY_OPEN = "already_open", "Already open – pass to the allocated worker"
    OTHER_LA = "other_la", "Transfer to another local authority"


class ThresholdLevel(models.IntegerChoices):
    """The continuum of need used by most English partnerships (levels 1 to 4)."""

    UNIVERSAL = 1, "Level 1 – universal: needs met by universal services"
    ADDITIONAL = 2, "Level 2 – additional needs: early help, single agency or targeted"
    COMPLEX = 3, "Level 3 – complex needs: child in need, multi-agency support"
    ACUTE = 4, "Level 4 – acute: child protection, significant harm"


class ReferrerInformed(models.TextChoices):
    YES = "yes", "Yes"
    NOT_YET = "not_yet", "Not yet – the referrer will be told"
    NOT_APPROPRIATE = "not_appropriate", "No – it would not be appropriate (give the reason)"
    ANONYMOUS = "anonymous", "No – the referrer is anonymous"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    SECURE_EMAIL = "secure_email", "Secure email"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
