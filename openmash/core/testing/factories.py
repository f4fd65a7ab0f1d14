"""Builders for tests: referrals in a given state, made through the real services."""

import datetime as dt

from openmash.core import clock
from openmash.information_requests.models import InformationRequest
from openmash.information_requests.services import AnswerInput, information_request_answer
from openmash.people.services import NewPerson
from openmash.referrals.services import (
    AdultEntry,
    DecisionInput,
    PersonRef,
    ReferralInput,
    decision_record,
    referral_create,
    referral_triage,
)


def referral_input(**overrides) -> ReferralInput:
    """A complete, valid referral: two siblings and their mother, received an hour ago."""
    data = ReferralInput(
        received_at=clock.now() - dt.timedelta(hours=1),
        source="2A",
        referrer_name="Helen Marsh",
        referrer_role="Designated safeguarding lead",
        referrer_organisation="Oakfield Primary",
        referrer_phone="020 7946 0123",
        children=[
            PersonRef(new=NewPerson(given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2018, 7, 3), sex="M", postcode="SE15 4AB", address_line_1="14 Alder Road")),
            PersonRef(new=NewPerson(given_name="Tyler", family_name="Smith", date_of_birth=dt.date(2020, 2, 1), sex="M", postcode="SE15 4AB", address_line_1="14 Alder Road")),
        ],
        adults=[
            AdultEntry(
                person=PersonRef(new=NewPerson(given_name="Kerry", family_name="Smith", date_of_birth=dt.date(1994, 5, 5), sex="F")),
                relationships={0: "mother", 1: "mother"},
            )
        ],
        concern_categories=["neglect"],
        concern_narrative="Coming to school hungry.",
        family_informed="yes",
        consent="given",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def make_referral(users, with_consent=True, **overrides):
    """A recorded referral; by default with consent given for everyone on it, so it can be triaged."""
    referral = referral_create(user=users["practitioner"], data=referral_input(**overrides))
    if with_consent:
        give_consent(users, referral)
    return referral


def give_consent(users, referral, *, agencies=None, user="practitioner"):
    """Consent given for everyone on the referral (children by their mother, adults themselves)."""
    from openmash.sharing.services import ConsentInput, consent_record

    when = clock.now() - dt.timedelta(minutes=30)
    links = list(referral.people.all())
    scope = {"scope_all_agencies": agencies is None, "scope_agencies": list(agencies or [])}
    for kind, given_by, name in (("child", "parent_pr", "Kerry Smith"), ("adult", "self", "")):
        ids = [link.person_id for link in links if link.kind == kind]
        if ids:
            consent_record(
                user=users[user], referral=referral,
                data=ConsentInput(person_ids=ids, family_informed="yes", sought="yes", outcome="given", given_by=given_by,
                                  given_by_name=name, obtained_at=when, method="verbal", **scope),
            )


def authorised_override(users, referral, *, bases=("uk-gdpr-6-1-e", "dpa-2018-sch1-p18"), reason="Seeking consent would put the children at risk."):
    from openmash.sharing.services import override_authorise, override_propose

    override = override_propose(user=users["practitioner"], referral=referral, basis_codes=list(bases), reason=reason)
    return override_authorise(user=users["manager"], override=override)


def make_triaged(users, rating="red", agencies=None, with_consent=True, **overrides):
    referral = make_referral(users, with_consent=with_consent, **overrides)
    referral_triage(user=users["manager"], referral=referral, rating=rating, rationale="Because.", agency_codes=agencies)
    referral.refresh_from_db()
    return referral


def answer(users, referral, code, outcome="held", **fields):
    request = InformationRequest.objects.get(referral=referral, agency__code=code)
    data = AnswerInput(outcome=outcome, summary=fields.pop("summary", "Known to us." if outcome == "held" else ""), **fields)
    if outcome == "declined" and not data.decline_reason:
        data.decline_reason = "Not proportionate."
    return information_request_answer(user=users[f"{code}-rep"], request=request, data=data)


def decide(users, referral, outcome="nfa", **fields):
    children = list(referral.people.filter(kind="child").values_list("person_id", flat=True))
    data = DecisionInput(
        outcomes={pid: outcome for pid in children},
        rationale=fields.pop("rationale", "Enough is known."),
        threshold_level=fields.pop("threshold_level", 2),
        early_decision_reason=fields.pop("early_decision_reason", "Deciding now."),
        referrer_informed=fields.pop("referrer_informed", "yes"),
        referrer_informed_method=fields.pop("referrer_informed_method", "phone"),
        **fields,
    )
    return decision_record(user=users["manager"], referral=referral, data=data)


def make_notification(user, request, kind="request_breach"):
    """An in-service notification to `user` about `request`, as run_clock would have delivered it."""
    from openmash.escalation.models import Notification, ScheduledNotice

    notice, _ = ScheduledNotice.objects.get_or_create(
        kind=kind, request=request, percent=100 if kind == "request_breach" else 50, due_at=request.due_at,
        defaults={"referral": request.referral, "fire_at": request.due_at, "status": "sent", "sent_at": clock.now()},
    )
    return Notification.objects.create(notice=notice, recipient=user, channel="in_app", status="sent", sent_at=clock.now())
