"""Writes for consent, overrides, referrer releases, outcome letters and the lawful-basis list.

Keyword-only, each takes the acting `user`, validates before writing, and writes its audit event
(and, where something is shared or withheld, its sharing-log entry) in the same transaction.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from openmash.access.policy import can_see_answer, is_administrator, is_hub_staff, is_manager, require
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.errors import Collector, Conflict, InvalidInput
from openmash.information_requests.codes import Restriction
from openmash.referrals.codes import FamilyInformed, ReferralStatus
from openmash.referrals.models import Referral
from openmash.sharing import letters
from openmash.sharing.codes import (
    BasisCategory,
    Channel,
    ConsentGivenBy,
    ConsentMethod,
    ConsentOutcome,
    ConsentSought,
    NotSoughtReason,
    OverrideStatus,
    SharingDecision,
    SharingKind,
)
from openmash.sharing.log import HUB, sharing_log_record
from openmash.sharing.models import ConsentEntry, ConsentOverride, LawfulBasis, OutcomeLetter, ReferrerRelease

REASON_MAX = 5000
NOTES_MAX = 2000


def _text(errors: Collector, name: str, value: str, limit: int, label: str, required: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        errors.add(name, required)
    elif len(value) > limit:
        errors.add(name, f"{label} must be {limit:,} characters or fewer")
    return value


# ------------------------------------------------------------------ consent


@dataclass
class ConsentInput:
    person_ids: list[int] = field(default_factory=list)
    family_informed: str = ""
    sought: str = ""
    not_sought_reason: str = ""
    outcome: str = ""
    given_by: str = ""
    given_by_name: str = ""
    obtained_at: dt.datetime | None = None
    method: str = ""
    scope_all_agencies: bool = True
    scope_agencies: list[str] = field(default_factory=list)
    scope_information: str = ""
    notes: str = ""


def consent_record(*, user, referral: Referral, data: ConsentInput) -> list[ConsentEntry]:
    """Record what was done about consent for one or more people on the referral.

    1. Hub staff record consent; an entry is never changed — a later entry (withdrawn, given after
       all) becomes the person's current position, and the earlier ones stay as history.
    2. Not sought needs the reason. Sought needs the outcome: given, refused, or withdrawn.
    3. Given needs who gave it (a parent or carer with parental responsibility, the young person
       where competent, or the adult themselves), when (not in the future) and how; and its scope:
       every agency, or the agencies named.
    4. A young person or an adult can only consent for themselves; a parent or carer only for a child.
    """
    require(is_hub_staff(user), "Only hub staff can record consent")
    errors = Collector()
    links = {link.person_id: link for link in referral.people.select_related("person")}
    person_ids = list(dict.fromkeys(int(p) for p in data.person_ids if str(p).lstrip("-").isdigit()))
    if not person_ids or len(person_ids) != len(data.person_ids):
        errors.add("person_ids", "Select the people this consent is about")
    elif any(pid not in links for pid in person_ids):
        errors.add("person_ids", "Consent can only be recorded for people on this referral")
    if data.family_informed not in FamilyInformed.values:
        errors.add("family_informed", "Select whether the family knows about the referral")
    if data.sought not in ConsentSought.values:
        errors.add("sought", "Select whether consent to share was sought")
    notes = _text(errors, "notes", data.notes, NOTES_MAX, "Notes")
    given_by_name = _text(errors, "given_by_name", data.given_by_name, 120, "The name")
    scope_information = _text(errors, "scope_information", data.scope_information, 500, "What may be shared")
    reason, outcome, given_by, method, obtained_at, scope_all, scope_codes = "", "", "", "", None, True, []
    if data.sought == ConsentSought.NO:
        reason = data.not_sought_reason
        if reason not in NotSoughtReason.values:
            errors.add("not_sought_reason", "Select why consent was not sought")
        elif reason == NotSoughtReason.OTHER and not notes:
            errors.add("notes", "Say why consent was not sought")
    elif data.sought == ConsentSought.YES:
        outcome = data.outcome
        if outcome not in ConsentOutcome.values:
            errors.add("outcome", "Select whether consent was given, refused or withdrawn")
        obtained_at = data.obtained_at
        if obtained_at is not None and (obtained_at.tzinfo is None or obtained_at.utcoffset() is None):
            errors.add("obtained_at", "Give the date and time with its time zone")
        elif obtained_at is None:
            errors.add("obtained_at", "Give the date and time consent was " + ("given" if outcome == ConsentOutcome.GIVEN else "refused or withdrawn"))
        elif obtained_at > clock.now() + dt.timedelta(minutes=5):
            errors.add("obtained_at", "The date and time must not be in the future")
        if outcome in (ConsentOutcome.GIVEN, ConsentOutcome.REFUSED, ConsentOutcome.WITHDRAWN):
            given_by, method = data.given_by, data.method
            if given_by not in ConsentGivenBy.values:
                errors.add("given_by", "Select who " + ("gave" if outcome == ConsentOutcome.GIVEN else "refused or withdrew") + " consent")
            if method not in ConsentMethod.values:
                errors.add("method", "Select how: verbally or in writing")
            if given_by in (ConsentGivenBy.PARENT_WITH_PR, ConsentGivenBy.CARER_WITH_PR) and not given_by_name:
                errors.add("given_by_name", "Give the name of the parent or carer")
            kinds = {links[pid].kind for pid in person_ids if pid in links}
            if given_by in (ConsentGivenBy.PARENT_WITH_PR, ConsentGivenBy.CARER_WITH_PR) and "adult" in kinds:
                errors.add("given_by", "A parent or carer consents for a child; an adult consents for themselves")
            if given_by == ConsentGivenBy.SELF and "child" in kinds:
                errors.add("given_by", "For a child, choose the young person or a parent or carer with parental responsibility")
            if given_by == ConsentGivenBy.YOUNG_PERSON and ("adult" in kinds or len(person_ids) > 1):
                errors.add("given_by", "A young person consents only for themselves: select just that child")
        if outcome == ConsentOutcome.GIVEN:
            scope_all = bool(data.scope_all_agencies)
            if not scope_all:
                scope_codes = sorted(set(data.scope_agencies))
                known = set(Agency.objects.filter(code__in=scope_codes).values_list("code", flat=True))
                if not scope_codes:
                    errors.add("scope_agencies", "Select the agencies the consent covers")
                elif set(scope_codes) - known:
                    errors.add("scope_agencies", "Select agencies from the list")
    errors.raise_if_any()

    with transaction.atomic():
        now = clock.now()
        entries = [
            ConsentEntry.objects.create(
                referral=referral, person_id=pid, family_informed=data.family_informed, sought=data.sought,
                not_sought_reason=reason, outcome=outcome, given_by=given_by, given_by_name=given_by_name,
                obtained_at=obtained_at, method=method, scope_all_agencies=scope_all, scope_agencies=scope_codes,
                scope_information=scope_information if outcome == ConsentOutcome.GIVEN else "", notes=notes,
                recorded_by=user, recorded_at=now,
            )
            for pid in person_ids
        ]
        audit_record(
            user=user, action="consent.record", object_type="referral", object_id=referral.pk,
            referral_reference=referral.reference,
            details={"people": person_ids, "sought": data.sought, "outcome": outcome, "not_sought_reason": reason,
                     "scope": "all" if scope_all else scope_codes},
        )
    return entries


# ------------------------------------------------------------------ overrides


def override_propose(*, user, referral: Referral, basis_codes: list[str], reason: str) -> ConsentOverride:
    """Propose sharing without consent, with its evidence.

    1. Hub staff propose; at least one lawful basis from the active list, and the reason in words.
    2. One override at a time: not while another is waiting for a manager or already in force, and
       not once the referral has been decided.
    """
    require(is_hub_staff(user), "Only hub staff can propose sharing without consent")
    errors = Collector()
    codes = list(dict.fromkeys(c for c in (basis_codes or []) if isinstance(c, str)))
    bases = list(LawfulBasis.objects.filter(code__in=codes, active=True))
    if not codes:
        errors.add("lawful_basis", "Select at least one lawful basis")
    elif len(bases) != len(codes) or len(codes) != len(basis_codes):
        errors.add("lawful_basis", "Select lawful bases from the list")
    reason = _text(errors, "reason", reason, REASON_MAX, "The reason", required="Give the reason for sharing without consent")
    errors.raise_if_any()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status == ReferralStatus.DECIDED:
            raise Conflict("This referral has been decided; an override can no longer be proposed")
        live = ConsentOverride.objects.filter(referral=referral, status__in=[OverrideStatus.PROPOSED, OverrideStatus.AUTHORISED]).first()
        if live is not None:
            raise Conflict(
                "An override is already in force for this referral" if live.status == OverrideStatus.AUTHORISED
                else "An override is already waiting for a MASH manager; authorise or reject it first"
            )
        override = ConsentOverride.objects.create(referral=referral, reason=reason, proposed_by=user, proposed_at=clock.now())
        override.bases.set(bases)
        audit_record(
            user=user, action="override.propose", object_type="consent_override", object_id=override.pk,
            referral_reference=referral.reference, details={"bases": sorted(codes)},
        )
    return override


def _claim_for_decision(override: ConsentOverride) -> ConsentOverride:
    override = ConsentOverride.objects.select_for_update().select_related("referral").get(pk=override.pk)
    if override.status != OverrideStatus.PROPOSED:
        raise Conflict(f"This override has already been {override.get_status_display().lower()}")
    return override


def override_authorise(*, user, override: ConsentOverride, second_reason: str = "") -> ConsentOverride:
    """A MASH manager authorises a proposed override.

    1. Only a MASH manager; only a proposal still waiting.
    2. Two people: a manager authorising their own proposal must give a second reason, different from
       the first; the override is then flagged as self-authorised for information governance.
    """
    require(is_manager(user), "Only a MASH manager can authorise sharing without consent")
    errors = Collector()
    second_reason = _text(errors, "second_reason", second_reason, REASON_MAX, "The reason")
    errors.raise_if_any()
    with transaction.atomic():
        override = _claim_for_decision(override)
        own = override.proposed_by_id == user.pk
        if own and not second_reason:
            raise InvalidInput.single(
                "second_reason", "You proposed this override: give a second reason to authorise it yourself"
            )
        if own and second_reason.casefold() == override.reason.strip().casefold():
            raise InvalidInput.single("second_reason", "The second reason must say something the first does not")
        override.status = OverrideStatus.AUTHORISED
        override.decided_by, override.decided_at = user, clock.now()
        override.decision_reason = second_reason if own else ""
        override.self_authorised = own
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "self_authorised"])
        audit_record(
            user=user, action="override.authorise", object_type="consent_override", object_id=override.pk,
            referral_reference=override.referral.reference, details={"self_authorised": own},
        )
    return override


def override_reject(*, user, override: ConsentOverride, reason: str) -> ConsentOverride:
    """A MASH manager rejects a proposed override, with the reason."""
    require(is_manager(user), "Only a MASH manager can reject an override")
    errors = Collector()
    reason = _text(errors, "reason", reason, REASON_MAX, "The reason", required="Give the reason for rejecting the override")
    errors.raise_if_any()
    with transaction.atomic():
        override = _claim_for_decision(override)
        override.status = OverrideStatus.REJECTED
        override.decided_by, override.decided_at = user, clock.now()
        override.decision_reason = reason
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            user=user, action="override.reject", object_type="consent_override", object_id=override.pk,
            referral_reference=override.referral.reference,
        )
    return override


# ------------------------------------------------------------------ the referrer's identity


def referrer_release(*, user, referral: Referral, agency_codes: list[str], reason: str) -> list[ReferrerRelease]:
    """A MASH manager lets agencies asked on this referral see who made it; each release is logged."""
    require(is_manager(user), "Only a MASH manager can release the referrer's identity")
    errors = Collector()
    reason = _text(errors, "reason", reason, NOTES_MAX, "The reason", required="Give the reason for releasing the referrer's identity")
    codes = list(dict.fromkeys(agency_codes or []))
    asked = {r.agency.code: r.agency for r in referral.requests.select_related("agency")}
    if not codes:
        errors.add("agencies", "Select the agencies that may see who made the referral")
    elif set(codes) - set(asked):
        errors.add("agencies", "Select agencies that have been asked on this referral")
    if referral.referrer_anonymous:
        errors.add("agencies", "The referrer is anonymous: there is no identity to release")
    errors.raise_if_any()
    with transaction.atomic():
        done = set(ReferrerRelease.objects.filter(referral=referral).values_list("agency__code", flat=True))
        if set(codes) <= done:
            raise Conflict("The referrer's identity has already been released to these agencies")
        releases = []
        for code in codes:
            if code in done:
                continue
            agency = asked[code]
            releases.append(ReferrerRelease.objects.create(referral=referral, agency=agency, reason=reason, released_by=user))
            sharing_log_record(
                user=user, referral=referral, kind=SharingKind.REFERRER_RELEASED, decision=SharingDecision.SHARED,
                to_party=agency.name, to_agency=agency, items=["referrer.name", "referrer.role", "referrer.organisation", "referrer.phone", "referrer.email"],
                what="Who made the referral: name, role, organisation and contact details", why=reason,
                referrer_identity_protected=False,
            )
        audit_record(
            user=user, action="referrer.release", object_type="referral", object_id=referral.pk,
            referral_reference=referral.reference, details={"agencies": [r.agency.code for r in releases]},
        )
    return releases


# ------------------------------------------------------------------ outcome feedback to the referrer


@dataclass
class LetterInput:
    channel: str = ""
    include_answer_ids: list[int] = field(default_factory=list)
    not_shared_reason: str = ""  # why shareable answers were left out
    message: str = ""


def outcome_letter_create(*, user, referral: Referral, data: LetterInput) -> OutcomeLetter:
    """Feed the outcome back to the referrer (statute expects it), leaving out what may not go.

    1. A MASH manager writes it, after the decision, to a referrer who is not anonymous.
    2. Agency information may be included only where the viewer may see it and its agency put no
       restriction on it: "MASH manager only" and "not to be disclosed to the family" never go.
       Asking to include one is refused, not quietly dropped.
    3. Leaving out information that could have gone needs a reason; every answer left out, and why,
       is logged as a decision not to share; the letter itself is logged as a disclosure.
    """
    require(is_manager(user), "Only a MASH manager can send outcome feedback to the referrer")
    errors = Collector()
    referral = Referral.objects.get(pk=referral.pk)  # the status as stored, not as the caller last read it
    if referral.status != ReferralStatus.DECIDED:
        raise Conflict("Record the decision before writing to the referrer")
    if referral.referrer_anonymous:
        raise Conflict("The referrer is anonymous: there is no one to write to")
    if data.channel not in Channel.values or data.channel == Channel.IN_SERVICE:
        errors.add("channel", "Select how the letter goes to the referrer")
    message = _text(errors, "message", data.message, NOTES_MAX, "The message")
    not_shared_reason = _text(errors, "not_shared_reason", data.not_shared_reason, NOTES_MAX, "The reason")
    answers = letters.latest_answers(referral=referral)
    by_id = {a.pk: a for a in answers}
    wanted = []
    for raw in data.include_answer_ids or []:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            errors.add("include_answer_ids", "Select answers from the list")
            break
    for answer_id in wanted:
        answer = by_id.get(answer_id)
        if answer is None or not can_see_answer(user, answer):
            errors.add("include_answer_ids", "Select answers from the list")
            break
        if answer.restriction != Restriction.NONE:
            errors.add(
                "include_answer_ids",
                f"{answer.request.agency.name}'s answer is restricted ({Restriction(answer.restriction).label}) and cannot go to the referrer",
            )
    shareable = [a for a in answers if a.restriction == Restriction.NONE and a.outcome == "held"]
    left_out = [a for a in shareable if a.pk not in wanted]
    if left_out and not not_shared_reason:
        errors.add("not_shared_reason", "Say why the information not included is being withheld from the referrer")
    errors.raise_if_any()

    included = [by_id[i] for i in dict.fromkeys(wanted)]
    restricted = [a for a in answers if a.restriction != Restriction.NONE]
    recipient = letters.recipient_line(referral)
    body = letters.render(referral=referral, included=included, message=message)
    with transaction.atomic():
        withheld = [
            {"answer": a.pk, "agency": a.request.agency.code, "why": f"Restricted by the agency: {Restriction(a.restriction).label}"}
            for a in restricted
        ] + [{"answer": a.pk, "agency": a.request.agency.code, "why": not_shared_reason} for a in left_out]
        letter = OutcomeLetter.objects.create(
            referral=referral, recipient=recipient, channel=data.channel, body=body,
            included_answers=[a.pk for a in included], withheld_answers=withheld, created_by=user,
        )
        subjects = list(referral.people.filter(kind="child").values_list("person_id", flat=True))
        sharing_log_record(
            user=user, referral=referral, kind=SharingKind.OUTCOME_LETTER,
            decision=SharingDecision.PARTIAL if withheld else SharingDecision.SHARED,
            from_party=HUB, to_party=f"Referrer: {recipient}", channel=data.channel,
            items=["decision.outcomes"] + [f"answer:{a.pk}:summary" for a in included],
            what="The outcome for each child" + (f", and what {', '.join(a.request.agency.name for a in included)} shared" if included else ""),
            withheld="; ".join(f"{w['agency']}: {w['why']}" for w in withheld), why="Outcome feedback to the referrer",
            letter=letter, subjects=subjects,
        )
        for a in restricted + left_out:
            sharing_log_record(
                user=user, referral=referral, kind=SharingKind.OUTCOME_LETTER, decision=SharingDecision.NOT_SHARED,
                from_party=a.request.agency.name, from_agency=a.request.agency, to_party=f"Referrer: {recipient}",
                channel=data.channel, items=[f"answer:{a.pk}"], what="Nothing from this answer",
                withheld=f"{a.request.agency.name}'s answer (version {a.version})",
                why=f"Restricted by the agency: {Restriction(a.restriction).label}" if a in restricted else not_shared_reason,
                letter=letter, answer=a, subjects=subjects,
            )
        audit_record(
            user=user, action="outcome_letter.create", object_type="outcome_letter", object_id=letter.pk,
            referral_reference=referral.reference, details={"included": letter.included_answers, "withheld": len(withheld)},
        )
    return letter


# ------------------------------------------------------------------ the lawful-basis list (administrators)


def lawful_basis_save(*, user, code: str, label: str, category: str, active: bool = True, basis: LawfulBasis | None = None) -> LawfulBasis:
    """Add an entry to the list, or change one's label, category or whether it is offered.

    An entry's code never changes once made: overrides and the log refer to it.
    """
    require(is_administrator(user), "Only an administrator can change the list of lawful bases")
    errors = Collector()
    label = _text(errors, "label", label, 200, "The wording", required="Give the wording staff will choose")
    if category not in BasisCategory.values:
        errors.add("category", "Select what kind of basis this is")
    if basis is None:
        code = (code or "").strip().lower()
        if not code:
            errors.add("code", "Give a short code, for example uk-gdpr-6-1-e")
        elif len(code) > 40 or not all(ch.isalnum() or ch == "-" for ch in code) or not code.isascii():
            errors.add("code", "The code may use only lower-case letters, digits and hyphens (40 at most)")
        elif LawfulBasis.objects.filter(code=code).exists():
            errors.add("code", "There is already a basis with this code")
    errors.raise_if_any()
    with transaction.atomic():
        before = None
        if basis is None:
            try:
                basis = LawfulBasis.objects.create(code=code, label=label, category=category, active=active)
            except IntegrityError:
                raise InvalidInput.single("code", "There is already a basis with this code") from None
        else:
            basis = LawfulBasis.objects.select_for_update().get(pk=basis.pk)
            before = {"label": basis.label, "category": basis.category, "active": basis.active}
            basis.label, basis.category, basis.active = label, category, bool(active)
            basis.save(update_fields=["label", "category", "active"])
        audit_record(
            user=user, action="lawful_basis.add" if before is None else "lawful_basis.change", object_type="lawful_basis",
            object_id=basis.code, details={"before": before, "after": {"label": label, "category": category, "active": bool(active)}},
        )
    return basis


def lawful_bases_ensure_seeded() -> None:
    """The seed list (for a database emptied by tests or demo resets); entries present are kept."""
    from openmash.sharing.codes import SEED_LAWFUL_BASES

    for order, (code, category, label) in enumerate(SEED_LAWFUL_BASES, start=1):
        LawfulBasis.objects.get_or_create(code=code, defaults={"label": label, "category": category, "sort_order": order * 10})

