"""National code lists for people (Children in Need census; see reference/safeguarding-facts.md §3.2)."""

from django.db import models


class Sex(models.TextChoices):
    # CIN census from 2024-25: M / F / U (U for unknown and for an unborn child, rule 8750).
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    UNKNOWN = "U", "Not known"


class Ethnicity(models.TextChoices):
    WBRI = "WBRI", "White – British"
    WIRI = "WIRI", "White – Irish"
    WIRT = "WIRT", "White – Traveller of Irish heritage"
    WOTH = "WOTH", "White – any other White background"
    WROM = "WROM", "White – Gypsy/Roma"
    MWBC = "MWBC", "Mixed – White and Black Caribbean"
    MWBA = "MWBA", "Mixed – White and Black African"
    MWAS = "MWAS", "Mixed – White and Asian"
    MOTH = "MOTH", "Mixed – any other mixed background"
    AIND = "AIND", "Asian or Asian British – Indian"
    APKN = "APKN", "Asian or Asian British – Pakistani"
    ABAN = "ABAN", "Asian or Asian British – Bangladeshi"
    AOTH = "AOTH", "Asian or Asian British – any other Asian background"
    BCRB = "BCRB", "Black or Black British – Caribbean"
    BAFR = "BAFR", "Black or Black British – African"
    BOTH = "BOTH", "Black or Black British – any other Black background"
    CHNE = "CHNE", "Chinese"
    OOTH = "OOTH", "Any other ethnic group"
    REFU = "REFU", "Refused"
    NOBT = "NOBT", "Information not yet obtained"


class RelationshipKind(models.TextChoices):
    """How an adult in the household relates to a child."""

    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    STEP_PARENT = "step_parent", "Step-parent"
    PARENT_PARTNER = "parent_partner", "Parent's partner"
    GRANDPARENT = "grandparent", "Grandparent"
    AUNT_UNCLE = "aunt_uncle", "Aunt or uncle"
    ADULT_SIBLING = "adult_sibling", "Adult brother or sister"
    FOSTER_CARER = "foster_carer", "Foster carer"
    KINSHIP_CARER = "kinship_carer", "Kinship or family and friends carer"
    PRIVATE_FOSTER_CARER = "private_foster_carer", "Private foster carer"
    OTHER_RELATIVE = "other_relative", "Other relative"
    HOUSEHOLD_MEMBER = "household_member", "Other household member, not related"
    NOT_IN_HOUSEHOLD = "not_in_household", "Significant adult, not in the household"


class InvolvementRole(models.TextChoices):
    ALLOCATED_SOCIAL_WORKER = "allocated_social_worker", "Allocated social worker"
    SCHOOL_DSL = "school_dsl", "School designated safeguarding lead"
    HEALTH_VISITOR = "health_visitor", "Health visitor"
    SCHOOL_NURSE = "school_nurse", "School nurse"
    GP_PRACTICE = "gp_practice", "GP practice"
    YOUTH_JUSTICE_WORKER = "youth_justice_worker", "Youth justice worker"
    EARLY_HELP_WORKER = "early_help_worker", "Early help key worker"
    CAMHS_CLINICIAN = "camhs_clinician", "CAMHS clinician"
    PROBATION_OFFICER = "probation_officer", "Probation officer"
    POLICE_OFFICER = "police_officer", "Police officer"
    HOUSING_OFFICER = "housing_officer", "Housing officer"
    OTHER = "other", "Other"


class InvolvementSource(models.TextChoices):
    REFERRAL_ANSWER = "referral_answer", "An agency's answer on a referral"
    IMPORT = "import", "Imported from an agency system"
    RECORDED = "recorded", "Recorded by the hub"
