"""Made-up years of hub history in the real tables, for the performance measures and phase-two insight
(issue 6, "Scale"): `generate_history(referrals=N, seed=S)`, run by `manage.py generate_history`.

Same seed, same `end` and same `per_year` → the same referrals, people, requests and answers (ids too,
on an empty database). Everything is drawn up front with numpy and plain Python, then written in
batches of `BATCH` referrals, one transaction per batch, as multi-row INSERTs (SQLite) or COPY
(PostgreSQL) — no ORM per row, no audit rows (this is test data for a scratch database, made by a
command, not case data entered by anyone; the command refuses a database that holds referrals unless
told `--append`).

The parameters, and where the rates come from ("DfE CIN" = Department for Education, *Characteristics
of children in need*, England, years ending March 2023 and 2024; "facts" = the project's reference
notes on safeguarding facts (statutory timescales, national rates); "design" = figures chosen to look
like a hub, with no public source):

Volume and time
    * N referrals spread over N / `per_year` years ending at `end` (default: now); 40,000 a year by
      default, so 1,000,000 span 25 years (a large council's decades, or many councils). [design]
    * Day weights: Monday 1.25, Tuesday 1.15, Wednesday 1.10, Thursday 1.05, Friday 1.0, Saturday 0.35,
      Sunday 0.30; bank holidays 0.4; school holidays lower — summer (22 July–3 September) 0.70,
      Christmas (21 December–3 January) 0.55, Easter fortnight (1–14 April) 0.80, half terms (third
      week of February, last week of May and of October) 0.85 — and a November peak (1.10). Referrals
      from schools follow term time in published monthly contact data; the exact factors are [design].
    * Time of day (London): police, A&E and anonymous referrals 40 % at any hour, 60 % in office
      hours; others 90 % in office hours (triangular 08:30–18:00, peak 10:30), 10 % at any hour. [design]
Sources (census ReferralSource codes; DfE CIN 2023-24, rounded): police 29 %, schools 19 % (+ education
    services 1 %), health 15 % (GP 2, health visitor 2, school nurse 0.5, other primary 2, A&E 4,
    other 4.5), local authority 11 % (5A 3.5, 5B 2, 5C 1.5, 5D 4), individuals 8 % (1A 5, 1B 1, 1C 1,
    1D 1), housing 2 %, other legal 3.5 %, other 6 %, anonymous 1.5 %, unknown 4 %.
Children and households: households, names, heritages, twins, dates of birth and postcodes come from
    `openmash.people.generator` (its `_World`), moved in time so each household's ages on its first
    referral are those the people generator gives on its reference date. A new household's referral
    names all its children (up to 4) 55 % of the time, otherwise one (or, 10 %, two); the mother is
    named on 50 % of referrals and a father, where there is one, on 25 %, with Relationship rows
    (mother/father, parental responsibility) the first time an adult and a child are named together.
Repeat referrals (facts §6: 22 % of referrals in 2024 were re-referrals within 12 months, DfE CIN):
    31 % of referrals are of a household referred before — 21 % within 12 months (gap mostly
    exponential, mean 120 days), 2 % around the 12-month boundary (gaps of 364–367 days), 8 % later
    (1–3 years); the children named again are the same Person rows (those still under 18). Referrals
    on 28 February and 1 March after a leap year are often (40 %) of a household referred on the
    29 February before, and referrals on 29 February of one referred on 28 February / 1 March a year
    earlier, so the 12-month rule is exercised across leap days. [the 22 % is DfE; the split, design]
Ratings: urgent 3 %, red 15 %, amber 40 %, green 42 % overall, higher for the exploitation,
    trafficking, FGM and sexual-abuse concerns [design; Southwark's RAG, facts §1.3]. 6 % are
    re-rated (70 % up a level, 30 % down), before the decision; unanswered requests then move to the
    new clock, as `referral_triage` does.
Concerns (per referral, several allowed): neglect 30 %, domestic abuse 28 %, emotional abuse 18 %,
    physical abuse 15 %, parental mental health 14 %, substance misuse 11 %, sexual abuse 5 %, other
    4 %, radicalisation 0.3 %; the phase-two cohorts: CSE ~3 % and CCE ~3 % (mostly 11 and over; CSE
    more often girls, CCE boys), trafficking ~0.5 % (12 and over), private fostering ~0.3 %, FGM
    ~0.2 % (girls only), missing ~5 % — 45 % of CSE/CCE referrals, 2.4 % of the rest. [CIN assessment
    factor shares, DfE CIN 2023-24, scaled to referrals; design]
Timings (lognormal unless said): recording 25 min after receipt (median); triage 3 h after receipt
    (30 min for urgent); each request is due on the clock policy in force for the rating (default
    urgent 1 h, red 4 h, amber 24 h, green 48 h, calendar: `referrals.deadlines.DEFAULT_POLICY`), the
    decision on the hub's decision clock (default one working day) exactly as `_decision_due` does.
    Agency response time = clock × the agency's median factor × lognormal(σ 0.9): CSC, police,
    early help and education answer well within time; GP (1.3), adult mental health (1.4), substance
    misuse (1.2) and CAMHS (1.1) are chronically late. "Not known" ~42 % overall, declined ~1.8 %,
    per agency (education knows nearly every child; youth justice few). [design]
    Decision: median 2 h (urgent), 5 h (red), 12 h (amber), 20 h (green) after triage, capped at
    10 days; half the decisions wait for the last answer; the others are made once half the agencies
    have answered, with a reason, and the requests still open close as "not needed".
Outcomes per child, by final rating (overall ≈ strategy discussion 8 %, assessment 23 %, early help
    26 %, universal 10 %, NFA 31 %, already open 1.5 %, other LA 0.5 %; DfE CIN NFA share ≈ 30 %, NFER
    Devon: 24 % to early help, facts §1.2); siblings share the first child's outcome 80 % of the time.
Hub teams (docs/adr/0017): the three demo teams (`core.demo.TEAMS`, made if missing). Referrals first
    rated in the first fifth of the span have no team (the hub had none then); later ones are given
    one when rated — A 40 %, B 35 %, C 25 % — from a random stream of their own, so adding teams left
    every other draw as it was. Referrals still awaiting triage have none. [design]
Still open at `end`: whatever had not happened by then (recent referrals awaiting triage, gathering
    with open requests, answered but undecided); everything older is decided.
"""

import datetime as dt
import functools
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from openmash.accounts.models import Team, User
from openmash.accounts.roles import Role
from openmash.agencies.models import Agency
from openmash.core import clock
from openmash.core.demo import demo_agencies, demo_teams
from openmash.core.formatting import age_on
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.people.generator import HERITAGES, REFERENCE_DATE, GeneratedRecord, _World
from openmash.people.identifiers import normalise_name
from openmash.people.models import Address, Person, PersonName, Relationship
from openmash.referrals import deadlines
from openmash.referrals.codes import ConcernCategory as CC
from openmash.referrals.models import (
    ChildOutcome,
    Decision,
    RatingChange,
    ReferenceCounter,
    Referral,
    ReferralConcern,
    ReferralPerson,
)

BATCH = 10_000  # referrals per transaction; fixed, because the per-batch random streams depend on it
DAY = 86_400
YEAR = 365.2425 * DAY
USERNAME_PREFIX = "history-"

# ------------------------------------------------------------------ parameters (see the docstring)

SOURCES = {
    "6": 0.29, "2A": 0.19, "2B": 0.01,
    "3A": 0.02, "3B": 0.02, "3C": 0.005, "3D": 0.02, "3E": 0.04, "3F": 0.045,
    "5A": 0.035, "5B": 0.02, "5C": 0.015, "5D": 0.04,
    "1A": 0.05, "1B": 0.01, "1C": 0.01, "1D": 0.01,
    "4": 0.02, "7": 0.035, "8": 0.06, "9": 0.015, "10": 0.04,
}
ANY_HOUR_SOURCES = {"6", "3E", "9"}

RATINGS = ("urgent", "red", "amber", "green")
RATING_P_PLAIN = (0.0177, 0.123, 0.40, 0.4593)
RATING_P_SERIOUS = (0.12, 0.35, 0.40, 0.13)  # CSE, CCE, trafficking, FGM or sexual abuse
SERIOUS = {CC.CSE, CC.CCE, CC.TRAFFICKING, CC.FGM, CC.SEXUAL_ABUSE}
RERATE_RATE = 0.06
TEAM_P = (0.40, 0.35, 0.25)  # the demo teams, in code order
TEAMS_FROM = 0.2  # referrals rated in this first share of the span have no team

CONCERNS_PLAIN = {  # independent per referral
    CC.NEGLECT: 0.30, CC.DOMESTIC_ABUSE: 0.28, CC.EMOTIONAL_ABUSE: 0.18, CC.PHYSICAL_ABUSE: 0.15,
    CC.PARENTAL_MENTAL_HEALTH: 0.14, CC.SUBSTANCE_MISUSE: 0.11, CC.SEXUAL_ABUSE: 0.05, CC.OTHER: 0.04,
    CC.RADICALISATION: 0.003,
}
CONCERN_ORDER = [c.value for c in CC]

OUTCOMES = ("strategy_discussion", "assessment", "early_help", "universal", "nfa", "already_open", "other_la")
OUTCOME_P = {  # by final rating
    "urgent": (0.85, 0.12, 0.0, 0.0, 0.0, 0.03, 0.0),
    "red": (0.30, 0.45, 0.10, 0.0, 0.10, 0.04, 0.01),
    "amber": (0.03, 0.30, 0.30, 0.08, 0.27, 0.015, 0.005),
    "green": (0.005, 0.09, 0.30, 0.15, 0.44, 0.01, 0.005),
}
THRESHOLD = {"strategy_discussion": 4, "assessment": 3, "already_open": 3, "early_help": 2, "other_la": 2, "universal": 1, "nfa": 1}

# agency code → (not known rate, declined rate, response factor × clock, σ, systems checked)
AGENCY_PROFILES = {
    "csc": (0.30, 0.00, 0.35, 0.8, "Mosaic"),
    "police": (0.20, 0.01, 0.45, 0.9, "Niche, PNC"),
    "health-acute": (0.40, 0.03, 0.70, 0.9, "Cerner, CP-IS"),
    "health-community": (0.25, 0.01, 0.55, 0.9, "SystmOne"),
    "gp": (0.15, 0.04, 1.30, 1.0, "EMIS Web"),
    "camhs": (0.55, 0.04, 1.10, 1.0, "RiO"),
    "adult-mh": (0.60, 0.03, 1.40, 1.0, "RiO"),
    "education": (0.05, 0.01, 0.50, 0.8, "SIMS, CPOMS"),
    "early-help": (0.45, 0.00, 0.40, 0.8, "Early Help Module"),
    "housing": (0.45, 0.01, 0.80, 0.9, "Northgate"),
    "youth-justice": (0.60, 0.01, 0.50, 0.8, "ChildView"),
    "probation": (0.60, 0.02, 0.90, 0.9, "nDelius"),
    "adult-social-care": (0.50, 0.01, 1.00, 0.9, "Mosaic (adults)"),
    "substance-misuse": (0.60, 0.03, 1.20, 1.0, "Theseus"),
    "domestic-abuse": (0.55, 0.01, 0.70, 0.9, "Modus"),
    "childrens-centres": (0.50, 0.00, 0.60, 0.9, "eStart"),
}
DEFAULT_PROFILE = (0.45, 0.02, 0.80, 0.9, "Case management system")

HELD_SUMMARIES = (
    "Known to us: previous contact recorded; details in our system.",
    "Open to our service; allocated worker named in the detail.",
    "Historic involvement, closed more than a year ago.",
    "Recent contact about the same concern; no action taken at the time.",
    "Family known; attendance and engagement have been poor.",
    "Adult in the household known to us; risk information held.",
)
DECLINE_REASONS = (
    "The young person has asked that their contact with us is not shared; reviewing with our Caldicott guardian.",
    "Information relates to a third party and is not relevant to the concern.",
    "Sharing would prejudice an ongoing investigation.",
)
NARRATIVES = {
    "neglect": "Child often hungry and unkempt; home conditions reported as poor.",
    "physical_abuse": "Unexplained bruising seen; explanation given does not fit the injury.",
    "sexual_abuse": "Child made a disclosure of a sexual nature to a professional.",
    "emotional_abuse": "Child described being shouted at and belittled at home.",
    "domestic_abuse": "Police attended a domestic incident at the home; children present.",
    "cse": "Concerns about older adults giving the young person gifts, lifts and phones.",
    "cce": "Young person found with cash and phones far from home; possible county lines.",
    "trafficking": "Young person arrived recently with an adult who is not a relative; documents held by others.",
    "fgm": "Family said to be planning a long trip abroad; a sister was cut before coming to the UK.",
    "private_fostering": "Child living with a family friend for more than 28 days; parents abroad.",
    "missing": "Young person reported missing overnight several times this month.",
    "radicalisation": "Concerns about extremist material shared online by the young person.",
    "parental_mental_health": "Parent's mental health has deteriorated; struggling to care for the children.",
    "substance_misuse": "Parent misusing drugs and alcohol; children's needs not met.",
    "other": "Professional worried about the family's circumstances; asks for advice.",
}
RATING_RATIONALES = {
    "urgent": "Immediate risk of significant harm: strategy discussion now.",
    "red": "High risk: agencies to share within the red clock.",
    "amber": "Medium risk: needs a fuller picture within the amber clock.",
    "green": "Lower risk: agencies to share within the green clock.",
}
DECISION_RATIONALES = {
    "strategy_discussion": "Reasonable cause to suspect significant harm: strategy discussion convened.",
    "assessment": "Child in need: child and family assessment by the assessment team.",
    "early_help": "Needs can be met by early help with the family's agreement.",
    "universal": "Needs met by universal services; family signposted.",
    "nfa": "No safeguarding concern on the information gathered; no further action.",
    "already_open": "Already open to children's social care: passed to the allocated worker.",
    "other_la": "Family lives in another authority: transferred to its front door.",
}
REFERRERS = {  # source → (role, organisation, email domain)
    "6": ("Police officer", "Police", "police.example.gov.uk"),
    "2A": ("Designated safeguarding lead", "Primary school", "school.example.sch.uk"),
    "2B": ("Education welfare officer", "Education services", "council.example.gov.uk"),
    "3A": ("GP", "GP practice", "gp.example.nhs.uk"),
    "3B": ("Health visitor", "Community health", "community.example.nhs.uk"),
    "3C": ("School nurse", "Community health", "community.example.nhs.uk"),
    "3D": ("Midwife", "Maternity services", "hospital.example.nhs.uk"),
    "3E": ("Emergency department nurse", "City Hospital", "hospital.example.nhs.uk"),
    "3F": ("Safeguarding nurse", "Health provider", "health.example.nhs.uk"),
    "4": ("Housing officer", "Housing", "council.example.gov.uk"),
    "5A": ("Adult social worker", "Adult social care", "council.example.gov.uk"),
    "5B": ("Youth justice officer", "Youth justice", "council.example.gov.uk"),
    "5C": ("Social worker", "Neighbouring council", "other-council.example.gov.uk"),
    "5D": ("Early help worker", "Early help", "council.example.gov.uk"),
    "7": ("Probation officer", "Probation", "justice.example.gov.uk"),
    "8": ("Project worker", "Voluntary organisation", "charity.example.org.uk"),
    "1A": ("Relative", "", ""),
    "1B": ("Neighbour", "", ""),
    "1C": ("Young person", "", ""),
    "1D": ("Member of the public", "", ""),
    "10": ("Not recorded", "", ""),
}


@dataclass
class HistoryResult:
    referrals: int = 0
    people: int = 0
    requests: int = 0
    answers: int = 0
    rows: int = 0
    keys: int = 0
    first_referral_id: int = 0
    first_person_id: int = 0
    timings: dict = field(default_factory=dict)


# ------------------------------------------------------------------ the hub's fixed rows


def ensure_agencies() -> list[Agency]:
    """The active agencies asked on every referral; the demo agencies (same codes) are added when
    fewer than 16 are active, so a scratch database gets the usual 16."""
    if Agency.objects.filter(active=True).count() < 16:
        codes = set(Agency.objects.values_list("code", flat=True))
        names = set(Agency.objects.values_list("name", flat=True))
        for fields in demo_agencies():
            if fields["code"] not in codes and fields["name"] not in names:
                Agency.objects.create(**fields)
    return list(Agency.objects.filter(active=True).order_by("sort_order", "id"))


def ensure_teams() -> list[Team]:
    """The demo teams (by code; made active if missing), in code order."""
    wanted = demo_teams()
    for fields in wanted:
        Team.objects.get_or_create(code=fields["code"], defaults=fields)
    by_code = {t.code: t for t in Team.objects.filter(code__in=[f["code"] for f in wanted])}
    return [by_code[f["code"]] for f in wanted]


def ensure_users(agencies: Sequence[Agency]) -> dict[str, User]:
    """A manager, a practitioner and a representative per agency for the foreign keys: inactive,
    with unusable passwords, so nobody can sign in as them."""
    wanted = [("manager", Role.MANAGER, None), ("practitioner", Role.PRACTITIONER, None)]
    wanted += [(a.code, Role.AGENCY_REP, a) for a in agencies]
    users = {}
    for key, role, agency in wanted:
        username = f"{USERNAME_PREFIX}{key}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, agency=agency, is_active=False,
                        first_name="Generated", last_name=key.replace("-", " ").title(),
                        email=f"{username}@history.openmash.invalid")
            user.set_unusable_password()
            user.save()
        users[key] = user
    return users


# ------------------------------------------------------------------ time


def _day_weights(days: np.ndarray, dates: list[dt.date]) -> np.ndarray:
    weekday = np.array([1.25, 1.15, 1.10, 1.05, 1.0, 0.35, 0.30])[[d.weekday() for d in dates]]
    factor = np.ones(len(dates))
    for i, d in enumerate(dates):
        md = (d.month, d.day)
        if (7, 22) <= md <= (9, 3):
            factor[i] = 0.70
        elif md >= (12, 21) or md <= (1, 3):
            factor[i] = 0.55
        elif (4, 1) <= md <= (4, 14):
            factor[i] = 0.80
        elif (d.month == 2 and 15 <= d.day <= 21) or (d.month in (5, 10) and d.day >= 25):
            factor[i] = 0.85
        elif d.month == 11:
            factor[i] = 1.10
        if deadlines.is_bank_holiday(d):
            factor[i] *= 0.4
    return weekday * factor


def _times(rng: np.random.Generator, n: int, start: dt.date, as_of: dt.datetime, sources: np.ndarray) -> np.ndarray:
    """Receipt times (UTC epoch seconds, sorted) for `n` referrals from `start` to `as_of`."""
    last = clock.to_local(as_of).date()
    dates = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
    weights = _day_weights(np.arange(len(dates)), dates)
    day = rng.choice(len(dates), size=n, p=weights / weights.sum())
    any_hour = np.isin(sources, list(ANY_HOUR_SOURCES))
    anytime = rng.random(n) < np.where(any_hour, 0.40, 0.10)
    office = rng.triangular(8.5 * 3600, 10.5 * 3600, 18 * 3600, n)
    seconds = np.where(anytime, rng.uniform(0, DAY, n), office).astype(np.int64)
    # local midnight and the UTC offset at noon, per day (a 01:30 on the spring-forward night lands
    # an hour early: still a real instant on the same London date)
    midnight = np.array([int(dt.datetime.combine(d, dt.time(), tzinfo=dt.timezone.utc).timestamp()) for d in dates], dtype=np.int64)
    offset = np.array([int(dt.datetime.combine(d, dt.time(12), tzinfo=deadlines.LONDON).utcoffset().total_seconds()) for d in dates], dtype=np.int64)
    t = midnight[day] + seconds - offset[day]
    limit = int(as_of.timestamp())
    for _ in range(20):  # a time later than now today is drawn again (day and hour)
        late = np.flatnonzero(t > limit - 60)
        if not len(late):
            break
        d = rng.choice(len(dates), size=len(late), p=weights / weights.sum())
        t[late] = midnight[d] + rng.integers(0, DAY, len(late)) - offset[d]
    t = np.minimum(t, limit - 60)
    return t


def _local_date(epoch: int) -> dt.date:
    return dt.datetime.fromtimestamp(epoch, deadlines.LONDON).date()


# ------------------------------------------------------------------ who is referred


class _Household:
    __slots__ = ("members", "pids", "children", "mother", "father", "last_named", "related")

    def __init__(self, members: list[GeneratedRecord]):
        self.members = members
        self.pids: list[int | None] = [None] * len(members)
        self.children = [i for i, m in enumerate(members) if m.role == "child"]
        adults = [i for i, m in enumerate(members) if m.role == "adult"]
        self.mother = next((i for i in adults if members[i].record.sex == "F"), None)
        self.father = next((i for i in adults if members[i].record.sex == "M"), None)
        self.last_named: list[int] = []
        self.related: set[tuple[int, int]] = set()


@dataclass
class _Plan:
    children: list = field(default_factory=list)  # per referral: [person id]
    adults: list = field(default_factory=list)  # per referral: [person id]
    relationships: list = field(default_factory=list)  # per referral: [(adult id, child id, kind)]
    people: list = field(default_factory=list)  # (record, first referral index), index = id - first id
    oldest: list = field(default_factory=list)
    girls: list = field(default_factory=list)
    boys: list = field(default_factory=list)
    repeat_of: list = field(default_factory=list)  # previous referral index of the household or -1


def _shift(record, days: int):
    from dataclasses import replace

    dob = record.date_of_birth
    return replace(record, date_of_birth=dob + dt.timedelta(days=days)) if dob else record


def _plan_people(rng: random.Random, nrng: np.random.Generator, times: np.ndarray, first_pid: int) -> _Plan:
    """Walk the referrals in time order: each is of a new household or, as the docstring says, of a
    household referred before (found by the gap back in time); name its children and adults; give
    each person an id the first time they are named."""
    n = len(times)
    world = _World(rng, max(1_000, 2 * n), 0.04)
    plan = _Plan()
    households: list[_Household | None] = []
    last_seen: list[int] = []  # per household: the time of its latest referral
    ref_household = np.full(n, -1, dtype=np.int64)
    reach = int(1101 * DAY)  # no repeat looks further back than this (the longest gap, 1,100 days)
    swept = 0
    dates = [_local_date(int(t)) for t in times]
    by_date: dict[dt.date, list[int]] = {}
    # draws made up front (numpy): kind of repeat and the gap back
    kind = nrng.random(n)
    gap = np.where(kind < 0.21, np.clip(nrng.exponential(120, n), 3, 364),
                   np.where(kind < 0.23, nrng.integers(364, 368, n) + nrng.random(n) * 0.5,
                            nrng.uniform(367, 1100, n))) * DAY
    repeat = kind < 0.31
    leap = nrng.random(n) < 0.4
    number = 0

    def new_household(t_date: dt.date) -> int:
        nonlocal number
        while True:
            number += 1
            people, _ = world.household(number)
            if any(p.role == "child" for p in people):
                break
        days = (t_date - REFERENCE_DATE).days
        for p in people:
            p.record = _shift(p.record, days)
        households.append(_Household(people))
        last_seen.append(0)
        return len(households) - 1

    def eligible(h: _Household, on: dt.date) -> list[int]:
        return [i for i in h.children if (dob := h.members[i].record.date_of_birth) is None
                or (dob <= on and age_on(dob, on) < 18)]

    for i in range(n):
        t, on = int(times[i]), dates[i]
        if i % 20_000 == 0:
            # Forget households nobody can be referred from again (their last referral is further
            # back than any gap), so memory follows the households in reach, not all of them.
            for k in range(swept, len(households)):
                if households[k] is not None and last_seen[k] < t - reach:
                    households[k] = None
            while swept < len(households) and households[swept] is None:
                swept += 1
        by_date.setdefault(on, []).append(i)
        hh, previous, named = -1, -1, []
        j = -1
        if on.month == 2 and on.day == 29 and leap[i]:
            options = [k for d in (dt.date(on.year - 1, 2, 28), dt.date(on.year - 1, 3, 1)) for k in by_date.get(d, ())]
            j = rng.choice(options) if options else -1
        elif (on.month, on.day) in ((2, 28), (3, 1)) and leap[i]:
            try:
                options = by_date.get(dt.date(on.year - 1, 2, 29), [])
            except ValueError:
                options = []
            j = rng.choice(options) if options else -1
        if j < 0 and repeat[i]:
            j = int(np.searchsorted(times, t - gap[i])) if t - gap[i] >= times[0] else -1
            j = j if 0 <= j < i else -1
        if j >= 0:
            h = households[ref_household[j]]
            can = eligible(h, on) if h is not None else []
            if can:
                hh, previous = int(ref_household[j]), j
                again = [c for c in h.last_named if c in can]
                if again and rng.random() < 0.75:
                    named = again
                else:
                    named = can if rng.random() < 0.55 else rng.sample(can, min(len(can), 2 if rng.random() < 0.1 else 1))
        if hh < 0:
            hh = new_household(on)
            h = households[hh]
            can = h.children
            named = can if rng.random() < 0.55 else rng.sample(can, min(len(can), 2 if rng.random() < 0.1 else 1))
        h = households[hh]
        last_seen[hh] = t
        if len(named) > 4:
            named = rng.sample(named, 4)
        named = sorted(named)
        h.last_named = named
        ref_household[i] = hh
        plan.repeat_of.append(previous)

        def pid(m: int) -> int:
            if h.pids[m] is None:
                h.pids[m] = first_pid + len(plan.people)
                plan.people.append((h.members[m], i))
            return h.pids[m]

        children = [pid(m) for m in named]
        adults, rels = [], []
        for m, p, kind_ in ((h.mother, 0.5, "mother"), (h.father, 0.25, "father")):
            if m is not None and rng.random() < p:
                adults.append(pid(m))
                for c in named:
                    if (m, c) not in h.related:
                        h.related.add((m, c))
                        rels.append((h.pids[m], h.pids[c], kind_))
        plan.children.append(children)
        plan.adults.append(adults)
        plan.relationships.append(rels)
        ages = [age_on(h.members[m].record.date_of_birth, on) or 0 for m in named]
        plan.oldest.append(max(ages))
        plan.girls.append(any(h.members[m].record.sex == "F" for m in named))
        plan.boys.append(any(h.members[m].record.sex == "M" for m in named))
    return plan


# ------------------------------------------------------------------ concerns and ratings


def _concerns(rng: np.random.Generator, oldest: np.ndarray, girls: np.ndarray, boys: np.ndarray) -> np.ndarray:
    n = len(oldest)
    c = np.zeros((n, len(CONCERN_ORDER)), dtype=bool)
    col = {name: k for k, name in enumerate(CONCERN_ORDER)}
    teen = oldest >= 11
    for name, p in CONCERNS_PLAIN.items():
        c[:, col[name]] = rng.random(n) < p
    c[:, col[CC.CSE]] = rng.random(n) < np.where(teen, 0.043 * np.where(girls, 1.3, 0.5), 0.003)
    c[:, col[CC.CCE]] = rng.random(n) < np.where(teen, 0.043 * np.where(boys, 1.4, 0.4), 0.002)
    c[:, col[CC.TRAFFICKING]] = rng.random(n) < np.where(oldest >= 12, 0.007, 0.0005)
    c[:, col[CC.PRIVATE_FOSTERING]] = rng.random(n) < 0.003
    c[:, col[CC.FGM]] = girls & (rng.random(n) < 0.0035)
    exploited = c[:, col[CC.CSE]] | c[:, col[CC.CCE]]
    c[:, col[CC.MISSING]] = rng.random(n) < np.where(exploited, 0.45, 0.024)
    none = ~c.any(axis=1)
    c[none, col[CC.NEGLECT]] = rng.random(int(none.sum())) < 0.6
    still = ~c.any(axis=1)
    c[still, col[CC.OTHER]] = True
    return c


def _choose(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """Row-wise categorical draws: probabilities (n, k) → index per row."""
    cum = np.cumsum(probabilities, axis=1)
    cum /= cum[:, -1:]
    return (rng.random((len(probabilities), 1)) > cum).sum(axis=1).clip(0, probabilities.shape[1] - 1)


def _lognormal(rng: np.random.Generator, median, sigma, n) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(n))


# ------------------------------------------------------------------ writing


class _Sink:
    """Rows straight into the tables: executemany on SQLite, COPY on PostgreSQL; values already in
    the form the database stores (times as UTC text), columns named by attname, the rest defaulted."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def times(self, epoch: np.ndarray) -> list:
        """UTC epoch seconds (−1 for none) → the text Django stores ('YYYY-MM-DD HH:MM:SS')."""
        epoch = np.asarray(epoch, dtype=np.int64)
        text = np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s").tolist()
        suffix = "+00:00" if self.postgres else ""
        out = [f"{s[:10]} {s[11:]}{suffix}" for s in text]
        if (epoch < 0).any():
            for k in np.flatnonzero(epoch < 0).tolist():
                out[k] = None
        return out

    def write(self, model, columns: dict[str, Sequence], count: int):
        if not count:
            return
        fields = model._meta.concrete_fields
        seqs = []
        for f in fields:
            if f.attname in columns:
                seqs.append(columns[f.attname])
            else:
                default = f.get_default()
                if isinstance(f, (models.DateTimeField, models.DateField)) and default is not None:
                    raise ValueError(f"give {model.__name__}.{f.attname}")
                seqs.append(itertools.repeat(default, count))
        rows = list(zip(*seqs))
        q = connection.ops.quote_name
        table = q(model._meta.db_table)
        names = ", ".join(q(f.column) for f in fields)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})", rows)
        self.rows += len(rows)


def _next_id(model) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _pick(rng: np.random.Generator, options: Sequence, n: int, p=None) -> list:
    idx = rng.choice(len(options), size=n, p=p)
    return [options[k] for k in idx.tolist()]


# ------------------------------------------------------------------ the whole run


def generate_history(*, referrals: int, seed: int, end: dt.date | None = None, per_year: int = 40_000,
                     keys: bool = True, progress: Callable[[int, int], None] | None = None,
                     key_progress: Callable[[int, int], None] | None = None) -> HistoryResult:
    """Write `referrals` referrals of made-up history ending at `end` (London date; default today, up
    to now), with their people, requests, answers, decisions; returns counts and timings.

    1. Fixed rows: the 16 agencies, generated users, the clock policy and decision clock in force.
    2. Plan (numpy + Python): receipt times, sources, who is referred (households, repeats),
       concerns, ratings.
    3. Per batch of `BATCH` referrals, in one transaction: people (with addresses, other names),
       referrals, people on them, relationships, concerns, rating changes, requests, answers,
       decisions and outcomes, every id allocated here after the table's highest.
    4. Reference counters bumped past the numbers used; id sequences reset (PostgreSQL); person
       search keys written for the new people (`rebuild_all_keys`); statistics refreshed; the
       reports' cached month blocks dropped (they are rebuilt from the tables on the next read)."""
    import time

    from openmash.people.keystore import rebuild_all_keys
    from openmash.referrals.selectors import decision_clock
    from openmash.referrals.services import clock_policy_for

    if referrals < 1:
        raise ValueError("referrals must be at least 1")
    started = time.monotonic()
    result = HistoryResult()
    now = clock.now()
    today = clock.local_today()
    end = end or today
    as_of = now if end >= today else dt.datetime.combine(end, dt.time(23, 59), tzinfo=deadlines.LONDON).astimezone(dt.timezone.utc)
    span_days = max(1, int(round(referrals / per_year * 365.2425)))
    start = clock.to_local(as_of).date() - dt.timedelta(days=span_days - 1)

    with transaction.atomic():
        agencies = ensure_agencies()
        users = ensure_users(agencies)
        teams = ensure_teams()
    policy = {r: clock_policy_for(rating=r) for r in RATINGS}
    decision_minutes, decision_basis = decision_clock()
    nrng = np.random.default_rng([seed, 1])
    prng = random.Random(seed)

    # 2. plan
    source_codes = list(SOURCES)
    source_p = np.array(list(SOURCES.values()))
    sources = nrng.choice(len(source_codes), size=referrals, p=source_p / source_p.sum())
    src = np.array(source_codes, dtype=object)[sources]
    times = _times(nrng, referrals, start, as_of, src)
    order = np.argsort(times, kind="stable")
    times, src = times[order], src[order]
    first_pid = _next_id(Person)
    plan = _plan_people(prng, nrng, times, first_pid)
    result.timings["plan_people"] = time.monotonic() - started
    concerns = _concerns(nrng, np.array(plan.oldest), np.array(plan.girls), np.array(plan.boys))
    serious = concerns[:, [CONCERN_ORDER.index(c) for c in SERIOUS]].any(axis=1)
    rating_p = np.where(serious[:, None], RATING_P_SERIOUS, RATING_P_PLAIN)
    rating1 = _choose(nrng, rating_p)
    limit = int(as_of.timestamp())
    # recorded after receipt, but never after now (a referral received a minute ago is typed in now)
    created = np.minimum(times + np.minimum(_lognormal(nrng, 25 * 60, 1.0, referrals), 3 * DAY).astype(np.int64), limit)
    triage = np.where(rating1 == 0, _lognormal(nrng, 30 * 60, 0.7, referrals), _lognormal(nrng, 3 * 3600, 1.0, referrals))
    rated1 = np.maximum(times + np.minimum(triage, 5 * DAY).astype(np.int64), created + 120)
    decide_median = np.array([2, 5, 12, 20])[rating1] * 3600
    decide_draw = rated1 + np.minimum(_lognormal(nrng, 1.0, 0.8, referrals) * decide_median, 10 * DAY).astype(np.int64)
    waits = nrng.random(referrals) < 0.5
    rerate = (rating1 > 0) & (nrng.random(referrals) < RERATE_RATE)
    up = nrng.random(referrals) < 0.7
    rating2 = np.where(up, rating1 - 1, np.minimum(rating1 + 1, 3))
    rerate &= rating2 != rating1
    rerated = rated1 + np.maximum(_lognormal(nrng, 6 * 3600, 0.8, referrals).astype(np.int64), 300)

    # decision due: the service's own arithmetic (per referral only for a working-hours clock)
    if decision_basis == "calendar":
        decision_due = times + decision_minutes * 60
    else:
        decision_due = np.fromiter(
            (int(deadlines.due_at(dt.datetime.fromtimestamp(int(t), dt.timezone.utc), minutes=decision_minutes,
                                  basis=decision_basis).timestamp()) for t in times), dtype=np.int64, count=referrals)

    def due(rating_idx: np.ndarray, start_at: np.ndarray) -> np.ndarray:
        out = np.empty(len(start_at), dtype=np.int64)
        for k, r in enumerate(RATINGS):
            sel = rating_idx == k
            minutes, basis = policy[r]
            if basis == "calendar":
                out[sel] = start_at[sel] + minutes * 60
            else:
                out[sel] = [int(deadlines.due_at(dt.datetime.fromtimestamp(int(s), dt.timezone.utc), minutes=minutes,
                                                 basis=basis).timestamp()) for s in start_at[sel]]
        return out

    clock_minutes = np.array([policy[r][0] for r in RATINGS])
    result.timings["plan"] = time.monotonic() - started

    # 3. write
    sink = _Sink()
    ids = {m: _next_id(m) for m in (Referral, ReferralPerson, ReferralConcern, RatingChange, InformationRequest,
                                      InformationAnswer, Decision, ChildOutcome, Address, PersonName, Relationship)}
    first_referral = ids[Referral]
    result.first_referral_id, result.first_person_id = first_referral, first_pid
    counters = dict(ReferenceCounter.objects.values_list("year", "last"))
    used: dict[int, int] = {}
    agency_ids = np.array([a.pk for a in agencies], dtype=np.int64)
    rep_ids = np.array([users[a.code].pk for a in agencies], dtype=np.int64)
    profiles = [AGENCY_PROFILES.get(a.code, DEFAULT_PROFILE) for a in agencies]
    not_known_p = np.array([p[0] for p in profiles])
    declined_p = np.array([p[1] for p in profiles])
    factor = np.array([p[2] for p in profiles])
    sigma = np.array([p[3] for p in profiles])
    systems = [p[4] for p in profiles]
    A = len(agencies)
    manager, practitioner = users["manager"].pk, users["practitioner"].pk
    team_ids = np.array([t.pk for t in teams], dtype=np.int64)
    teams_from = int(times[0] + (limit - times[0]) * TEAMS_FROM) if referrals else limit
    british = HERITAGES["british"]
    prefix = settings.OPENMASH_REFERENCE_PREFIX
    norm = functools.lru_cache(maxsize=200_000)(normalise_name)  # names repeat a great deal
    sqlite_load = connection.vendor == "sqlite" and not connection.in_atomic_block
    postgres_load = False
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # PostgreSQL checks each foreign key of each row at commit (Django makes them deferrable):
        # most of the load's time. As on SQLite, every id comes from the tables themselves, so a
        # superuser's session skips the checks; anyone else just loads more slowly.
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            postgres_load = True
        except Exception:  # noqa: BLE001 - not a superuser: keep the checks
            pass
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1048576")  # 1 GB: the indexes of millions of rows
            if sqlite_load:
                # every id is allocated here from the tables themselves; a crash leaves a scratch
                # database to throw away, so neither the per-row foreign-key check nor fsync earns its cost
                cursor.execute("PRAGMA foreign_keys = OFF")
                cursor.execute("PRAGMA synchronous = OFF")
    try:
        for b, s in enumerate(range(0, referrals, BATCH)):
            e = min(s + BATCH, referrals)
            with transaction.atomic():
                _write_batch(
                    sink=sink, rng=np.random.default_rng([seed, 2, b]), team_rng=np.random.default_rng([seed, 3, b]),
                    team_ids=team_ids, teams_from=teams_from, s=s, e=e, plan=plan, first_pid=first_pid,
                    times=times, src=src, created=created, rated1=rated1, rating1=rating1, rerate=rerate,
                    rating2=rating2, rerated=rerated, decide_draw=decide_draw, waits=waits, decision_due=decision_due,
                    concerns=concerns, due=due, clock_minutes=clock_minutes, limit=limit, ids=ids,
                    first_referral=first_referral, counters=counters, used=used, prefix=prefix,
                    agency_ids=agency_ids, rep_ids=rep_ids, not_known_p=not_known_p, declined_p=declined_p,
                    factor=factor, sigma=sigma, systems=systems, A=A, manager=manager, practitioner=practitioner,
                    british=british, norm=norm, result=result,
                )
            if progress:
                progress(e, referrals)
    finally:
        if sqlite_load:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute("PRAGMA synchronous = NORMAL")
        if postgres_load:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    result.referrals, result.people, result.rows = referrals, len(plan.people), sink.rows
    result.timings["write"] = time.monotonic() - started

    # 4. after
    with transaction.atomic():
        for year, last in used.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last": max(last, counters.get(year, 0))})
        statements = connection.ops.sequence_reset_sql(no_style(), [
            Person, Address, PersonName, Relationship, Referral, ReferralPerson, ReferralConcern, RatingChange,
            InformationRequest, InformationAnswer, Decision, ChildOutcome])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    if keys and plan.people:
        result.keys = rebuild_all_keys(progress=key_progress, first_id=first_pid)
    result.timings["keys"] = time.monotonic() - started
    from openmash.reports.models import FactBlock

    FactBlock.objects.all().delete()
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for model in (Person, Address, PersonName, Relationship, Referral, ReferralPerson, ReferralConcern, RatingChange,
                          InformationRequest, InformationAnswer, Decision, ChildOutcome):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    result.timings["total"] = time.monotonic() - started
    return result


def _write_batch(*, sink: _Sink, rng: np.random.Generator, team_rng: np.random.Generator, team_ids: np.ndarray,
                 teams_from: int, s: int, e: int, plan: _Plan, first_pid: int, times, src,
                 created, rated1, rating1, rerate, rating2, rerated, decide_draw, waits, decision_due, concerns, due,
                 clock_minutes, limit, ids, first_referral, counters, used, prefix, agency_ids, rep_ids, not_known_p,
                 declined_p, factor, sigma, systems, A, manager, practitioner, british, norm, result):
    n = e - s
    sl = slice(s, e)
    t, cr, r1t, r1 = times[sl], created[sl], rated1[sl], rating1[sl]

    # people first named in this batch
    lo = _first_person_index(plan, s)
    hi = _first_person_index(plan, e)
    people = plan.people[lo:hi]
    if people:
        pc = np.array([created[ref] for _, ref in people], dtype=np.int64)
        pct = sink.times(pc)
        pids = list(range(first_pid + lo, first_pid + hi))
        recs = [g.record for g, _ in people]
        sink.write(Person, {
            "id": pids, "created_at": pct, "created_by_id": itertools.repeat(practitioner),
            "given_name": [r.given_name for r in recs], "family_name": [r.family_name for r in recs],
            "given_name_norm": [norm(r.given_name) for r in recs], "family_name_norm": [norm(r.family_name) for r in recs],
            "date_of_birth": [r.date_of_birth.isoformat() if r.date_of_birth else None for r in recs],
            "sex": [r.sex or "U" for r in recs], "ethnicity": [g.ethnicity for g, _ in people],
            "nhs_number": [r.nhs_number for r in recs], "upn": [r.upn for r in recs], "merged_into_id": itertools.repeat(None),
        }, len(pids))
        with_address = [k for k, r in enumerate(recs) if r.postcode or r.address_line]
        m = len(with_address)
        sink.write(Address, {
            "id": range(ids[Address], ids[Address] + m), "created_at": [pct[k] for k in with_address],
            "created_by_id": itertools.repeat(practitioner), "person_id": [pids[k] for k in with_address],
            "line_1": [recs[k].address_line or "(address not given)" for k in with_address], "line_2": itertools.repeat(""),
            "town": [people[k][0].town for k in with_address], "postcode": [recs[k].postcode for k in with_address],
            "is_current": itertools.repeat(True), "from_date": itertools.repeat(None), "to_date": itertools.repeat(None),
        }, m)
        ids[Address] += m
        names = [(pids[k], g, f) for k, r in enumerate(recs) for g, f in r.other_names]
        sink.write(PersonName, {
            "id": range(ids[PersonName], ids[PersonName] + len(names)), "person_id": [x[0] for x in names],
            "kind": itertools.repeat(PersonName.Kind.PREVIOUS.value), "given_name": [x[1] for x in names],
            "family_name": [x[2] for x in names], "given_name_norm": [norm(x[1]) for x in names],
            "family_name_norm": [norm(x[2]) for x in names],
        }, len(names))
        ids[PersonName] += len(names)
        plan.people[lo:hi] = [(None, ref) for _, ref in people]  # written: let the records go

    # what had happened by `limit`
    rated = r1t <= limit
    rr = rerate[sl] & rated
    rating_final = np.where(rr, rating2[sl], r1)

    # requests and answers (answer times from the first clock; a re-rating moves the unanswered)
    due1 = due(r1, r1t)
    due2 = due(rating2[sl], rerated[sl])
    rows_rated = np.flatnonzero(rated)
    k = len(rows_rated)
    ag = np.tile(np.arange(A), k)
    ref_of = np.repeat(rows_rated, A)
    clock_s = clock_minutes[r1[ref_of]] * 60 * np.where(r1[ref_of] == 0, 2.0, 1.0)
    response = np.maximum(clock_s * factor[ag] * np.exp(sigma[ag] * rng.standard_normal(k * A)), 180).astype(np.int64)
    answer_t = r1t[ref_of] + response
    ordered = np.sort(answer_t.reshape(k, A), axis=1) if k else np.zeros((0, A), dtype=np.int64)
    last_answer = ordered[:, -1] if k else np.zeros(0, dtype=np.int64)
    most = ordered[:, A // 2 - 1] if k else np.zeros(0, dtype=np.int64)  # half the agencies answered
    decided_at = decide_draw[sl].copy()
    wait = waits[sl][rows_rated] & (last_answer - r1t[rows_rated] < 7 * DAY)
    # Waiting: after the last answer. Not waiting: once half the agencies have answered (or the
    # clock's own draw, whichever is later), unless that is more than a week after triage.
    early_at = np.where(most - r1t[rows_rated] < 7 * DAY, np.maximum(decided_at[rows_rated], most + 600), decided_at[rows_rated])
    decided_at[rows_rated] = np.where(wait, np.maximum(decided_at[rows_rated], last_answer + 600), early_at)
    # a re-rating happens before the decision, or not at all
    rr &= rerated[sl] < decided_at
    rr &= rerated[sl] <= limit
    rating_final = np.where(rr, rating2[sl], r1)
    decided = rated & (decided_at <= limit)
    moved = rr[ref_of] & (answer_t > rerated[sl][ref_of])
    req_due = np.where(moved, due2[ref_of], due1[ref_of])
    stop = np.where(decided[ref_of], decided_at[ref_of], limit)
    answered = answer_t <= stop
    not_needed = ~answered & decided[ref_of]
    early = np.zeros(n, dtype=bool)
    np.logical_or.at(early, ref_of[not_needed], True)

    # referrals
    rid = np.arange(first_referral + s, first_referral + e)
    references = []
    for epoch in t.tolist():
        year = _local_date(epoch).year
        number = used.get(year, counters.get(year, 0)) + 1
        used[year] = number
        references.append(f"{prefix}-{year}-{number:06d}")
    sources = src[sl].tolist()
    anonymous = [x == "9" for x in sources]
    first_names = _pick(rng, british["women"] + british["men"], n)
    surnames = _pick(rng, british["surnames"], n)
    referrer = [REFERRERS.get(x, ("", "", "")) for x in sources]
    ref_names = ["" if anon else f"{g} {f.replace('_', ' ')}" for anon, g, f in zip(anonymous, first_names, surnames)]
    emails = ["" if anon or not dom else f"{g.lower()}.{f.lower().replace('_', '').replace(chr(39), '')}@{dom}"
              for anon, g, f, (_, _, dom) in zip(anonymous, first_names, surnames, referrer)]
    phones = [f"020 7946 {x:04d}" if not anon else "" for anon, x in zip(anonymous, rng.integers(0, 10_000, n).tolist())]
    conc = concerns[sl]
    narrative = [" ".join(NARRATIVES[CONCERN_ORDER[c]] for c in np.flatnonzero(row)[:3]) for row in conc]
    family_informed = _pick(rng, ("yes", "no", "not_known"), n, p=(0.6, 0.25, 0.15))
    consent = _pick(rng, ("given", "refused", "not_sought"), n, p=(0.55, 0.10, 0.35))
    consent_notes = ["Seeking consent could put the child at risk." if c == "not_sought" else "" for c in consent]
    status = np.where(decided, "decided", np.where(rated, "gathering", "awaiting_triage"))
    rated_at_final = np.where(rr, rerated[sl], r1t)
    strategy = np.full(n, -1, dtype=np.int64)

    # outcomes (needed for the strategy time)
    child_lists = plan.children[s:e]
    counts = np.array([len(c) for c in child_lists])
    child_ref = np.repeat(np.arange(n), counts)
    child_pid = np.array([p for c in child_lists for p in c], dtype=np.int64)
    outcome_p = np.array([OUTCOME_P[r] for r in RATINGS])
    per_ref = _choose(rng, outcome_p[rating_final])
    per_child = _choose(rng, outcome_p[rating_final[child_ref]])
    same = rng.random(len(child_ref)) < 0.8
    outcome = np.where(same, per_ref[child_ref], per_child)
    strategic = np.zeros(n, dtype=bool)
    np.logical_or.at(strategic, child_ref[outcome == 0], True)
    threshold_by_outcome = np.array([THRESHOLD[o] for o in OUTCOMES])
    threshold = np.zeros(n, dtype=np.int64)
    np.maximum.at(threshold, child_ref, threshold_by_outcome[outcome])
    urgent_first = rated & (r1 == 0)
    urgent_later = rr & (rating2[sl] == 0)
    strategy = np.where(urgent_first, r1t, np.where(urgent_later, rerated[sl], np.where(decided & strategic, decided_at, -1)))

    # the team given at the first rating (none before the hub had teams, none while awaiting triage)
    team_draw = team_ids[team_rng.choice(len(team_ids), size=n, p=TEAM_P)]
    teamed = rated & (r1t >= teams_from)
    team_of = [int(x) if ok else None for x, ok in zip(team_draw.tolist(), teamed.tolist())]

    ts = sink.times
    sink.write(Referral, {
        "id": rid.tolist(), "created_at": ts(cr), "created_by_id": itertools.repeat(practitioner),
        "reference": references, "received_at": ts(t), "source": sources, "referrer_anonymous": anonymous,
        "referrer_name": ref_names, "referrer_role": [r[0] for r in referrer], "referrer_organisation": [r[1] for r in referrer],
        "referrer_phone": phones, "referrer_email": emails, "concern_narrative": narrative,
        "family_informed": family_informed, "family_informed_notes": itertools.repeat(""), "consent": consent,
        "consent_notes": consent_notes, "status": status.tolist(),
        "rating": [RATINGS[x] if ok else "" for x, ok in zip(rating_final.tolist(), rated.tolist())],
        "rated_at": ts(np.where(rated, rated_at_final, -1)), "strategy_discussion_required_at": ts(strategy),
        "decision_due_at": ts(decision_due[sl]), "decided_at": ts(np.where(decided, decided_at, -1)),
        "team_id": team_of,
    }, n)

    # people on referrals, relationships, concerns
    adult_lists = plan.adults[s:e]
    rp_ref, rp_pid, rp_kind, rp_pos = [], [], [], []
    for i, (cs, ads) in enumerate(zip(child_lists, adult_lists)):
        for pos, p in enumerate(cs):
            rp_ref.append(int(rid[i])); rp_pid.append(p); rp_kind.append("child"); rp_pos.append(pos)
        for pos, p in enumerate(ads):
            rp_ref.append(int(rid[i])); rp_pid.append(p); rp_kind.append("adult"); rp_pos.append(pos)
    m = len(rp_ref)
    sink.write(ReferralPerson, {"id": range(ids[ReferralPerson], ids[ReferralPerson] + m), "referral_id": rp_ref,
                                "person_id": rp_pid, "kind": rp_kind, "position": rp_pos}, m)
    ids[ReferralPerson] += m
    rels = [(i, a, c, kind) for i, rs in enumerate(plan.relationships[s:e]) for a, c, kind in rs]
    m = len(rels)
    sink.write(Relationship, {
        "id": range(ids[Relationship], ids[Relationship] + m), "created_at": ts(np.array([cr[i] for i, *_ in rels], dtype=np.int64)),
        "created_by_id": itertools.repeat(practitioner), "adult_id": [x[1] for x in rels], "child_id": [x[2] for x in rels],
        "kind": [x[3] for x in rels], "parental_responsibility": itertools.repeat(True),
        "source_referral_id": [int(rid[x[0]]) for x in rels],
    }, m)
    ids[Relationship] += m
    cref, ccat = np.nonzero(conc)
    m = len(cref)
    sink.write(ReferralConcern, {"id": range(ids[ReferralConcern], ids[ReferralConcern] + m),
                                 "referral_id": rid[cref].tolist(), "category": [CONCERN_ORDER[c] for c in ccat.tolist()]}, m)
    ids[ReferralConcern] += m

    # rating changes: the first, and a re-rating
    first = np.flatnonzero(rated)
    second = np.flatnonzero(rr)
    rc_ref = np.concatenate([first, second])
    rc_rating = np.concatenate([r1[first], rating2[sl][second]])
    rc_prev = [""] * len(first) + [RATINGS[x] for x in r1[second].tolist()]
    rc_at = np.concatenate([r1t[first], rerated[sl][second]])
    m = len(rc_ref)
    sink.write(RatingChange, {
        "id": range(ids[RatingChange], ids[RatingChange] + m), "referral_id": rid[rc_ref].tolist(),
        "rating": [RATINGS[x] for x in rc_rating.tolist()], "previous_rating": rc_prev,
        "rationale": [RATING_RATIONALES[RATINGS[x]] for x in rc_rating.tolist()], "changed_by_id": itertools.repeat(manager),
        "changed_at": ts(rc_at),
    }, m)
    ids[RatingChange] += m

    # requests
    m = len(ref_of)
    req_ids = np.arange(ids[InformationRequest], ids[InformationRequest] + m)
    ids[InformationRequest] += m
    req_status = np.where(answered, "answered", np.where(not_needed, "not_needed", "open"))
    # one text per referral, repeated for its agencies
    req_at = ts(r1t)
    sink.write(InformationRequest, {
        "id": req_ids.tolist(), "referral_id": rid[ref_of].tolist(), "agency_id": agency_ids[ag].tolist(),
        "requested_at": [req_at[x] for x in ref_of.tolist()], "requested_by_id": itertools.repeat(manager),
        "due_at": ts(req_due), "status": req_status.tolist(), "answered_at": ts(np.where(answered, answer_t, -1)),
        "closed_at": ts(np.where(not_needed, decided_at[ref_of], -1)),
        "sent_under": ["urgent" if (u and c != "given") else ("consent" if c == "given" else "override")
                       for u, c in zip((r1[ref_of] == 0).tolist(), [consent[x] for x in ref_of.tolist()])],
    }, m)

    # answers (version 1)
    which = np.flatnonzero(answered)
    m = len(which)
    a_ag = ag[which]
    u = rng.random(m)
    outcome_a = np.where(u < declined_p[a_ag], 2, np.where(u < declined_p[a_ag] + not_known_p[a_ag], 1, 0))
    summaries = _pick(rng, HELD_SUMMARIES, m)
    reasons = _pick(rng, DECLINE_REASONS, m)
    restriction_u = rng.random(m)
    held = outcome_a == 0
    restriction = np.where(held & (restriction_u < 0.08), "manager_only", np.where(held & (restriction_u < 0.13), "not_for_family", "none"))
    oa = outcome_a.tolist()
    sink.write(InformationAnswer, {
        "id": range(ids[InformationAnswer], ids[InformationAnswer] + m), "request_id": req_ids[which].tolist(),
        "version": itertools.repeat(1), "outcome": [("held", "not_known", "declined")[x] for x in oa],
        "summary": [sm if x == 0 else "" for sm, x in zip(summaries, oa)], "detail": itertools.repeat(""),
        "systems_checked": [systems[x] for x in a_ag.tolist()], "restriction": restriction.tolist(),
        "decline_reason": [rs if x == 2 else "" for rs, x in zip(reasons, oa)], "correction_reason": itertools.repeat(""),
        "answered_by_id": rep_ids[a_ag].tolist(), "answered_at": ts(answer_t[which]),
        "late": (answer_t[which] > req_due[which]).tolist(),
    }, m)
    ids[InformationAnswer] += m
    result.requests += len(ref_of)
    result.answers += m

    # decisions and outcomes
    dec = np.flatnonzero(decided)
    m = len(dec)
    dec_ids = np.arange(ids[Decision], ids[Decision] + m)
    ids[Decision] += m
    dec_of = np.full(n, -1, dtype=np.int64)
    dec_of[dec] = dec_ids
    informed_u = rng.random(m)
    anon_d = [anonymous[x] for x in dec.tolist()]
    informed = ["anonymous" if an else ("yes" if x < 0.85 else "not_yet" if x < 0.97 else "not_appropriate")
                for an, x in zip(anon_d, informed_u.tolist())]
    method = _pick(rng, ("phone", "secure_email", "letter"), m, p=(0.5, 0.45, 0.05))
    sink.write(Decision, {
        "id": dec_ids.tolist(), "referral_id": rid[dec].tolist(), "decided_by_id": itertools.repeat(manager),
        "decided_at": ts(decided_at[dec]), "rationale": [DECISION_RATIONALES[OUTCOMES[x]] for x in per_ref[dec].tolist()],
        "threshold_level": threshold[dec].tolist(),
        "early_decision_reason": ["Enough information to decide; the remaining agencies are not needed." if x else ""
                                  for x in early[dec].tolist()],
        "referrer_informed": informed, "referrer_informed_method": [mt if i == "yes" else "" for mt, i in zip(method, informed)],
        "referrer_informed_notes": ["Telling the referrer could put the child at risk." if i == "not_appropriate" else "" for i in informed],
    }, m)
    keep = decided[child_ref]
    m = int(keep.sum())
    sink.write(ChildOutcome, {
        "id": range(ids[ChildOutcome], ids[ChildOutcome] + m), "decision_id": dec_of[child_ref[keep]].tolist(),
        "person_id": child_pid[keep].tolist(), "outcome": [OUTCOMES[x] for x in outcome[keep].tolist()],
    }, m)
    ids[ChildOutcome] += m


def _first_person_index(plan: _Plan, referral_index: int) -> int:
    """Index into plan.people of the first person first named at or after `referral_index` (people
    are appended in referral order, so a binary search on their first referral)."""
    lo, hi = 0, len(plan.people)
    while lo < hi:
        mid = (lo + hi) // 2
        if plan.people[mid][1] < referral_index:
            lo = mid + 1
        else:
            hi = mid
    return lo
