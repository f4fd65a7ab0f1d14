"""Consent, overrides and the sharing log, at the service level: each rule, and the refusal when it is broken."""

import datetime as dt

import pytest

from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.errors import Conflict, Forbidden, InvalidInput
from openmash.core.testing.factories import answer, authorised_override, decide, give_consent, make_referral
from openmash.information_requests.models import InformationRequest
from openmash.referrals.services import referral_triage
from openmash.sharing.models import ConsentEntry, ConsentOverride, SharingEvent
from openmash.sharing.services import (
    ConsentInput,
    LetterInput,
    consent_record,
    outcome_letter_create,
    override_authorise,
    override_propose,
    override_reject,
    referrer_release,
)

BASES = ["uk-gdpr-6-1-e", "dpa-2018-sch1-p18"]


def people(referral, kind=None):
    qs = referral.people.all()
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.values_list("person_id", flat=True))


def triage(hub, referral, rating="red", agencies=("police", "education")):
    return referral_triage(user=hub["manager"], referral=referral, rating=rating, rationale="Because.", agency_codes=list(agencies))


def given(person_ids, by="parent_pr", name="Kerry Smith", **extra):
    return ConsentInput(
        person_ids=person_ids, family_informed="yes", sought="yes", outcome="given", given_by=by, given_by_name=name,
        obtained_at=clock.now() - dt.timedelta(minutes=5), method="written", **extra,
    )


# ------------------------------------------------------------------ triage needs consent or an override


def test_triage_without_consent_or_override_is_refused_and_sends_nothing(hub):
    referral = make_referral(hub, with_consent=False)
    with pytest.raises(Conflict, match="consent from Jayden Smith, Kerry Smith, Tyler Smith does not cover 2"):
        triage(hub, referral)
    assert not InformationRequest.objects.filter(referral=referral).exists()
    referral.refresh_from_db()
    assert referral.status == "awaiting_triage" and not referral.rating


def test_consent_from_some_people_only_is_not_enough(hub):
    referral = make_referral(hub, with_consent=False)
    consent_record(user=hub["practitioner"], referral=referral, data=given(people(referral, "child")))
    with pytest.raises(Conflict, match="consent from Kerry Smith does not cover"):
        triage(hub, referral)


def test_consent_for_everyone_lets_requests_go_out_under_consent(hub):
    referral = make_referral(hub, with_consent=True)
    triage(hub, referral)
    assert set(InformationRequest.objects.filter(referral=referral).values_list("sent_under", flat=True)) == {"consent"}
    sent = SharingEvent.objects.filter(referral=referral, kind="request_sent")
    assert sorted(sent.values_list("to_agency__code", flat=True)) == ["education", "police"]
    assert all(e.basis_kind == "consent" and e.decision == "shared" and e.referrer_identity_protected for e in sent)
    assert set(sent[0].subjects.values_list("pk", flat=True)) == set(people(referral))


def test_consent_scoped_to_some_agencies_covers_only_those(hub):
    referral = make_referral(hub, with_consent=False)
    give_consent(hub, referral, agencies=["education"])
    triage(hub, referral, agencies=["education"])
    with pytest.raises(Conflict, match="does not cover 1 of the agencies"):
        triage(hub, referral, rating="amber", agencies=["police"])


def test_withdrawn_consent_is_a_new_entry_and_stops_further_requests(hub):
    referral = make_referral(hub, with_consent=True)
    triage(hub, referral, agencies=["education"])
    kerry = people(referral, "adult")
    consent_record(
        user=hub["practitioner"], referral=referral,
        data=ConsentInput(person_ids=kerry, family_informed="yes", sought="yes", outcome="withdrawn", given_by="self",
                          obtained_at=clock.now(), method="verbal"),
    )
    assert ConsentEntry.objects.filter(referral=referral, person_id=kerry[0]).count() == 2  # history kept
    with pytest.raises(Conflict):
        triage(hub, referral, rating="amber", agencies=["police"])


def test_an_authorised_override_covers_every_agency(hub):
    referral = make_referral(hub, with_consent=False)
    authorised_override(hub, referral)
    triage(hub, referral, agencies=["police", "education", "gp"])
    assert set(InformationRequest.objects.filter(referral=referral).values_list("sent_under", flat=True)) == {"override"}
    event = SharingEvent.objects.filter(referral=referral, kind="request_sent").first()
    assert event.basis_kind == "override" and event.basis_codes == sorted(BASES) and event.override is not None


def test_a_proposed_override_is_not_yet_enough(hub):
    referral = make_referral(hub, with_consent=False)
    override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk of harm.")
    with pytest.raises(Conflict, match="waiting for a MASH manager"):
        triage(hub, referral)


def test_urgent_goes_at_once_but_the_override_must_come_before_the_decision(hub):
    referral = make_referral(hub, with_consent=False)
    triage(hub, referral, rating="urgent")
    assert set(InformationRequest.objects.filter(referral=referral).values_list("sent_under", flat=True)) == {"urgent"}
    assert SharingEvent.objects.filter(referral=referral, kind="request_sent", basis_kind="urgent").count() == 2
    with pytest.raises(Conflict, match="override must be proposed and authorised before the decision"):
        decide(hub, referral)
    authorised_override(hub, referral)
    decide(hub, referral)
    referral.refresh_from_db()
    assert referral.status == "decided"


# ------------------------------------------------------------------ overrides: evidence and two people


@pytest.mark.parametrize(
    "bases, reason, field",
    [([], "Risk.", "lawful_basis"), (["made-up"], "Risk.", "lawful_basis"), (BASES, "", "reason"), (BASES, "   ", "reason"),
     (BASES + BASES[:1], "Risk.", "lawful_basis")],
)
def test_an_override_needs_a_basis_from_the_list_and_a_reason(hub, bases, reason, field):
    referral = make_referral(hub, with_consent=False)
    with pytest.raises(InvalidInput) as caught:
        override_propose(user=hub["practitioner"], referral=referral, basis_codes=bases, reason=reason)
    assert field in caught.value.errors
    assert not ConsentOverride.objects.exists()


def test_a_retired_basis_cannot_be_chosen(hub):
    from openmash.sharing.models import LawfulBasis

    LawfulBasis.objects.filter(code="ca-1989-s17").update(active=False)
    referral = make_referral(hub, with_consent=False)
    with pytest.raises(InvalidInput):
        override_propose(user=hub["practitioner"], referral=referral, basis_codes=["ca-1989-s17"], reason="Risk.")


@pytest.mark.parametrize("role", ["practitioner", "police-rep", "analyst", "ig", "admin"])
def test_only_a_manager_authorises_or_rejects(hub, role):
    referral = make_referral(hub, with_consent=False)
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
    with pytest.raises(Forbidden):
        override_authorise(user=hub[role], override=override)
    with pytest.raises(Forbidden):
        override_reject(user=hub[role], override=override, reason="No.")
    override.refresh_from_db()
    assert override.status == "proposed"


@pytest.mark.parametrize("role", ["police-rep", "analyst", "ig", "admin"])
def test_only_hub_staff_propose_or_record_consent(hub, role):
    referral = make_referral(hub, with_consent=False)
    with pytest.raises(Forbidden):
        override_propose(user=hub[role], referral=referral, basis_codes=BASES, reason="Risk.")
    with pytest.raises(Forbidden):
        consent_record(user=hub[role], referral=referral, data=given(people(referral, "child")))


def test_a_manager_authorising_their_own_proposal_gives_a_second_reason_and_is_flagged(hub):
    referral = make_referral(hub, with_consent=False)
    override = override_propose(user=hub["manager"], referral=referral, basis_codes=BASES, reason="Risk of harm.")
    with pytest.raises(InvalidInput) as caught:
        override_authorise(user=hub["manager"], override=override)
    assert "second_reason" in caught.value.errors
    with pytest.raises(InvalidInput):
        override_authorise(user=hub["manager"], override=override, second_reason=" risk of HARM. ")
    override = override_authorise(user=hub["manager"], override=override, second_reason="Police confirm an investigation is open.")
    assert override.status == "authorised" and override.self_authorised
    assert AuditEvent.objects.filter(action="override.authorise", details__self_authorised=True).exists()


def test_another_managers_authorisation_is_not_flagged(hub):
    referral = make_referral(hub, with_consent=False)
    override = authorised_override(hub, referral)
    assert override.status == "authorised" and not override.self_authorised and override.decided_by == hub["manager"]


def test_a_rejection_needs_a_reason_and_an_override_is_decided_once(hub):
    referral = make_referral(hub, with_consent=False)
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
    with pytest.raises(InvalidInput):
        override_reject(user=hub["manager"], override=override, reason=" ")
    override_reject(user=hub["manager"], override=override, reason="Consent has not been sought and it is safe to seek it.")
    with pytest.raises(Conflict):
        override_authorise(user=hub["manager"], override=override)
    with pytest.raises(Conflict):
        triage(hub, referral)
    # After a rejection a new proposal may be made.
    override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="New information: risk.")


def test_one_live_override_at_a_time(hub):
    referral = make_referral(hub, with_consent=False)
    override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
    with pytest.raises(Conflict, match="already waiting"):
        override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Again.")


# ------------------------------------------------------------------ consent entries


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sought": ""}, "sought"),
        ({"sought": "no", "not_sought_reason": ""}, "not_sought_reason"),
        ({"sought": "no", "not_sought_reason": "other", "notes": ""}, "notes"),
        ({"outcome": "maybe"}, "outcome"),
        ({"given_by": ""}, "given_by"),
        ({"given_by_name": ""}, "given_by_name"),
        ({"method": "telepathy"}, "method"),
        ({"obtained_at": None}, "obtained_at"),
        ({"family_informed": ""}, "family_informed"),
        ({"scope_all_agencies": False, "scope_agencies": []}, "scope_agencies"),
        ({"scope_all_agencies": False, "scope_agencies": ["nowhere"]}, "scope_agencies"),
        ({"person_ids": []}, "person_ids"),
        ({"person_ids": [999999]}, "person_ids"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_consent_entries_are_refused_next_to_the_field(hub, change, field):
    referral = make_referral(hub, with_consent=False)
    data = given(people(referral, "child"))
    for key, value in change.items():
        setattr(data, key, value)
    with pytest.raises(InvalidInput) as caught:
        consent_record(user=hub["practitioner"], referral=referral, data=data)
    assert field in caught.value.errors
    assert not ConsentEntry.objects.exists()


def test_consent_in_the_future_is_refused(hub):
    referral = make_referral(hub, with_consent=False)
    data = given(people(referral, "child"))
    data.obtained_at = clock.now() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as caught:
        consent_record(user=hub["practitioner"], referral=referral, data=data)
    assert "obtained_at" in caught.value.errors


@pytest.mark.parametrize("kind, by", [("adult", "parent_pr"), ("child", "self")])
def test_who_can_consent_for_whom(hub, kind, by):
    referral = make_referral(hub, with_consent=False)
    with pytest.raises(InvalidInput) as caught:
        consent_record(user=hub["practitioner"], referral=referral, data=given(people(referral, kind), by=by))
    assert "given_by" in caught.value.errors


def test_a_young_person_consents_only_for_themselves(hub):
    referral = make_referral(hub, with_consent=False)
    with pytest.raises(InvalidInput):
        consent_record(user=hub["practitioner"], referral=referral, data=given(people(referral, "child"), by="young_person", name=""))
    consent_record(user=hub["practitioner"], referral=referral, data=given(people(referral, "child")[:1], by="young_person", name=""))


def test_consent_history_cannot_be_edited_or_deleted(hub):
    from django.db import DatabaseError, transaction

    referral = make_referral(hub, with_consent=True)
    entry = ConsentEntry.objects.filter(referral=referral).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEntry.objects.filter(pk=entry.pk).update(outcome="refused")
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEntry.objects.filter(pk=entry.pk).delete()


def test_the_sharing_log_cannot_be_edited_or_deleted(hub):
    from django.db import DatabaseError, transaction

    referral = make_referral(hub, with_consent=True)
    triage(hub, referral)
    with pytest.raises(DatabaseError), transaction.atomic():
        SharingEvent.objects.all().update(why="nothing")
    with pytest.raises(DatabaseError), transaction.atomic():
        SharingEvent.objects.all().delete()


# ------------------------------------------------------------------ the log: answers, restrictions, declines


def test_answers_declines_and_restrictions_are_logged(hub):
    referral = make_referral(hub)
    triage(hub, referral, agencies=["police", "education", "gp", "housing"])
    answer(hub, referral, "police", summary="Known.", restriction="manager_only")
    answer(hub, referral, "education", summary="Attends.", detail="Every day.")
    answer(hub, referral, "gp", outcome="declined", decline_reason="Not proportionate at this stage.")
    answer(hub, referral, "housing", outcome="not_known")
    log = {(e.kind, e.from_agency.code if e.from_agency else "", e.decision) for e in SharingEvent.objects.filter(referral=referral)}
    assert ("answer_given", "police", "partial") in log
    assert ("restriction_applied", "police", "not_shared") in log
    assert ("answer_given", "education", "shared") in log
    assert ("answer_declined", "gp", "not_shared") in log
    assert ("answer_not_known", "housing", "shared") in log
    education = SharingEvent.objects.get(referral=referral, kind="answer_given", from_agency__code="education")
    assert education.items == [f"answer:{education.answer_id}:summary", f"answer:{education.answer_id}:detail"]
    # The log names what was shared; it never copies it.
    assert not SharingEvent.objects.filter(what__icontains="Known.").exists()
    assert SharingEvent.objects.get(kind="answer_declined").why == "Not proportionate at this stage."


# ------------------------------------------------------------------ the referrer's identity


def test_releasing_the_referrer_is_a_managers_logged_decision(hub):
    referral = make_referral(hub)
    triage(hub, referral)
    with pytest.raises(Forbidden):
        referrer_release(user=hub["practitioner"], referral=referral, agency_codes=["police"], reason="Needed.")
    with pytest.raises(InvalidInput):
        referrer_release(user=hub["manager"], referral=referral, agency_codes=["police"], reason="")
    with pytest.raises(InvalidInput):
        referrer_release(user=hub["manager"], referral=referral, agency_codes=["gp"], reason="Not asked.")
    referrer_release(user=hub["manager"], referral=referral, agency_codes=["police"], reason="Police need to speak to the school.")
    event = SharingEvent.objects.get(referral=referral, kind="referrer_released")
    assert event.to_agency.code == "police" and not event.referrer_identity_protected
    with pytest.raises(Conflict):
        referrer_release(user=hub["manager"], referral=referral, agency_codes=["police"], reason="Again.")


def test_an_anonymous_referrer_cannot_be_released(hub):
    referral = make_referral(hub, referrer_anonymous=True, referrer_name="", referrer_organisation="", referrer_phone="", referrer_role="neighbour", source="9")
    triage(hub, referral)
    with pytest.raises(InvalidInput):
        referrer_release(user=hub["manager"], referral=referral, agency_codes=["police"], reason="Needed.")


# ------------------------------------------------------------------ the outcome letter


@pytest.fixture
def decided(hub):
    referral = make_referral(hub)
    triage(hub, referral, agencies=["police", "education", "gp"])
    answer(hub, referral, "police", summary="CANARY-POLICE-RESTRICTED", restriction="not_for_family")
    answer(hub, referral, "education", summary="Attendance is 97%.")
    answer(hub, referral, "gp", summary="CANARY-GP-MANAGER-ONLY", restriction="manager_only")
    decide(hub, referral, outcome="early_help")
    referral.refresh_from_db()
    return referral


def _answer_of(referral, code):
    from openmash.information_requests.models import InformationAnswer

    return InformationAnswer.objects.get(request__referral=referral, request__agency__code=code)


def test_the_letter_leaves_restricted_answers_out_and_logs_it(hub, decided):
    education = _answer_of(decided, "education")
    letter = outcome_letter_create(
        user=hub["manager"], referral=decided, data=LetterInput(channel="secure_email", include_answer_ids=[education.pk])
    )
    assert "Attendance is 97%." in letter.body and "Early help" in letter.body
    assert "CANARY" not in letter.body
    events = SharingEvent.objects.filter(letter=letter)
    main = events.get(decision="partial")
    assert main.to_party.startswith("Referrer: Helen Marsh") and main.channel == "secure_email"
    withheld = {e.from_agency.code for e in events.filter(decision="not_shared")}
    assert withheld == {"police", "gp"}


@pytest.mark.parametrize("code", ["police", "gp"])
def test_asking_to_include_a_restricted_answer_is_refused(hub, decided, code):
    with pytest.raises(InvalidInput) as caught:
        outcome_letter_create(
            user=hub["manager"], referral=decided,
            data=LetterInput(channel="letter", include_answer_ids=[_answer_of(decided, code).pk]),
        )
    assert "restricted" in caught.value.errors["include_answer_ids"][0]
    assert not SharingEvent.objects.filter(kind="outcome_letter").exists()


def test_leaving_out_shareable_information_needs_a_reason_which_is_logged(hub, decided):
    with pytest.raises(InvalidInput) as caught:
        outcome_letter_create(user=hub["manager"], referral=decided, data=LetterInput(channel="letter"))
    assert "not_shared_reason" in caught.value.errors
    letter = outcome_letter_create(
        user=hub["manager"], referral=decided,
        data=LetterInput(channel="letter", not_shared_reason="The referrer does not need the school's records."),
    )
    assert SharingEvent.objects.filter(
        letter=letter, decision="not_shared", from_agency__code="education", why="The referrer does not need the school's records."
    ).exists()


def test_the_letter_waits_for_the_decision_and_a_manager(hub):
    referral = make_referral(hub)
    triage(hub, referral)
    with pytest.raises(Conflict):
        outcome_letter_create(user=hub["manager"], referral=referral, data=LetterInput(channel="letter"))
    with pytest.raises(Forbidden):
        outcome_letter_create(user=hub["practitioner"], referral=referral, data=LetterInput(channel="letter"))


def test_deciding_not_to_tell_the_referrer_is_logged(hub):
    referral = make_referral(hub)
    triage(hub, referral)
    decide(hub, referral, referrer_informed="not_appropriate", referrer_informed_method="", referrer_informed_notes="The referrer is the alleged abuser's partner.")
    event = SharingEvent.objects.get(referral=referral, kind="referrer_not_told")
    assert event.decision == "not_shared" and event.why == "The referrer is the alleged abuser's partner."


def test_an_answer_to_an_urgent_request_sent_before_any_override_is_logged_on_that_footing(hub):
    referral = make_referral(hub, with_consent=False)
    triage(hub, referral, rating="urgent", agencies=["police"])
    answer(hub, referral, "police", summary="Known.")
    assert SharingEvent.objects.get(referral=referral, kind="answer_given").basis_kind == "urgent"
    authorised_override(hub, referral)
    answer(hub, referral, "police", summary="Known, corrected.", correction_reason="Typo.")
    latest = SharingEvent.objects.filter(referral=referral, kind="answer_given").order_by("-id").first()
    assert latest.basis_kind == "override" and latest.basis_codes == sorted(BASES)
