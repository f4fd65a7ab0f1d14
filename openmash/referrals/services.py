"""Writes for referrals: record, triage (rate), decide; and the clock policy.

Every function here is keyword-only, takes the acting `user`, checks what that user may do, validates
everything before writing anything, and writes its audit event in the same transaction.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F

from openmash.access.policy import can_decide, can_record_referral, can_triage, is_administrator, require
from openmash.accounts.models import Team
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.board.notify import board_changed
from openmash.core import clock
from openmash.core.errors import Collector, Conflict, InvalidInput
from openmash.core.formatting import age_on
from openmash.information_requests.models import InformationRequest, RequestStatus, SentUnder
from openmash.people.codes import RelationshipKind
from openmash.people.models import Person, Relationship
from openmash.people.services import NewPerson, new_person_validate, person_create
from openmash.referrals import deadlines
from openmash.referrals.codes import (
    ClockBasis,
    ConcernCategory,
    ConsentStatus,
    ContactMethod,
    FamilyInformed,
    Outcome,
    Rating,
    ReferralSource,
    ReferralStatus,
    ReferrerInformed,
    ThresholdLevel,
)
from openmash.sharing.codes import SharingDecision, SharingKind
from openmash.sharing.log import HUB, log_requests_sent, sharing_log_record
from openmash.sharing.rules import sharing_cover
from openmash.referrals.models import (
    NARRATIVE_MAX,
    ChildOutcome,
    ClockPolicy,
    Decision,
    DecisionClock,
    RatingChange,
    ReferenceCounter,
    Referral,
    ReferralConcern,
    ReferralPerson,
)

MAX_CHILDREN = 20
MAX_ADULTS = 20
RATIONALE_MAX = 5000
FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clocks on laptops drift; a few minutes ahead is not a typo
OLDEST_RECEIVED = dt.timedelta(days=366)
MIN_CLOCK_MINUTES = 6  # 0.1 hours: anything shorter could not be answered by a person
MAX_CLOCK_MINUTES = 60 * 24 * 30
MAX_WARNINGS = 5


@dataclass
class PersonRef:
    """A person on a referral: an existing one (`person_id`) or a new one (`new`)."""

    person_id: int | None = None
    new: NewPerson | None = None


@dataclass
class AdultEntry:
    person: PersonRef
    # child position (0-based, in the order of `children`) → relationship kind
    relationships: dict[int, str] = field(default_factory=dict)
    parental_responsibility: dict[int, bool | None] = field(default_factory=dict)


@dataclass
class ReferralInput:
    received_at: dt.datetime | None = None
    source: str = ""
    referrer_anonymous: bool = False
    referrer_name: str = ""
    referrer_role: str = ""
    referrer_organisation: str = ""
    referrer_phone: str = ""
    referrer_email: str = ""
    children: list[PersonRef] = field(default_factory=list)
    adults: list[AdultEntry] = field(default_factory=list)
    concern_categories: list[str] = field(default_factory=list)
    concern_narrative: str = ""
    family_informed: str = ""
    family_informed_notes: str = ""
    consent: str = ""
    consent_notes: str = ""


_PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_text(errors: Collector, name: str, value: str, limit: int, label: str, *, required: str = ""):
    if required and not value:
        errors.add(name, required)
    elif len(value) > limit:
        errors.add(name, f"{label} must be {limit:,} characters or fewer")


def _validate_referrer(data: ReferralInput, errors: Collector):
    for attr in ("referrer_name", "referrer_role", "referrer_organisation", "referrer_phone", "referrer_email"):
        setattr(data, attr, (getattr(data, attr) or "").strip())
    if data.referrer_anonymous:
        if any((data.referrer_name, data.referrer_phone, data.referrer_email)):
            errors.add("referrer_anonymous", "An anonymous referrer has no name or contact details; remove them or untick anonymous")
        return
    _check_text(errors, "referrer_name", data.referrer_name, 120, "Referrer's name", required="Enter the referrer's name, or say they are anonymous")
    _check_text(errors, "referrer_role", data.referrer_role, 120, "Referrer's role")
    _check_text(errors, "referrer_organisation", data.referrer_organisation, 160, "Organisation")
    if data.referrer_phone and not _PHONE.match(data.referrer_phone):
        errors.add("referrer_phone", "Enter a phone number, like 020 7946 0000 or +44 7700 900000")
    if data.referrer_email and (len(data.referrer_email) > 254 or not _EMAIL.match(data.referrer_email)):
        errors.add("referrer_email", "Enter an email address in the correct format, like name@example.org")
    if not data.referrer_phone and not data.referrer_email and "referrer_phone" not in errors.errors:
        errors.add("referrer_phone", "Enter a phone number or email address so the referrer can be told the outcome")


def _aged_18_on(date_of_birth: dt.date | None, day: dt.date) -> bool:
    return date_of_birth is not None and age_on(date_of_birth, day) >= 18


def _validate_people(data: ReferralInput, errors: Collector, on: dt.date) -> dict[int, Person]:
    """Check children and adults; returns the existing people by id."""
    if not data.children:
        errors.add("children", "Add at least one child")
    if len(data.children) > MAX_CHILDREN:
        errors.add("children", f"A referral can name up to {MAX_CHILDREN} children")
    if len(data.adults) > MAX_ADULTS:
        errors.add("adults", f"A referral can name up to {MAX_ADULTS} adults")
    ids = [r.person_id for r in data.children + [a.person for a in data.adults] if r.person_id is not None]
    existing = Person.objects.in_bulk(ids)
    seen: set[int] = set()
    for kind, refs in (("children", data.children), ("adults", [a.person for a in data.adults])):
        for i, ref in enumerate(refs):
            prefix = f"{kind}.{i}."
            if ref.person_id is not None:
                if ref.person_id not in existing:
                    errors.add(f"{prefix}person_id", "No person with this id; search again or add a new person")
                elif ref.person_id in seen:
                    errors.add(f"{prefix}person_id", "This person is already on the referral")
                elif kind == "children" and _aged_18_on(existing[ref.person_id].date_of_birth, on):
                    # The same rule as for a new child: linking a known person must not get round it.
                    errors.add(
                        f"{prefix}person_id",
                        "This person was 18 or over on the day the referral was received; add them as an adult",
                    )
                seen.add(ref.person_id)
            elif ref.new is not None:
                new_person_validate(person=ref.new, errors=errors, prefix=prefix, as_child=kind == "children", on=on)
            else:
                errors.add(f"{prefix}person_id", "Choose an existing person or give the details of a new one")
    for i, adult in enumerate(data.adults):
        prefix = f"adults.{i}."
        for position in range(len(data.children)):
            kind = adult.relationships.get(position)
            if not kind:
                errors.add(f"{prefix}relationships.{position}", "Select how this adult is related to the child")
            elif kind not in RelationshipKind.values:
                errors.add(f"{prefix}relationships.{position}", "Select a relationship from the list")
        for position in adult.relationships:
            if not 0 <= position < len(data.children):
                errors.add(f"{prefix}relationships", f"There is no child number {position + 1} on this referral")
    return existing


def referral_validate(*, data: ReferralInput) -> None:
    """All the checks `referral_create` makes, without writing; raises InvalidInput with every error."""
    errors = Collector()
    now = clock.now()
    received_on = clock.local_today()
    if data.received_at is None:
        errors.add("received_at", "Enter the date and time the hub received the referral")
    elif data.received_at.tzinfo is None:
        errors.add("received_at", "Give the time the referral was received with its time zone")
    elif data.received_at > now + FUTURE_TOLERANCE:
        errors.add("received_at", "The time the referral was received must be now or in the past")
    elif data.received_at < now - OLDEST_RECEIVED:
        errors.add("received_at", "The time the referral was received must be within the last 12 months")
    else:
        received_on = clock.to_local(data.received_at).date()
    if data.source not in ReferralSource.values:
        errors.add("source", "Select where the referral came from")
    _validate_referrer(data, errors)
    _validate_people(data, errors, received_on)
    categories = list(dict.fromkeys(data.concern_categories))
    if not categories:
        errors.add("concern_categories", "Select at least one concern")
    elif any(c not in ConcernCategory.values for c in categories):
        errors.add("concern_categories", "Select concerns from the list")
    data.concern_categories = categories
    data.concern_narrative = (data.concern_narrative or "").strip()
    _check_text(errors, "concern_narrative", data.concern_narrative, NARRATIVE_MAX, "The description of the concerns", required="Describe the concerns")
    if data.family_informed not in FamilyInformed.values:
        errors.add("family_informed", "Select whether the family has been told about the referral")
    _check_text(errors, "family_informed_notes", (data.family_informed_notes or "").strip(), 2000, "Notes")
    data.consent_notes = (data.consent_notes or "").strip()
    if data.consent not in ConsentStatus.values:
        errors.add("consent", "Select whether consent to share information was given, refused or not sought")
    elif data.consent == ConsentStatus.NOT_SOUGHT and not data.consent_notes:
        errors.add("consent_notes", "Say why consent was not sought")
    elif len(data.consent_notes) > 2000:
        errors.add("consent_notes", "The reason must be 2,000 characters or fewer")
    errors.raise_if_any()


def _next_reference(received_at: dt.datetime) -> str:
    """`MASH-2026-000123`: the year the hub received it and a number that never repeats that year.

    The counter row is bumped with a conditional UPDATE, which takes the row lock on PostgreSQL and
    the database write lock on SQLite, so two recordings at once cannot get the same number.
    """
    year = clock.to_local(received_at).year
    ReferenceCounter.objects.get_or_create(year=year)
    ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1)
    number = ReferenceCounter.objects.get(year=year).last
    return f"{settings.OPENMASH_REFERENCE_PREFIX}-{year}-{number:06d}"


def _decision_due(received_at: dt.datetime) -> dt.datetime:
    """The hub's decision clock from receipt (default one working day, as statute expects; an
    administrator may change it). Fixed when the referral is recorded, like a request's due time."""
    from openmash.referrals.selectors import decision_clock

    minutes, basis = decision_clock()
    return deadlines.due_at(received_at, minutes=minutes, basis=basis)


def referral_create(*, user, data: ReferralInput) -> Referral:
    """Record a referral with its children, adults, relationships and concerns — all or nothing."""
    require(can_record_referral(user), "Only MASH staff can record referrals")
    referral_validate(data=data)
    with transaction.atomic():
        reference = _next_reference(data.received_at)
        referral = Referral.objects.create(
            reference=reference,
            received_at=data.received_at,
            source=data.source,
            referrer_anonymous=data.referrer_anonymous,
            referrer_name=data.referrer_name,
            referrer_role=data.referrer_role,
            referrer_organisation=data.referrer_organisation,
            referrer_phone=data.referrer_phone,
            referrer_email=data.referrer_email,
            concern_narrative=data.concern_narrative,
            family_informed=data.family_informed,
            family_informed_notes=(data.family_informed_notes or "").strip(),
            consent=data.consent,
            consent_notes=data.consent_notes,
            decision_due_at=_decision_due(data.received_at),
            created_by=user,
        )

        def resolve(ref: PersonRef) -> Person:
            if ref.person_id is not None:
                return Person.objects.get(pk=ref.person_id)
            return person_create(user=user, data=ref.new, referral_reference=reference)

        children = [resolve(ref) for ref in data.children]
        adults = [resolve(entry.person) for entry in data.adults]
        ReferralPerson.objects.bulk_create(
            [ReferralPerson(referral=referral, person=p, kind="child", position=i) for i, p in enumerate(children)]
            + [ReferralPerson(referral=referral, person=p, kind="adult", position=i) for i, p in enumerate(adults)]
        )
        for adult, entry in zip(adults, data.adults):
            for position, kind in entry.relationships.items():
                Relationship.objects.get_or_create(
                    adult=adult,
                    child=children[position],
                    kind=kind,
                    defaults={
                        "source_referral": referral,
                        "parental_responsibility": entry.parental_responsibility.get(position),
                        "created_by": user,
                    },
                )
        ReferralConcern.objects.bulk_create(
            [ReferralConcern(referral=referral, category=c) for c in data.concern_categories]
        )
        board_changed(reference=reference, agencies=[])
        audit_record(
            user=user,
            action="referral.create",
            object_type="referral",
            object_id=referral.pk,
            referral_reference=reference,
            details={
                "received_at": referral.received_at.isoformat(),
                "children": [p.pk for p in children],
                "adults": [p.pk for p in adults],
            },
        )
    return referral


# ------------------------------------------------------------------ clock policy


def clock_policy_for(*, rating: str) -> tuple[int, str]:
    """(minutes, basis) for a rating: the administrator's setting, or the default."""
    policy = ClockPolicy.objects.filter(rating=rating).first()
    if policy is not None:
        return policy.minutes, policy.basis
    return deadlines.DEFAULT_POLICY[rating]


def request_due_at(*, rating: str, start: dt.datetime) -> dt.datetime:
    minutes, basis = clock_policy_for(rating=rating)
    return deadlines.due_at(start, minutes=minutes, basis=basis)


def clock_policy_ensure_defaults():
    for rating, (minutes, basis) in deadlines.DEFAULT_POLICY.items():
        ClockPolicy.objects.get_or_create(rating=rating, defaults={"minutes": minutes, "basis": basis})


def _check_clock(errors: Collector, minutes: int | None, basis: str):
    if minutes is None:
        errors.add("hours", "Enter the number of hours")
    elif not MIN_CLOCK_MINUTES <= minutes <= MAX_CLOCK_MINUTES:
        errors.add("hours", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)")
    if basis not in ClockBasis.values:
        errors.add("basis", "Select calendar hours or working hours")


def _check_warnings(errors: Collector, percents) -> list[int]:
    """Warning points: whole percentages from 1 to 99, each once, at most MAX_WARNINGS; none is allowed."""
    percents = list(percents)
    if any(isinstance(p, bool) or not isinstance(p, int) for p in percents):
        errors.add("warning_percents", "Enter each warning as a whole number, like 50")
        return percents
    if any(not 1 <= p <= 99 for p in percents):
        errors.add("warning_percents", "Enter warnings from 1% to 99% of the time (the due time itself always sends a breach notice)")
    elif len(set(percents)) != len(percents):
        errors.add("warning_percents", "Enter each warning once")
    elif len(percents) > MAX_WARNINGS:
        errors.add("warning_percents", f"Enter up to {MAX_WARNINGS} warnings")
    return sorted(percents)


def clock_policy_update(
    *, user, rating: str, minutes: int | None, basis: str, warning_percents: list[int] | None = None
) -> ClockPolicy:
    """Change one rating's clock and, if given, its warning points.

    Requests already sent keep their due times (docs/adr/0002-clocks.md); warnings not yet sent follow
    the new points (docs/adr/0010-escalation.md).
    """
    require(is_administrator(user), "Only an administrator can change the clock policy")
    errors = Collector()
    if rating not in Rating.values:
        errors.add("rating", "Select a rating")
    _check_clock(errors, minutes, basis)
    if warning_percents is not None:
        warning_percents = _check_warnings(errors, warning_percents)
    errors.raise_if_any()
    with transaction.atomic():
        policy, _ = ClockPolicy.objects.select_for_update().get_or_create(
            rating=rating, defaults={"minutes": minutes, "basis": basis}
        )
        before = {"minutes": policy.minutes, "basis": policy.basis, "warning_percents": policy.warning_percents}
        policy.minutes, policy.basis = minutes, basis
        if warning_percents is not None:
            policy.warning_percents = warning_percents
        policy.updated_at, policy.updated_by = clock.now(), user
        policy.save()
        audit_record(
            user=user,
            action="clock_policy.update",
            object_type="clock_policy",
            object_id=rating,
            details={
                "before": before,
                "after": {"minutes": minutes, "basis": basis, "warning_percents": policy.warning_percents},
            },
        )
    return policy


def decision_clock_update(*, user, minutes: int | None, basis: str) -> DecisionClock:
    """Change the hub's decision clock. Referrals already recorded keep their decision due time: the
    hub was working to it, and the record must show it (as for requests, docs/adr/0002-clocks.md)."""
    require(is_administrator(user), "Only an administrator can change the decision clock")
    errors = Collector()
    _check_clock(errors, minutes, basis)
    errors.raise_if_any()
    with transaction.atomic():
        row, _ = DecisionClock.objects.select_for_update().get_or_create(
            pk=1, defaults={"minutes": deadlines.DEFAULT_DECISION_CLOCK[0], "basis": deadlines.DEFAULT_DECISION_CLOCK[1]}
        )
        before = {"minutes": row.minutes, "basis": row.basis}
        row.minutes, row.basis = minutes, basis
        row.updated_at, row.updated_by = clock.now(), user
        row.save()
        audit_record(
            user=user,
            action="decision_clock.update",
            object_type="decision_clock",
            object_id=1,
            details={"before": before, "after": {"minutes": minutes, "basis": basis}},
        )
    return row


# ------------------------------------------------------------------ triage


def referral_triage(
    *, user, referral: Referral, rating: str, rationale: str, agency_codes: list[str] | None = None,
    team_code: str | None = None,
) -> Referral:
    """Rate (or re-rate) a referral and send information requests.

    1. Only a MASH manager may rate; a decided referral cannot be re-rated.
    2. The agencies asked are those chosen (default: every active agency). Agencies already asked
       keep their request; an agency cannot be asked twice.
    3. New requests are due by the new rating's clock from now. On a re-rating, requests still
       unanswered move to the new rating's clock counted from the re-rating; answered ones keep theirs.
    4. Requests go out only where consent covers the agency or an override is in force; otherwise
       triage is refused. Urgent is the exception: requests go at once, and the override must then
       be authorised before the decision (docs/adr/0011-consent-and-sharing.md).
    5. Urgent records that a strategy discussion is required now.
    6. The change is kept in the rating history with who, when and why; each request sent is
       logged as a disclosure.
    7. The hub team responsible (docs/adr/0017): `team_code`, or when it is None the referral's
       current team, else the manager's own active team. While any team is active a referral must
       have one; a team no longer active can be kept but not newly chosen. A re-rating may change
       only the team: the rating history is then left alone and the change is audited with the old
       and the new team and the reason given.
    """
    require(can_triage(user), "Only a MASH manager can rate a referral")
    errors = Collector()
    rationale = (rationale or "").strip()
    if rating not in Rating.values:
        errors.add("rating", "Select a rating: Urgent, Red, Amber or Green")
    _check_text(errors, "rationale", rationale, RATIONALE_MAX, "The rationale", required="Give the reason for this rating")
    if agency_codes is None:
        agencies = list(Agency.objects.filter(active=True))
    else:
        codes = list(dict.fromkeys(agency_codes))
        agencies = list(Agency.objects.filter(code__in=codes, active=True))
        unknown = sorted(set(codes) - {a.code for a in agencies})
        if unknown:
            errors.add("agencies", f"Unknown or inactive agency: {', '.join(unknown)}")
    chosen_team = None
    if team_code:
        chosen_team = Team.objects.filter(code=team_code).first()
        if chosen_team is None:
            errors.add("team", f"Unknown team {team_code!r}: select a team from the list")
    errors.raise_if_any()

    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status == ReferralStatus.DECIDED:
            raise Conflict("This referral has been decided; it can no longer be rated")
        asked = set(InformationRequest.objects.filter(referral=referral).values_list("agency_id", flat=True))
        new_agencies = [a for a in agencies if a.pk not in asked]
        if not asked and not new_agencies:
            raise InvalidInput.single("agencies", "Select at least one agency to ask for information")
        previous_team = referral.team
        team = _team_for_triage(user=user, referral=referral, team_code=team_code, chosen=chosen_team)
        if rating == referral.rating and not new_agencies:
            if team == previous_team:
                raise InvalidInput.single(
                    "rating",
                    f"This referral is already rated {Rating(rating).label}; choose another rating, add agencies or change the team",
                )
            referral.team = team
            referral.save(update_fields=["team"])
            audit_record(
                user=user, action="referral.team_change", object_type="referral", object_id=referral.pk,
                referral_reference=referral.reference,
                details={"before": _team_code(previous_team), "after": _team_code(team), "reason": rationale},
            )
            return referral
        cover = sharing_cover(referral=referral, agency_codes=[a.code for a in new_agencies])
        if cover.uncovered and rating != Rating.URGENT:
            raise Conflict(_not_covered_message(cover))
        now = clock.now()
        due = request_due_at(rating=rating, start=now)
        previous = referral.rating
        RatingChange.objects.create(
            referral=referral, rating=rating, previous_rating=previous, rationale=rationale, changed_by=user, changed_at=now
        )
        moved = 0
        if previous and previous != rating:
            moved = InformationRequest.objects.filter(referral=referral, status=RequestStatus.OPEN).update(due_at=due)
        sent = InformationRequest.objects.bulk_create(
            [
                InformationRequest(
                    referral=referral, agency=a, requested_at=now, requested_by=user, due_at=due,
                    sent_under=cover.sent_under(a.code) or SentUnder.URGENT,
                )
                for a in new_agencies
            ]
        )
        log_requests_sent(user=user, referral=referral, requests=sent)
        referral.rating = rating
        referral.rated_at = now
        referral.status = ReferralStatus.GATHERING
        referral.team = team
        if rating == Rating.URGENT and referral.strategy_discussion_required_at is None:
            referral.strategy_discussion_required_at = now
        board_changed(  # agency boards show open requests: the new ones, and on a re-rating all that moved
            reference=referral.reference,
            agencies=InformationRequest.objects.filter(referral=referral, status=RequestStatus.OPEN).values_list("agency__code", flat=True)
            if moved else [a.code for a in new_agencies],
        )
        referral.save(update_fields=["rating", "rated_at", "status", "strategy_discussion_required_at", "team"])
        audit_record(
            user=user,
            action="referral.rerate" if previous else "referral.triage",
            object_type="referral",
            object_id=referral.pk,
            referral_reference=referral.reference,
            details={
                "rating": rating,
                "previous_rating": previous,
                "agencies_added": [a.code for a in new_agencies],
                "requests_moved": moved,
                "due_at": due.isoformat(),
                "sent_before_override": [r.agency.code for r in sent if r.sent_under == SentUnder.URGENT],
                "team": _team_code(team),
                "previous_team": _team_code(previous_team),
            },
        )
    return referral


def _team_code(team) -> str:
    return team.code if team is not None else ""


def _team_for_triage(*, user, referral: Referral, team_code: str | None, chosen):
    """The team a (re-)rating leaves the referral with, or InvalidInput naming `team` (see referral_triage, 7)."""
    if team_code is None:
        team = referral.team
        if team is None and user.team_id is not None and user.team.active:
            team = user.team
    else:
        team = chosen  # "" chooses no team
    if team is not None and not team.active and team != referral.team:
        raise InvalidInput.single("team", f"{team.name} is no longer active: select an active team")
    if team is None and Team.objects.filter(active=True).exists():
        raise InvalidInput.single("team", "Select the team responsible for this referral")
    return team


def _not_covered_message(cover) -> str:
    agencies = sorted(cover.uncovered)
    people = sorted({name for names in cover.uncovered.values() for name in names})
    waiting = (
        " An override is waiting for a MASH manager to authorise it."
        if cover.pending_override is not None
        else " Record consent on the Sharing tab, or propose an override for a MASH manager to authorise."
    )
    return (
        f"Information requests cannot go out yet: consent from {', '.join(people)} does not cover "
        f"{len(agencies)} of the agencies chosen, and no override is in force.{waiting}"
    )


# ------------------------------------------------------------------ decision


@dataclass
class DecisionInput:
    outcomes: dict[int, str] = field(default_factory=dict)  # child person id → Outcome
    rationale: str = ""
    threshold_level: int | None = None
    early_decision_reason: str = ""
    referrer_informed: str = ""
    referrer_informed_method: str = ""
    referrer_informed_notes: str = ""


def decision_record(*, user, referral: Referral, data: DecisionInput) -> Decision:
    """Record the hub's decision for each child and close the referral.

    1. Only a MASH manager decides; a referral is decided once, after it has been rated.
    2. Every child on the referral gets one outcome; no one else does.
    3. Deciding while agencies have not answered needs a reason; their requests close as "not needed".
    4. Whether (and how) the referrer was told is recorded.
    """
    require(can_decide(user), "Only a MASH manager can record the decision")
    errors = Collector()
    children = list(referral.people.filter(kind="child").values_list("person_id", flat=True))
    for person_id in children:
        outcome = data.outcomes.get(person_id)
        if not outcome:
            errors.add(f"outcomes.{person_id}", "Select the outcome for this child")
        elif outcome not in Outcome.values:
            errors.add(f"outcomes.{person_id}", "Select an outcome from the list")
    strangers = set(data.outcomes) - set(children)
    if strangers:
        errors.add("outcomes", "Outcomes can only be given for the children on this referral")
    data.rationale = (data.rationale or "").strip()
    _check_text(errors, "rationale", data.rationale, NARRATIVE_MAX, "The rationale", required="Give the rationale for the decision")
    if data.threshold_level not in ThresholdLevel.values:
        errors.add("threshold_level", "Select the threshold level, 1 to 4")
    data.early_decision_reason = (data.early_decision_reason or "").strip()
    _check_text(errors, "early_decision_reason", data.early_decision_reason, RATIONALE_MAX, "The reason")
    data.referrer_informed_notes = (data.referrer_informed_notes or "").strip()
    if data.referrer_informed not in ReferrerInformed.values:
        errors.add("referrer_informed", "Select whether the referrer has been told the outcome")
    elif data.referrer_informed == ReferrerInformed.YES and data.referrer_informed_method not in ContactMethod.values:
        errors.add("referrer_informed_method", "Select how the referrer was told")
    elif data.referrer_informed == ReferrerInformed.NOT_APPROPRIATE and not data.referrer_informed_notes:
        errors.add("referrer_informed_notes", "Say why the referrer is not being told")
    elif data.referrer_informed == ReferrerInformed.ANONYMOUS and not referral.referrer_anonymous:
        errors.add("referrer_informed", "The referrer is not anonymous; say whether they have been told")
    _check_text(errors, "referrer_informed_notes", data.referrer_informed_notes, 2000, "Notes")
    if data.referrer_informed != ReferrerInformed.YES:
        data.referrer_informed_method = ""

    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status == ReferralStatus.DECIDED:
            raise Conflict("This referral has already been decided")
        if referral.status == ReferralStatus.AWAITING_TRIAGE:
            raise Conflict("Rate the referral before recording a decision")
        if (
            InformationRequest.objects.filter(referral=referral, sent_under=SentUnder.URGENT).exists()
            and not sharing_cover(referral=referral).override
        ):
            raise Conflict(
                "Information requests went out under Urgent before consent or an override covered them: "
                "an override must be proposed and authorised before the decision is recorded"
            )
        unanswered = InformationRequest.objects.filter(referral=referral, status=RequestStatus.OPEN)
        if unanswered.exists() and not data.early_decision_reason:
            errors.add(
                "early_decision_reason",
                "Some agencies have not answered yet; give the reason for deciding before they do",
            )
        errors.raise_if_any()
        now = clock.now()
        decision = Decision.objects.create(
            referral=referral,
            decided_by=user,
            decided_at=now,
            rationale=data.rationale,
            threshold_level=data.threshold_level,
            early_decision_reason=data.early_decision_reason,
            referrer_informed=data.referrer_informed,
            referrer_informed_method=data.referrer_informed_method,
            referrer_informed_notes=data.referrer_informed_notes,
        )
        ChildOutcome.objects.bulk_create(
            [ChildOutcome(decision=decision, person_id=pid, outcome=data.outcomes[pid]) for pid in children]
        )
        board_changed(reference=referral.reference, agencies=unanswered.values_list("agency__code", flat=True))
        closed = unanswered.update(status=RequestStatus.NOT_NEEDED, closed_at=now)
        referral.status = ReferralStatus.DECIDED
        referral.decided_at = now
        referral.save(update_fields=["status", "decided_at"])
        if data.referrer_informed == ReferrerInformed.NOT_APPROPRIATE:
            sharing_log_record(
                user=user, referral=referral, kind=SharingKind.REFERRER_NOT_TOLD, decision=SharingDecision.NOT_SHARED,
                from_party=HUB, to_party="The referrer", items=["decision.outcomes"], what="Nothing",
                withheld="The outcome of the referral", why=data.referrer_informed_notes,
            )
        audit_record(
            user=user,
            action="referral.decide",
            object_type="referral",
            object_id=referral.pk,
            referral_reference=referral.reference,
            details={
                "outcomes": {str(k): v for k, v in data.outcomes.items()},
                "threshold_level": data.threshold_level,
                "requests_closed_not_needed": closed,
                "minutes_from_receipt": int((now - referral.received_at).total_seconds() // 60),
            },
        )
    return decision
