"""Demo data: the 16 partner agencies, a user for every role, and referrals in every state.

Used by `manage.py seed_demo` (the README's first command) and by the browser tests. Referrals are
made through the same services as the pages, with the clock moved back so their history is real.
Names and identifiers are invented; NHS numbers and UPNs are valid in form only.
"""

import datetime as dt

from django.db import transaction

from openmash.accounts.models import SignInThrottle, Team, User
from openmash.accounts.roles import Role
from openmash.agencies.models import Agency
from openmash.core import clock
from openmash.information_requests.models import InformationRequest
from openmash.information_requests.services import AnswerInput, information_request_answer
from openmash.people.services import NewPerson
from openmash.referrals.models import Referral
from openmash.referrals.services import (
    AdultEntry,
    DecisionInput,
    PersonRef,
    ReferralInput,
    clock_policy_ensure_defaults,
    decision_record,
    referral_create,
    referral_triage,
)
from openmash.sharing.services import (
    ConsentInput,
    consent_record,
    lawful_bases_ensure_seeded,
    override_authorise,
    override_propose,
)

DEMO_PASSWORD = "openmash-demo"

AGENCIES = [
    ("csc", "Children's social care", "csc-duty@council.example.gov.uk"),
    ("police", "Police", "mash-police@police.example.gov.uk"),
    ("health-acute", "Acute health (hospital trust)", "safeguarding@hospital.example.nhs.uk"),
    ("health-community", "Community health (health visiting and school nursing)", "hv-sn-mash@community.example.nhs.uk"),
    ("gp", "GP liaison", "gp-liaison@icb.example.nhs.uk"),
    ("camhs", "Child and adolescent mental health services", "camhs-mash@mh.example.nhs.uk"),
    ("adult-mh", "Adult mental health", "amh-mash@mh.example.nhs.uk"),
    ("education", "Education", "education-safeguarding@council.example.gov.uk"),
    ("early-help", "Early help", "early-help@council.example.gov.uk"),
    ("housing", "Housing", "housing-mash@council.example.gov.uk"),
    ("youth-justice", "Youth justice", "yjs@council.example.gov.uk"),
    ("probation", "Probation", "probation-mash@justice.example.gov.uk"),
    ("adult-social-care", "Adult social care", "asc-duty@council.example.gov.uk"),
    ("substance-misuse", "Substance misuse service", "substance-mash@provider.example.org.uk"),
    ("domestic-abuse", "Domestic abuse service", "da-mash@provider.example.org.uk"),
    ("childrens-centres", "Children's centres", "centres@council.example.gov.uk"),
]

HUB_USERS = [
    ("manager", Role.MANAGER, "Morgan", "Reid", "MASH team manager"),
    ("practitioner", Role.PRACTITIONER, "Priya", "Shah", "MASH social worker"),
    ("analyst", Role.ANALYST, "Alex", "Okafor", "Performance analyst"),
    ("admin", Role.ADMINISTRATOR, "Sam", "Taylor", "System administrator"),
    ("ig", Role.IG_OFFICER, "Jordan", "Blake", "Information governance officer"),
]

# The hub's teams (docs/adr/0017): the demo manager and practitioner work in the first.
TEAMS = [("team-a", "MASH Team A"), ("team-b", "MASH Team B"), ("team-c", "MASH Team C")]
TEAM_OF = {"manager": "team-a", "practitioner": "team-a"}

REP_NAMES = {
    "csc": ("Nadia", "Kowalski", "Senior social worker, MASH"),
    "police": ("Dan", "Harris", "Detective Sergeant, MASH"),
    "health-acute": ("Ruth", "Evans", "Named nurse for safeguarding"),
    "health-community": ("Grace", "Adeyemi", "Health visitor, MASH"),
    "gp": ("Dr Imran", "Qureshi", "Named GP for safeguarding"),
    "camhs": ("Tom", "Whitaker", "CAMHS clinical lead"),
    "adult-mh": ("Ayesha", "Begum", "Mental health practitioner"),
    "education": ("Chris", "Nolan", "Education safeguarding officer"),
    "early-help": ("Leanne", "Price", "Early help co-ordinator"),
    "housing": ("Marcus", "Bell", "Housing safeguarding officer"),
    "youth-justice": ("Kemi", "Adebayo", "Youth justice officer"),
    "probation": ("Sian", "Hughes", "Probation officer"),
    "adult-social-care": ("Paul", "Dempsey", "Adult social care practitioner"),
    "substance-misuse": ("Joanna", "Lisowska", "Substance misuse worker"),
    "domestic-abuse": ("Fatima", "Rahman", "Independent domestic violence adviser"),
    "childrens-centres": ("Beth", "Morris", "Children's centre manager"),
}


def demo_agencies() -> list[dict]:
    return [
        {"code": code, "name": name, "duty_inbox_email": inbox, "sort_order": position * 10, "active": True}
        for position, (code, name, inbox) in enumerate(AGENCIES, start=1)
    ]


def demo_teams() -> list[dict]:
    return [{"code": code, "name": name, "active": True} for code, name in TEAMS]


def demo_accounts() -> list[tuple]:
    """(username, role, first name, last name, job title, agency code or None) for every demo user."""
    accounts = [(u, r, f, l, t, None) for u, r, f, l, t in HUB_USERS]
    for code, _name, _inbox in AGENCIES:
        first, last, title = REP_NAMES[code]
        accounts.append((f"{code}-rep", Role.AGENCY_REP, first, last, title, code))
    return accounts


def ensure_agencies_and_users() -> dict[str, User]:
    """Create or refresh the agencies and demo accounts; returns users by username."""
    users = {}
    for fields in demo_agencies():
        Agency.objects.update_or_create(code=fields["code"], defaults=fields)
    agencies = {a.code: a for a in Agency.objects.all()}
    for fields in demo_teams():
        Team.objects.update_or_create(code=fields["code"], defaults=fields)
    teams = {t.code: t for t in Team.objects.all()}
    for username, role, first, last, title, code in demo_accounts():
        agency = agencies[code] if code else None
        user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "agency": agency})
        user.role, user.first_name, user.last_name, user.job_title, user.agency = role, first, last, title, agency
        user.team = teams[TEAM_OF[username]] if username in TEAM_OF else None
        user.email = f"{username}@demo.openmash.invalid"
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[username] = user
    # A demo account locked by mistyping is unlocked by running the seeder again.
    SignInThrottle.objects.filter(username_key__in=[u.lower() for u in users]).delete()
    clock_policy_ensure_defaults()
    return users


def _child(given, family, dob, sex, **extra) -> PersonRef:
    return PersonRef(new=NewPerson(given_name=given, family_name=family, date_of_birth=dob, sex=sex, **extra))


def _adult(given, family, dob, sex, relationships, **extra) -> AdultEntry:
    return AdultEntry(
        person=PersonRef(new=NewPerson(given_name=given, family_name=family, date_of_birth=dob, sex=sex, **extra)),
        relationships=relationships,
        parental_responsibility={k: v in ("mother", "father") for k, v in relationships.items()},
    )


def _years_ago(now: dt.datetime, years: int, days: int = 0) -> dt.date:
    today = clock.to_local(now).date()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


def _answer(users, referral, code, at, outcome, summary="", detail="", restriction="none", reason="", systems=""):
    request = InformationRequest.objects.get(referral=referral, agency__code=code)
    with clock.frozen(at):
        information_request_answer(
            user=users[f"{code}-rep"],
            request=request,
            data=AnswerInput(
                outcome=outcome, summary=summary, detail=detail, restriction=restriction, decline_reason=reason,
                systems_checked=systems,
            ),
        )


def seed_referrals(users: dict[str, User]) -> list[str]:
    """Referrals in every state, relative to now. Returns their references."""
    now = clock.now()
    practitioner, manager = users["practitioner"], users["manager"]
    made = []

    def record(received_ago, data: ReferralInput, recorded_after=dt.timedelta(minutes=20)) -> Referral:
        data.received_at = now - received_ago
        with clock.frozen(now - received_ago + recorded_after):
            referral = referral_create(user=practitioner, data=data)
        made.append(referral.reference)
        return referral

    def consent(referral, ago, *, sought="yes", outcome="given", reason="", notes="", family_informed="yes"):
        """The same consent position for everyone on the referral: children through their mother (or
        carer), adults for themselves."""
        links = list(referral.people.select_related("person"))
        carer = next((f"{l.person.given_name} {l.person.family_name}" for l in links if l.kind == "adult"), "")
        with clock.frozen(now - ago):
            for kind, given_by in (("child", "parent_pr" if carer else "young_person"), ("adult", "self")):
                ids = [l.person_id for l in links if l.kind == kind]
                groups = [ids] if given_by != "young_person" else [[i] for i in ids]
                for group in groups if ids else []:
                    consent_record(
                        user=practitioner, referral=referral,
                        data=ConsentInput(
                            person_ids=group, family_informed=family_informed, sought=sought, not_sought_reason=reason,
                            outcome=outcome if sought == "yes" else "", given_by=given_by if sought == "yes" else "",
                            given_by_name=carer if given_by == "parent_pr" else "", method="verbal",
                            obtained_at=now - ago - dt.timedelta(minutes=10) if sought == "yes" else None, notes=notes,
                        ),
                    )

    def override(referral, ago, bases, reason, *, authorise=True):
        with clock.frozen(now - ago):
            proposed = override_propose(user=practitioner, referral=referral, basis_codes=bases, reason=reason)
        if authorise:
            with clock.frozen(now - ago + dt.timedelta(minutes=3)):
                override_authorise(user=manager, override=proposed)

    def triage(referral, ago, rating, rationale, codes=None):
        with clock.frozen(now - ago):
            referral_triage(user=manager, referral=referral, rating=rating, rationale=rationale, agency_codes=codes)

    # 1. Awaiting triage: a school's concern about two brothers.
    record(
        dt.timedelta(minutes=50),
        ReferralInput(
            source="2A", referrer_name="Helen Marsh", referrer_role="Designated safeguarding lead",
            referrer_organisation="Oakfield Primary School", referrer_phone="020 7946 0123",
            referrer_email="h.marsh@oakfield.example.sch.uk",
            children=[
                _child("Jayden", "Smith", _years_ago(now, 8, 40), "M", upn="B801200005001", address_line_1="14 Alder Road", town="London", postcode="SE15 4AB"),
                _child("Tyler", "Smith", _years_ago(now, 6, 100), "M", address_line_1="14 Alder Road", town="London", postcode="SE15 4AB"),
            ],
            adults=[_adult("Kerry", "Smith", _years_ago(now, 31), "F", {0: "mother", 1: "mother"}, address_line_1="14 Alder Road", town="London", postcode="SE15 4AB")],
            concern_categories=["neglect"],
            concern_narrative="Jayden has come to school hungry most days this half-term and was wearing the same clothes all week. Tyler has missed 9 days since September. Mum said at the gate that the electricity has been cut off.",
            family_informed="yes", consent="given", consent_notes="Mum agreed at the school gate to the referral and to agencies sharing.",
        ),
    )
    consent(made_referral(made[-1]), dt.timedelta(minutes=25), notes="Kerry confirmed on the phone to the hub; Jayden and Tyler too young to decide.")
    # 2. Awaiting triage: anonymous call.
    record(
        dt.timedelta(minutes=15),
        ReferralInput(
            source="9", referrer_anonymous=True, referrer_role="a neighbour",
            children=[_child("Amira", "Hassan", _years_ago(now, 3, 20), "F", address_line_1="Flat 6, Cedar Court", town="London", postcode="SE5 8RS")],
            concern_categories=["physical_abuse", "domestic_abuse"],
            concern_narrative="Caller heard shouting and a child screaming through the wall late last night, third time this month. Did not want to give a name.",
            family_informed="no", consent="not_sought", consent_notes="Anonymous referral; seeking consent could put the child at risk.",
        ),
        recorded_after=dt.timedelta(minutes=5),
    )
    anonymous = made_referral(made[-1])
    consent(anonymous, dt.timedelta(minutes=8), sought="no", reason="risk_to_child", family_informed="no")
    override(anonymous, dt.timedelta(minutes=6), ["uk-gdpr-6-1-e", "dpa-2018-sch1-p18", "ca-1989-s47"],
             "Repeated reports of a child screaming and of domestic abuse; telling the family before agencies check could put Amira at greater risk.",
             authorise=False)
    # 3. Red, gathering: police notification after a domestic incident; some agencies answered.
    red = record(
        dt.timedelta(hours=2, minutes=30),
        ReferralInput(
            source="6", referrer_name="PC 4471 Lewis", referrer_role="Response officer", referrer_organisation="Police",
            referrer_email="pc4471@police.example.gov.uk",
            children=[
                _child("Leah", "Carter", _years_ago(now, 11, 5), "F", nhs_number="9434765919", address_line_1="3 Birch Close", town="London", postcode="SE22 9QF"),
                _child("Mason", "Carter", _years_ago(now, 1, 200), "M", address_line_1="3 Birch Close", town="London", postcode="SE22 9QF"),
            ],
            adults=[
                _adult("Donna", "Carter", _years_ago(now, 29), "F", {0: "mother", 1: "mother"}, address_line_1="3 Birch Close", town="London", postcode="SE22 9QF"),
                _adult("Ryan", "Pike", _years_ago(now, 34), "M", {0: "parent_partner", 1: "father"}),
            ],
            concern_categories=["domestic_abuse", "physical_abuse"],
            concern_narrative="Police called at 01:40 to a report of a disturbance. Donna had a facial injury; Ryan Pike had left. Leah (11) was present and said he 'always gets like this when he drinks'. Mason (18 months) was asleep upstairs. DASH risk assessment: high.",
            family_informed="yes", consent="refused", consent_notes="Donna did not agree to information being shared with other agencies.",
        ),
    )
    consent(red, dt.timedelta(hours=2, minutes=20), outcome="refused", notes="Donna did not agree to information being shared with other agencies.")
    override(red, dt.timedelta(hours=2, minutes=10), ["uk-gdpr-6-1-e", "dpa-2018-sch1-p18", "ca-2004-s11"],
             "High-risk domestic abuse (DASH high) with a baby in the household and a child witness; refusal does not outweigh the risk of significant harm.")
    triage(red, dt.timedelta(hours=2), "red", "High-risk domestic abuse with a baby in the household and a child witness. Consent refused but sharing is necessary to safeguard.")
    _answer(users, red, "police", now - dt.timedelta(hours=1, minutes=10), "held",
            summary="Two previous call-outs to this address in 2025 (verbal only). Ryan Pike: conviction for assault 2019, on licence until March.",
            detail="Incident log attached to crime report. Pike is subject to a non-molestation order application.", systems="Niche, PNC",
            restriction="not_for_family")
    _answer(users, red, "health-community", now - dt.timedelta(minutes=50), "held",
            summary="Mason is behind on immunisations; missed 12-month review. Health visitor noted mum seemed low in mood in July.",
            systems="SystmOne")
    _answer(users, red, "probation", now - dt.timedelta(minutes=35), "held",
            summary="Ryan Pike is supervised on licence; address given to us is different (his mother's).",
            restriction="manager_only", systems="nDelius")
    _answer(users, red, "housing", now - dt.timedelta(minutes=20), "not_known", summary="No record at this address.")
    # 4. Amber, overdue: requests passed their due time; one late answer.
    amber = record(
        dt.timedelta(hours=32),
        ReferralInput(
            source="3E", referrer_name="Dr Nia Owusu", referrer_role="Emergency department registrar",
            referrer_organisation="City Hospital", referrer_phone="020 7946 0456",
            children=[_child("Kai", "Morgan", _years_ago(now, 15, 60), "M", address_line_1="22 Elm Street", town="London", postcode="SE1 7PB")],
            adults=[_adult("Lisa", "Morgan", _years_ago(now, 42), "F", {0: "mother"})],
            concern_categories=["cce", "missing", "substance_misuse"],
            concern_narrative="Kai attended the emergency department with a stab wound to the thigh. Would not say how it happened. Had £600 cash and two phones. Mum says he has been going missing for days at a time.",
            family_informed="yes", consent="given",
        ),
    )
    consent(amber, dt.timedelta(hours=31))
    triage(amber, dt.timedelta(hours=30), "amber", "Possible criminal exploitation; injuries treated; mother engaged.")
    _answer(users, amber, "youth-justice", now - dt.timedelta(hours=20), "held",
            summary="Kai has an open referral order (possession with intent). Worker concerned about older associates.", systems="ChildView")
    _answer(users, amber, "education", now - dt.timedelta(hours=2), "held",
            summary="Attendance 54% this term; excluded for 3 days in October.", systems="SIMS")
    _answer(users, amber, "camhs", now - dt.timedelta(hours=1), "declined", reason="Kai is 15 and has asked that his CAMHS contact is not shared; we are reviewing with our Caldicott guardian.")
    # 5. Urgent: straight to a strategy discussion.
    urgent = record(
        dt.timedelta(minutes=45),
        ReferralInput(
            source="2A", referrer_name="Mr Tom Ellis", referrer_role="Head teacher", referrer_organisation="Riverside Academy",
            referrer_phone="020 7946 0789",
            children=[_child("Sophie", "Green", _years_ago(now, 9, 10), "F", address_line_1="8 Hawthorn Way", town="London", postcode="SE16 2XB")],
            concern_categories=["sexual_abuse"],
            concern_narrative="Sophie disclosed to her teacher this morning that her mother's partner touches her at night. She is frightened to go home.",
            family_informed="no", consent="not_sought", consent_notes="Telling the family could put Sophie at risk and prejudice a police investigation.",
        ),
        recorded_after=dt.timedelta(minutes=5),
    )
    consent(urgent, dt.timedelta(minutes=35), sought="no", reason="prejudice_investigation", family_informed="no",
            notes="Telling the family could put Sophie at risk and prejudice a police investigation.")
    triage(urgent, dt.timedelta(minutes=30), "urgent", "Disclosure of sexual abuse by a household member; child frightened to go home. Strategy discussion now.",
           codes=["csc", "police", "health-acute", "health-community", "gp", "education"])
    _answer(users, urgent, "police", now - dt.timedelta(minutes=10), "held",
            summary="Mother's partner (not named on the referral) known: cautioned 2016 for indecent exposure.", restriction="manager_only", systems="PNC")
    # 6. Green, every agency answered: ready for decision.
    green = record(
        dt.timedelta(hours=40),
        ReferralInput(
            source="3B", referrer_name="Joy Mensah", referrer_role="Health visitor", referrer_organisation="Community health",
            referrer_email="joy.mensah@community.example.nhs.uk",
            children=[_child("Oliver", "Brown", _years_ago(now, 0, 120), "M", address_line_1="41 Poplar Grove", town="London", postcode="SE23 3HN")],
            adults=[_adult("Emma", "Brown", _years_ago(now, 19), "F", {0: "mother"})],
            concern_categories=["parental_mental_health"],
            concern_narrative="Young first-time mum, isolated, low mood since the birth. Home conditions good; baby thriving. Mum asked for help.",
            family_informed="yes", consent="given",
        ),
    )
    consent(green, dt.timedelta(hours=39, minutes=20))
    triage(green, dt.timedelta(hours=39), "green", "Low risk; mother asking for support.", codes=["health-community", "gp", "adult-mh", "early-help"])
    for code, outcome, summary in [
        ("health-community", "held", "Weighing regularly; mum attends clinic. Edinburgh score 14 at 8 weeks."),
        ("gp", "held", "Mum prescribed sertraline last month; reviewed fortnightly."),
        ("adult-mh", "not_known", ""),
        ("early-help", "not_known", ""),
    ]:
        _answer(users, green, code, now - dt.timedelta(hours=20), outcome, summary=summary)
    # 7. Decided yesterday: early help.
    decided = record(
        dt.timedelta(days=2, hours=3),
        ReferralInput(
            source="1A", referrer_name="Margaret Flynn", referrer_role="Grandmother", referrer_phone="07700 900123",
            children=[_child("Ella", "Flynn", _years_ago(now, 13, 30), "F", address_line_1="5 Larch Lane", town="London", postcode="SE4 1LT")],
            adults=[_adult("Paul", "Flynn", _years_ago(now, 45), "M", {0: "father"})],
            concern_categories=["emotional_abuse", "parental_mental_health"],
            concern_narrative="Grandmother worried that Ella is caring for her father, who has depression, and has stopped seeing friends.",
            family_informed="yes", consent="given",
        ),
    )
    consent(decided, dt.timedelta(days=2, minutes=30))
    triage(decided, dt.timedelta(days=2), "green", "Young carer; no immediate risk.", codes=["education", "adult-mh", "early-help", "gp"])
    _answer(users, decided, "education", now - dt.timedelta(days=1, hours=20), "held", summary="Ella's attendance has dropped to 88%; school noticed she seems tired.")
    _answer(users, decided, "adult-mh", now - dt.timedelta(days=1, hours=19), "held", summary="Paul is under the community mental health team; engages well.")
    with clock.frozen(now - dt.timedelta(days=1, hours=18)):
        decision_record(
            user=manager,
            referral=decided,
            data=DecisionInput(
                outcomes={decided.people.get(kind="child").person_id: "early_help"},
                rationale="Ella is a young carer; family support and a young carers' service referral meet the need.",
                threshold_level=2,
                early_decision_reason="Information from school and adult mental health is enough to decide; the rest is not needed.",
                referrer_informed="yes",
                referrer_informed_method="phone",
            ),
        )
    return made


def made_referral(reference: str) -> Referral:
    return Referral.objects.get(reference=reference)


def seed_demo() -> tuple[dict[str, User], list[str]]:
    """Idempotent: agencies and users are refreshed; referrals are seeded only into an empty hub."""
    with transaction.atomic():
        users = ensure_agencies_and_users()
        lawful_bases_ensure_seeded()
        references = []
        if not Referral.objects.exists():
            references = seed_referrals(users)
    return users, references
