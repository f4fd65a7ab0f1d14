"""Consent, overrides, the sharing log and the lawful-basis list through the API (issue 4).

Each rule is broken through the API and seen refused, with nothing written: triage without consent or
an override, an override without basis or reason, a practitioner authorising, a manager authorising
their own proposal without a second reason, a decision on an Urgent referral before its override.
And restricted answers are walked past every API route as every role.
"""

import datetime as dt

import pytest

from openmash.api.tests.bodies import decision_body
from openmash.api.tests.conftest import T0, fields, problem
from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.information_requests.models import InformationRequest
from openmash.referrals.models import Decision, Referral
from openmash.sharing.models import ConsentEntry, ConsentOverride, SharingEvent
from openmash.sharing.services import lawful_basis_save, override_propose, referrer_release
from openmash.sharing.selectors import lawful_bases

pytestmark = pytest.mark.django_db

BASES = ["uk-gdpr-6-1-e", "dpa-2018-sch1-p18"]
SEED_CODES = [
    "uk-gdpr-6-1-c", "uk-gdpr-6-1-d", "uk-gdpr-6-1-e", "dpa-2018-sch1-p18", "dpa-2018-sch1-p6",
    "uk-gdpr-9-2-h-sch1-p2", "dpa-2018-sch8-p4", "ca-1989-s47", "ca-1989-s17", "ca-2004-s11",
]


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(T0)


def people(referral, kind=None) -> list[int]:
    qs = referral.people.all()
    if kind:
        qs = qs.filter(kind=kind)
    return sorted(qs.values_list("person_id", flat=True))


def given(person_ids, **overrides) -> dict:
    """Consent given for the children by their mother, verbally, half an hour ago, for every agency."""
    body = {
        "person_ids": person_ids,
        "family_informed": "yes",
        "sought": "yes",
        "outcome": "given",
        "given_by": "parent_pr",
        "given_by_name": "Kerry Smith",
        "obtained_at": "2026-11-25T09:30:00+00:00",
        "method": "verbal",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def consent_for_everyone(api, referral, **scope):
    """Children by their mother, the mother for herself — through the API."""
    url = f"/api/v1/referrals/{referral.reference}/consent"
    for body in (given(people(referral, "child"), **scope), given(people(referral, "adult"), given_by="self", given_by_name="", **scope)):
        response = api.post(url, body, as_="practitioner")
        assert response.status_code == 201, response.content


def triage(api, referral, rating="red", agencies=("police", "education"), as_="manager"):
    return api.post(
        f"/api/v1/referrals/{referral.reference}/triage",
        {"rating": rating, "rationale": "Domestic abuse reported.", "agencies": list(agencies)}, as_=as_,
    )


def propose(api, referral, bases=BASES, reason="Asking the mother would alert the father, who is the risk.", as_="practitioner"):
    return api.post(f"/api/v1/referrals/{referral.reference}/overrides", {"lawful_basis": list(bases), "reason": reason}, as_=as_)


def authorise(api, override_id, body=None, as_="manager"):
    return api.post(f"/api/v1/overrides/{override_id}/authorise", {} if body is None else body, as_=as_)


def reject(api, override_id, body, as_="manager"):
    return api.post(f"/api/v1/overrides/{override_id}/reject", body, as_=as_)


# ------------------------------------------------------------------ consent


def test_consent_for_several_children_at_once_makes_an_entry_for_each(api, hub):
    referral = make_referral(hub, with_consent=False)
    children = people(referral, "child")
    response = api.post(
        f"/api/v1/referrals/{referral.reference}/consent",
        given(children, method="written", scope_information="School attendance and health records", notes="Signed form on file."),
        as_="practitioner",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == referral.reference
    assert [e["person_id"] for e in body["entries"]] == children
    entry = body["entries"][0]
    assert entry == {
        "id": entry["id"], "person_id": children[0], "family_informed": "yes", "sought": "yes", "not_sought_reason": "",
        "outcome": "given", "given_by": "parent_pr", "given_by_name": "Kerry Smith",
        "obtained_at": "2026-11-25T09:30:00+00:00", "method": "written", "scope_all_agencies": True, "scope_agencies": [],
        "scope_information": "School attendance and health records", "notes": "Signed form on file.",
        "recorded_by": "Priya Shah", "recorded_at": "2026-11-25T10:00:00+00:00",
    }
    assert ConsentEntry.objects.filter(referral=referral).count() == 2
    assert AuditEvent.objects.filter(action="consent.record", referral_reference=referral.reference).exists()


def test_consent_not_sought_for_one_person_with_the_reason(api, hub):
    referral = make_referral(hub, with_consent=False)
    [mother] = people(referral, "adult")
    body = {"person_id": mother, "family_informed": "no", "sought": "no", "not_sought_reason": "prejudice_investigation",
            "notes": "Police are investigating the mother's partner."}
    response = api.post(f"/api/v1/referrals/{referral.reference}/consent", body, as_="manager")
    assert response.status_code == 201, response.content
    [entry] = response.json()["entries"]
    assert (entry["person_id"], entry["sought"], entry["not_sought_reason"], entry["outcome"]) == (mother, "no", "prejudice_investigation", "")
    assert entry["obtained_at"] is None


def test_a_change_of_mind_is_a_new_entry_and_the_history_is_kept(api, hub, freeze):
    referral = make_referral(hub, with_consent=False)
    consent_for_everyone(api, referral)
    assert triage(api, referral, agencies=["police"]).status_code == 200

    freeze(T0 + dt.timedelta(hours=1))
    withdrawn = given(people(referral, "child"), outcome="withdrawn", method="written", obtained_at="2026-11-25T10:45:00+00:00")
    response = api.post(f"/api/v1/referrals/{referral.reference}/consent", withdrawn, as_="practitioner")
    assert response.status_code == 201, response.content

    for child in people(referral, "child"):
        history = list(ConsentEntry.objects.filter(referral=referral, person_id=child).order_by("recorded_at", "id").values_list("outcome", flat=True))
        assert history == ["given", "withdrawn"]  # the first entry is still there, unchanged
    # Withdrawn consent no longer covers another agency: asking one more is refused.
    body = problem(triage(api, referral, rating="red", agencies=["education"]), 409)
    assert "does not cover" in body["detail"]


def test_consent_scoped_to_some_agencies_covers_only_those(api, hub):
    referral = make_referral(hub, with_consent=False)
    consent_for_everyone(api, referral, scope_all_agencies=False, scope_agencies=["education"])
    entry = ConsentEntry.objects.filter(referral=referral).first()
    assert (entry.scope_all_agencies, entry.scope_agencies) == (False, ["education"])
    assert triage(api, referral, agencies=["education"]).status_code == 200
    problem(triage(api, referral, rating="amber", agencies=["police"]), 409)
    assert list(InformationRequest.objects.filter(referral=referral).values_list("agency__code", flat=True)) == ["education"]


BAD_CONSENT = [  # (name, body from the children c and the mother m, field)
    ("no person", lambda c, m: {k: v for k, v in given(c).items() if k != "person_ids"}, "person_id"),
    ("person_id and person_ids", lambda c, m: given(c, person_id=m), "person_ids"),
    ("no people", lambda c, m: given([]), "person_ids"),
    ("someone twice", lambda c, m: given([c[0], c[0]]), "person_ids"),
    ("a person not on the referral", lambda c, m: given([c[0], 999999]), "person_ids.1"),
    ("person_id not on the referral", lambda c, m: {**given(...), "person_ids": ..., "person_id": 999999}, "person_id"),
    ("person_id as a string", lambda c, m: {**given(...), "person_ids": ..., "person_id": str(m)}, "person_id"),
    ("person_id true", lambda c, m: {**given(...), "person_ids": ..., "person_id": True}, "person_id"),
    ("person_id 0", lambda c, m: given([0]), "person_ids.0"),
    ("person_id beyond 64 bits", lambda c, m: given([2**63]), "person_ids.0"),
    ("person_id huge", lambda c, m: given([10**40]), "person_ids.0"),
    ("person_ids not a list", lambda c, m: given(c[0]), "person_ids"),
    ("family_informed missing", lambda c, m: given(c, family_informed=...), "family_informed"),
    ("family_informed unknown", lambda c, m: given(c, family_informed="perhaps"), "family_informed"),
    ("sought missing", lambda c, m: given(c, sought=...), "sought"),
    ("sought as a boolean", lambda c, m: given(c, sought=True), "sought"),
    ("sought, no outcome", lambda c, m: given(c, outcome=...), "outcome"),
    ("unknown outcome", lambda c, m: given(c, outcome="maybe"), "outcome"),
    ("given, but not by whom", lambda c, m: given(c, given_by=...), "given_by"),
    ("given, but not how", lambda c, m: given(c, method=""), "method"),
    ("given, but not when", lambda c, m: given(c, obtained_at=None), "obtained_at"),
    ("parent without a name", lambda c, m: given(c, given_by_name=""), "given_by_name"),
    ("an adult consenting for children", lambda c, m: given(c, given_by="self", given_by_name=""), "given_by"),
    ("a parent consenting for an adult", lambda c, m: given([m]), "given_by"),
    ("a young person for two children", lambda c, m: given(c, given_by="young_person", given_by_name=""), "given_by"),
    ("obtained in the future", lambda c, m: given(c, obtained_at="2026-11-25T11:00:00+00:00"), "obtained_at"),
    ("obtained_at naive", lambda c, m: given(c, obtained_at="2026-11-25T09:30:00"), "obtained_at"),
    ("obtained_at impossible", lambda c, m: given(c, obtained_at="2026-02-30T09:30:00+00:00"), "obtained_at"),
    ("obtained_at a date only", lambda c, m: given(c, obtained_at="2026-11-25"), "obtained_at"),
    ("obtained_at a number", lambda c, m: given(c, obtained_at=1764063000), "obtained_at"),
    ("obtained_at before year 1 in UTC", lambda c, m: given(c, obtained_at="0001-01-01T00:00:00+01:00"), "obtained_at"),
    ("obtained_at nonsense", lambda c, m: given(c, obtained_at="yesterday"), "obtained_at"),
    ("scope_all_agencies as a string", lambda c, m: given(c, scope_all_agencies="yes"), "scope_all_agencies"),
    ("scope_all_agencies null", lambda c, m: given(c, scope_all_agencies=None), "scope_all_agencies"),
    ("agencies listed, but all agencies", lambda c, m: given(c, scope_agencies=["police"]), "scope_agencies"),
    ("not all agencies, but none listed", lambda c, m: given(c, scope_all_agencies=False), "scope_agencies"),
    ("an unknown agency", lambda c, m: given(c, scope_all_agencies=False, scope_agencies=["police", "mi5"]), "scope_agencies.1"),
    ("an agency twice", lambda c, m: given(c, scope_all_agencies=False, scope_agencies=["police", "police"]), "scope_agencies"),
    ("an agency code as a number", lambda c, m: given(c, scope_all_agencies=False, scope_agencies=[7]), "scope_agencies.0"),
    ("a scope for refused consent", lambda c, m: given(c, outcome="refused", scope_information="All of it"), "scope_information"),
    ("agencies for withdrawn consent", lambda c, m: given(c, outcome="withdrawn", scope_all_agencies=False, scope_agencies=["police"]), "scope_agencies"),
    ("a scope, but no outcome", lambda c, m: given(c, outcome=..., scope_all_agencies=False, scope_agencies=["police"]), "outcome"),
    ("not sought, without why", lambda c, m: {"person_ids": c, "family_informed": "no", "sought": "no"}, "not_sought_reason"),
    ("not sought, unknown why", lambda c, m: {"person_ids": c, "family_informed": "no", "sought": "no", "not_sought_reason": "busy"}, "not_sought_reason"),
    ("not sought for another reason, unsaid", lambda c, m: {"person_ids": c, "family_informed": "no", "sought": "no", "not_sought_reason": "other"}, "notes"),
    ("not sought, yet an outcome", lambda c, m: {**given(c), "sought": "no", "not_sought_reason": "risk_to_child"}, "outcome"),
    ("sought, yet a reason for not", lambda c, m: given(c, not_sought_reason="risk_to_child"), "not_sought_reason"),
    ("oversized notes", lambda c, m: given(c, notes="n" * 2001), "notes"),
    ("oversized name", lambda c, m: given(c, given_by_name="K" * 121), "given_by_name"),
    ("oversized scope", lambda c, m: given(c, scope_information="s" * 501), "scope_information"),
    ("NUL in notes", lambda c, m: given(c, notes="before\x00after"), "notes"),
    ("NUL in a name", lambda c, m: given(c, given_by_name="Kerry\x00"), "given_by_name"),
    ("an unpaired surrogate", lambda c, m: given(c, notes="\ud800"), "notes"),
    ("notes as a number", lambda c, m: given(c, notes=5), "notes"),
    ("an unknown field", lambda c, m: given(c, consent_by="mother"), "consent_by"),
]


@pytest.mark.parametrize("make,field", [c[1:] for c in BAD_CONSENT], ids=[c[0] for c in BAD_CONSENT])
def test_bad_consent_is_refused_with_the_field_path_and_nothing_is_saved(api, hub, make, field):
    referral = make_referral(hub, with_consent=False)
    body = make(people(referral, "child"), people(referral, "adult")[0])
    body = {k: v for k, v in body.items() if v is not ...}
    got = fields(problem(api.post(f"/api/v1/referrals/{referral.reference}/consent", body, as_="practitioner"), 422))
    assert field in got, got
    assert not ConsentEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.record").exists()


def test_consent_body_that_is_not_an_object_or_too_big(api, hub):
    referral = make_referral(hub, with_consent=False)
    url = f"/api/v1/referrals/{referral.reference}/consent"
    problem(api.post(url, raw="{not json", as_="practitioner"), 400)
    assert fields(problem(api.post(url, [given(people(referral))], as_="practitioner"), 422)) == {"": ["Must be an object"]}
    problem(api.post(url, given(people(referral, "child"), notes="x" * (3 * 1024 * 1024)), as_="practitioner"), 413)
    assert not ConsentEntry.objects.exists()


@pytest.mark.parametrize("username,status", [
    ("manager", 201), ("practitioner", 201), ("police-rep", 403), ("education-rep", 404), ("analyst", 404), ("admin", 404), ("ig", 404),
])
def test_hub_staff_record_consent(api, hub, username, status):
    referral = make_triaged(hub, agencies=["police"])
    before = ConsentEntry.objects.count()
    response = api.post(f"/api/v1/referrals/{referral.reference}/consent", given(people(referral, "child")), as_=username)
    assert response.status_code == status, response.content
    assert ConsentEntry.objects.count() == before + (2 if status == 201 else 0)


def test_consent_on_a_referral_that_does_not_exist_is_404(api, hub):
    problem(api.post("/api/v1/referrals/MASH-2026-999999/consent", given([1]), as_="practitioner"), 404)


# ------------------------------------------------------------------ triage needs consent or an override


def test_triage_without_consent_or_override_is_409_and_sends_nothing(api, hub):
    referral = make_referral(hub, with_consent=False)
    body = problem(triage(api, referral), 409)
    assert body["type"].endswith("/conflict")
    assert "consent from Jayden Smith, Kerry Smith, Tyler Smith does not cover 2 of the agencies chosen" in body["detail"]
    assert "no override is in force" in body["detail"]
    assert not InformationRequest.objects.filter(referral=referral).exists()
    assert not SharingEvent.objects.filter(referral=referral).exists()
    referral.refresh_from_db()
    assert referral.status == "awaiting_triage" and not referral.rating


def test_consent_from_only_some_people_is_not_enough(api, hub):
    referral = make_referral(hub, with_consent=False)
    assert api.post(f"/api/v1/referrals/{referral.reference}/consent", given(people(referral, "child")), as_="practitioner").status_code == 201
    assert "consent from Kerry Smith does not cover" in problem(triage(api, referral), 409)["detail"]
    assert not InformationRequest.objects.filter(referral=referral).exists()


def test_refused_consent_and_a_proposed_override_still_send_nothing(api, hub):
    referral = make_referral(hub, with_consent=False)
    consent_for_everyone(api, referral, outcome="refused")
    assert propose(api, referral).status_code == 201
    body = problem(triage(api, referral), 409)
    assert "waiting for a MASH manager" in body["detail"]
    assert not InformationRequest.objects.filter(referral=referral).exists()


def test_consent_recorded_through_the_api_lets_requests_go_out_under_consent(api, hub):
    referral = make_referral(hub, with_consent=False)
    consent_for_everyone(api, referral)
    response = triage(api, referral)
    assert response.status_code == 200, response.content
    assert set(InformationRequest.objects.filter(referral=referral).values_list("sent_under", flat=True)) == {"consent"}


def test_refused_consent_then_an_authorised_override_lets_requests_go_out(api, hub):
    """The issue's journey: consent refused → a practitioner proposes → a manager authorises → triage."""
    referral = make_referral(hub, with_consent=False)
    consent_for_everyone(api, referral, outcome="refused")
    problem(triage(api, referral), 409)
    proposed = propose(api, referral)
    assert proposed.status_code == 201, proposed.content
    assert authorise(api, proposed.json()["id"]).json()["status"] == "authorised"

    response = triage(api, referral)
    assert response.status_code == 200, response.content
    assert set(InformationRequest.objects.filter(referral=referral).values_list("sent_under", flat=True)) == {"override"}
    log = api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_="manager").json()["events"]
    assert sorted((e["kind"], e["to_agency"], e["basis_kind"], tuple(e["basis_codes"])) for e in log) == [
        ("request_sent", "education", "override", tuple(sorted(BASES))),
        ("request_sent", "police", "override", tuple(sorted(BASES))),
    ]


# ------------------------------------------------------------------ Urgent: send now, the override before the decision


def test_urgent_requests_go_out_and_the_decision_waits_for_an_authorised_override(api, hub):
    referral = make_referral(hub, with_consent=False)
    response = triage(api, referral, rating="urgent", agencies=["police"])
    assert response.status_code == 200, response.content
    assert InformationRequest.objects.get(referral=referral).sent_under == "urgent"
    [sent] = api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_="manager").json()["events"]
    assert (sent["kind"], sent["basis_kind"], sent["to_agency"]) == ("request_sent", "urgent", "police")

    decision = decision_body(people(referral, "child"), early_decision_reason="Strategy discussion held.")
    url = f"/api/v1/referrals/{referral.reference}/decision"
    assert "an override must be proposed and authorised" in problem(api.post(url, decision, as_="manager"), 409)["detail"]

    override_id = propose(api, referral).json()["id"]
    problem(api.post(url, decision, as_="manager"), 409)  # proposed is not enough
    assert not Decision.objects.exists()

    assert authorise(api, override_id).status_code == 200
    response = api.post(url, decision, as_="manager")
    assert response.status_code == 201, response.content
    assert Referral.objects.get(pk=referral.pk).status == "decided"


def test_urgent_after_a_rejected_override_still_waits(api, hub):
    referral = make_referral(hub, with_consent=False)
    triage(api, referral, rating="urgent", agencies=["police"])
    override_id = propose(api, referral).json()["id"]
    assert reject(api, override_id, {"reason": "The reason given does not show a risk to the child."}).status_code == 200
    problem(api.post(f"/api/v1/referrals/{referral.reference}/decision", decision_body(people(referral, "child"), early_decision_reason="x"), as_="manager"), 409)


# ------------------------------------------------------------------ proposing an override


def test_a_practitioner_proposes_an_override_with_its_evidence(api, hub):
    referral = make_referral(hub, with_consent=False)
    response = propose(api, referral, bases=["uk-gdpr-6-1-e", "ca-1989-s47"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"], "reference": referral.reference, "status": "proposed",
        "lawful_basis": [
            {"code": "uk-gdpr-6-1-e", "label": "UK GDPR Article 6(1)(e) – public task"},
            {"code": "ca-1989-s47", "label": "Children Act 1989 section 47 – local authority's duty to investigate"},
        ],
        "reason": "Asking the mother would alert the father, who is the risk.",
        "proposed_by": "Priya Shah", "proposed_at": "2026-11-25T10:00:00+00:00",
        "decided_by": None, "decided_at": None, "decision_reason": "", "self_authorised": False,
    }
    assert ConsentOverride.objects.get(pk=body["id"]).status == "proposed"
    assert AuditEvent.objects.filter(action="override.propose", referral_reference=referral.reference).exists()


BAD_OVERRIDES = [
    ("no basis", {"reason": "Risk."}, "lawful_basis"),
    ("an empty list of bases", {"lawful_basis": [], "reason": "Risk."}, "lawful_basis"),
    ("an unknown basis", {"lawful_basis": ["uk-gdpr-6-1-e", "because-i-said-so"], "reason": "Risk."}, "lawful_basis.1"),
    ("a basis twice", {"lawful_basis": ["uk-gdpr-6-1-e", "uk-gdpr-6-1-e"], "reason": "Risk."}, "lawful_basis"),
    ("a basis as a number", {"lawful_basis": [6], "reason": "Risk."}, "lawful_basis.0"),
    ("a basis as a string, not a list", {"lawful_basis": "uk-gdpr-6-1-e", "reason": "Risk."}, "lawful_basis"),
    ("a basis with a NUL", {"lawful_basis": ["uk-gdpr-6-1-e\x00"], "reason": "Risk."}, "lawful_basis.0"),
    ("a huge basis code", {"lawful_basis": ["x" * 100_000], "reason": "Risk."}, "lawful_basis.0"),
    ("no reason", {"lawful_basis": BASES}, "reason"),
    ("an empty reason", {"lawful_basis": BASES, "reason": ""}, "reason"),
    ("a blank reason", {"lawful_basis": BASES, "reason": "   \n "}, "reason"),
    ("a null reason", {"lawful_basis": BASES, "reason": None}, "reason"),
    ("a reason as a number", {"lawful_basis": BASES, "reason": 1}, "reason"),
    ("an oversized reason", {"lawful_basis": BASES, "reason": "r" * 5001}, "reason"),
    ("a reason with a NUL", {"lawful_basis": BASES, "reason": "risk\x00"}, "reason"),
    ("an unknown field", {"lawful_basis": BASES, "reason": "Risk.", "authorised": True}, "authorised"),
]


@pytest.mark.parametrize("body,field", [c[1:] for c in BAD_OVERRIDES], ids=[c[0] for c in BAD_OVERRIDES])
def test_an_override_without_basis_or_reason_is_refused_and_nothing_is_saved(api, hub, body, field):
    referral = make_referral(hub, with_consent=False)
    got = fields(problem(api.post(f"/api/v1/referrals/{referral.reference}/overrides", body, as_="practitioner"), 422))
    assert field in got, got
    assert not ConsentOverride.objects.exists()


def test_both_basis_and_reason_missing_are_reported_at_once(api, hub):
    referral = make_referral(hub, with_consent=False)
    got = fields(problem(api.post(f"/api/v1/referrals/{referral.reference}/overrides", {"lawful_basis": [], "reason": ""}, as_="practitioner"), 422))
    assert set(got) == {"lawful_basis", "reason"}


def test_a_retired_basis_cannot_be_relied_on(api, hub):
    basis = next(b for b in lawful_bases() if b.code == "ca-1989-s17")
    lawful_basis_save(user=hub["admin"], code=basis.code, label=basis.label, category=basis.category, active=False, basis=basis)
    referral = make_referral(hub, with_consent=False)
    got = fields(problem(propose(api, referral, bases=["ca-1989-s17"]), 422))
    assert got == {"lawful_basis.0": ["This lawful basis has been retired: choose an active one"]}


def test_one_override_at_a_time_and_none_once_decided(api, hub):
    referral = make_referral(hub, with_consent=False)
    assert propose(api, referral).status_code == 201
    assert "already waiting" in problem(propose(api, referral, as_="manager"), 409)["detail"]
    decided = make_triaged(hub, agencies=["police"])
    decide(hub, decided)
    assert "decided" in problem(propose(api, decided), 409)["detail"]
    assert ConsentOverride.objects.count() == 1


@pytest.mark.parametrize("username,status", [("police-rep", 403), ("education-rep", 404), ("analyst", 404), ("admin", 404), ("ig", 404)])
def test_only_hub_staff_propose(api, hub, username, status):
    referral = make_triaged(hub, agencies=["police"])
    problem(propose(api, referral, as_=username), status)
    assert not ConsentOverride.objects.exists()


# ------------------------------------------------------------------ authorising and rejecting


@pytest.fixture
def proposed(hub):
    """A referral whose consent was refused, and the practitioner's proposed override."""
    referral = make_referral(hub, with_consent=False)
    return override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="The father is the risk.")


def test_a_manager_authorises_a_practitioner_s_proposal(api, hub, proposed, freeze):
    freeze(T0 + dt.timedelta(minutes=20))
    response = authorise(api, proposed.pk)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decided_by"], body["decided_at"]) == ("authorised", "Morgan Reid", "2026-11-25T10:20:00+00:00")
    assert (body["self_authorised"], body["decision_reason"], body["proposed_by"]) == (False, "", "Priya Shah")
    assert [b["code"] for b in body["lawful_basis"]] == ["uk-gdpr-6-1-e", "dpa-2018-sch1-p18"]
    assert AuditEvent.objects.filter(action="override.authorise", details__self_authorised=False).exists()


def test_authorising_without_a_body_is_the_same_as_no_reason(api, hub, proposed):
    response = api.client.post(
        f"/api/v1/overrides/{proposed.pk}/authorise", data="", content_type="application/json",
        headers={"Authorization": f"Bearer {api.token('manager')}"},
    )
    assert response.status_code == 200, response.content


def test_a_practitioner_authorising_or_rejecting_is_403_and_nothing_changes(api, hub, proposed):
    assert "MASH manager" in problem(authorise(api, proposed.pk, as_="practitioner"), 403)["detail"]
    problem(reject(api, proposed.pk, {"reason": "No."}, as_="practitioner"), 403)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by_id, proposed.decided_at) == ("proposed", None, None)
    assert not AuditEvent.objects.filter(action__in=["override.authorise", "override.reject"]).exists()


@pytest.mark.parametrize("username", ["police-rep", "education-rep", "analyst", "admin", "ig"])
def test_roles_that_cannot_see_the_override_get_404(api, hub, username):
    referral = make_triaged(hub, agencies=["police"])  # police-rep can see the referral, not its overrides
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
    problem(authorise(api, override.pk, as_=username), 404)
    problem(reject(api, override.pk, {"reason": "No."}, as_=username), 404)
    override.refresh_from_db()
    assert override.status == "proposed"


def test_a_manager_authorising_their_own_proposal_needs_a_second_reason(api, hub):
    referral = make_referral(hub, with_consent=False)
    override_id = propose(api, referral, as_="manager", reason="Mother's partner is the subject of a police investigation.").json()["id"]

    got = fields(problem(authorise(api, override_id), 422))
    assert got == {"reason": ["You proposed this override: give a second reason to authorise it yourself"]}
    got = fields(problem(authorise(api, override_id, {"reason": "  mother's partner is the subject of a police investigation. "}), 422))
    assert got == {"reason": ["The second reason must say something the first does not"]}
    assert ConsentOverride.objects.get(pk=override_id).status == "proposed"

    response = authorise(api, override_id, {"reason": "No other manager is on duty and the child is at risk tonight."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["self_authorised"]) == ("authorised", True)
    assert body["decision_reason"] == "No other manager is on duty and the child is at risk tonight."
    assert body["proposed_by"] == body["decided_by"] == "Morgan Reid"


def test_a_manager_rejects_with_a_reason_and_another_can_then_be_proposed(api, hub, proposed):
    got = fields(problem(reject(api, proposed.pk, {}), 422))
    assert got == {"reason": ["This field is required"]}
    got = fields(problem(reject(api, proposed.pk, {"reason": "  "}), 422))
    assert got == {"reason": ["Give the reason for rejecting the override"]}
    response = reject(api, proposed.pk, {"reason": "Consent has not been sought; seek it first."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decision_reason"], body["decided_by"]) == ("rejected", "Consent has not been sought; seek it first.", "Morgan Reid")
    assert propose(api, proposed.referral).status_code == 201


def test_an_override_is_decided_once(api, hub, proposed):
    assert authorise(api, proposed.pk).status_code == 200
    assert "already been authorised" in problem(authorise(api, proposed.pk), 409)["detail"]
    assert "already been authorised" in problem(reject(api, proposed.pk, {"reason": "Changed my mind."}), 409)["detail"]
    assert ConsentOverride.objects.get(pk=proposed.pk).status == "authorised"


@pytest.mark.parametrize("override_id", ["999999", "0", str(2**63), str(10**30), "abc", "-1", "1.5", "%00"])
def test_overrides_that_do_not_exist_are_404(api, hub, override_id):
    for action in ("authorise", "reject"):
        problem(api.post(f"/api/v1/overrides/{override_id}/{action}", {"reason": "x"}, as_="manager"), 404)


BAD_DECISION_BODIES = [
    ("authorise", {"reason": 7}, "reason"),
    ("authorise", {"reason": "r" * 5001}, "reason"),
    ("authorise", {"reason": "ok\x00"}, "reason"),
    ("authorise", {"second_reason": "x"}, "second_reason"),
    ("authorise", [], ""),
    ("reject", {"reason": "r" * 5001}, "reason"),
    ("reject", {"reason": None}, "reason"),
    ("reject", {"reason": ["no"]}, "reason"),
    ("reject", {"reason": "no\x00"}, "reason"),
    ("reject", {"reason": "No.", "status": "authorised"}, "status"),
]


@pytest.mark.parametrize("action,body,field", BAD_DECISION_BODIES)
def test_bad_authorise_and_reject_bodies_are_422(api, hub, proposed, action, body, field):
    got = fields(problem(api.post(f"/api/v1/overrides/{proposed.pk}/{action}", body, as_="manager"), 422))
    assert field in got, got
    assert ConsentOverride.objects.get(pk=proposed.pk).status == "proposed"


# ------------------------------------------------------------------ the sharing log


def test_the_log_after_triage_and_answers(api, hub, freeze):
    referral = make_referral(hub)  # consent given for everyone
    triage(api, referral, agencies=["police", "education", "csc"])
    freeze(T0 + dt.timedelta(minutes=30))
    answer(hub, referral, "police", summary="Two call-outs this year.", restriction="manager_only")
    answer(hub, referral, "education", outcome="declined", decline_reason="Needs a court order.")
    answer(hub, referral, "csc", outcome="not_known")

    response = api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_="practitioner")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == referral.reference
    events = body["events"]
    sent = [e for e in events if e["kind"] == "request_sent"]
    assert sorted(e["to_agency"] for e in sent) == ["csc", "education", "police"]
    for e in sent:
        assert (e["decision"], e["from"], e["from_agency"], e["basis_kind"], e["basis_codes"]) == ("shared", "MASH", None, "consent", [])
        assert e["occurred_at"] == "2026-11-25T10:00:00+00:00"
        assert e["referrer_identity_protected"] is True and e["withheld"] == "The referrer's identity"
        assert "children" in e["items"] and "concern_narrative" in e["items"]
        assert e["subjects"] == people(referral)
        assert e["actor"] == {"name": "Morgan Reid", "role": "manager", "agency": None}
        assert e["channel"] == "in_service"

    later = [(e["kind"], e["decision"], e["from_agency"]) for e in events[3:]]
    assert later == [
        ("answer_given", "partial", "police"),
        ("restriction_applied", "not_shared", "police"),
        ("answer_declined", "not_shared", "education"),
        ("answer_not_known", "shared", "csc"),
    ]
    given_event = events[3]
    assert given_event["to"] == "MASH hub staff" and given_event["to_agency"] is None
    assert given_event["withheld"] == "Restricted: MASH manager only"
    assert given_event["items"][0].startswith("answer:") and given_event["items"][0].endswith(":summary")
    assert given_event["actor"] == {"name": "Dan Harris", "role": "agency_rep", "agency": "police"}
    assert given_event["occurred_at"] == "2026-11-25T10:30:00+00:00"
    declined = events[5]
    assert declined["why"] == "Needs a court order." and declined["withheld"] == "Whatever the agency holds"
    assert "Two call-outs" not in response.content.decode()  # the log names what was shared, never copies it
    assert AuditEvent.objects.filter(action="sharing_log.view", actor_username="practitioner", referral_reference=referral.reference).exists()


def test_the_log_records_a_decision_not_to_tell_the_referrer(api, hub):
    referral = make_triaged(hub, agencies=["police"])
    decide(hub, referral, referrer_informed="not_appropriate", referrer_informed_method="",
           referrer_informed_notes="The referrer is the alleged perpetrator's sister.")
    events = api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_="ig").json()["events"]
    assert (events[-1]["kind"], events[-1]["decision"], events[-1]["why"]) == (
        "referrer_not_told", "not_shared", "The referrer is the alleged perpetrator's sister.",
    )


@pytest.mark.parametrize("username,status", [
    ("manager", 200), ("practitioner", 200), ("ig", 200),
    ("police-rep", 404), ("education-rep", 404), ("analyst", 404), ("admin", 404),
])
def test_who_reads_the_log(api, hub, username, status):
    referral = make_triaged(hub, agencies=["police"])
    response = api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_=username)
    assert response.status_code == status, response.content
    if status == 404:
        unseen = problem(response, 404)
        missing = problem(api.get("/api/v1/referrals/MASH-2026-999999/sharing-log", as_=username), 404)
        # Told exactly what they would be told about a referral that does not exist.
        assert unseen["detail"].replace(referral.reference, "X") == missing["detail"].replace("MASH-2026-999999", "X")
        assert not AuditEvent.objects.filter(action="sharing_log.view").exists()


@pytest.mark.parametrize("username", ["manager", "ig"])
def test_the_log_of_a_referral_that_does_not_exist_is_404(api, hub, username):
    problem(api.get("/api/v1/referrals/MASH-2026-999999/sharing-log", as_=username), 404)
    problem(api.get("/api/v1/referrals/x%00y/sharing-log", as_=username), 404)


# ------------------------------------------------------------------ the lawful-basis list


@pytest.mark.parametrize("username", ["manager", "practitioner", "police-rep", "analyst", "admin", "ig"])
def test_any_signed_in_caller_reads_the_lawful_bases(api, hub, username):
    response = api.get("/api/v1/lawful-bases", as_=username)
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [r["code"] for r in rows] == SEED_CODES
    assert rows[0] == {"code": "uk-gdpr-6-1-c", "label": "UK GDPR Article 6(1)(c) – legal obligation", "category": "article_6", "active": True}
    assert {r["category"] for r in rows} == {"article_6", "special", "law_enforcement", "statute"}


def test_retired_bases_only_with_all(api, hub):
    basis = next(b for b in lawful_bases() if b.code == "ca-2004-s11")
    lawful_basis_save(user=hub["admin"], code=basis.code, label=basis.label, category=basis.category, active=False, basis=basis)
    assert "ca-2004-s11" not in [r["code"] for r in api.get("/api/v1/lawful-bases", as_="practitioner").json()]
    assert "ca-2004-s11" not in [r["code"] for r in api.get("/api/v1/lawful-bases", {"all": "false"}, as_="practitioner").json()]
    rows = api.get("/api/v1/lawful-bases", {"all": "true"}, as_="practitioner").json()
    assert [r for r in rows if r["code"] == "ca-2004-s11"][0]["active"] is False
    assert len(rows) == len(SEED_CODES)


@pytest.mark.parametrize("query,field", [({"all": "yes please"}, "all"), ({"all": "1 OR 1=1"}, "all"), ({"active": "false"}, "active")])
def test_bad_lawful_basis_queries_are_422(api, hub, query, field):
    assert field in fields(problem(api.get("/api/v1/lawful-bases", query, as_="practitioner"), 422))


def test_the_lawful_bases_need_a_token(api, hub):
    problem(api.get("/api/v1/lawful-bases"), 401)


# ------------------------------------------------------------------ the referrer's identity on an agency's request


def test_an_agency_sees_the_referrer_only_once_released_to_it(api, hub):
    referral = make_triaged(hub, agencies=["police", "education"])
    police = referral.requests.get(agency__code="police").pk
    education = referral.requests.get(agency__code="education").pk

    def read(request_id, username):
        response = api.get(f"/api/v1/information-requests/{request_id}", as_=username)
        assert response.status_code == 200, response.content
        return response.json()

    body = read(police, "police-rep")
    assert "referrer" not in body and "Helen Marsh" not in str(body)

    referrer_release(user=hub["manager"], referral=referral, agency_codes=["police"], reason="Police need to speak to the school.")
    assert read(police, "police-rep")["referrer"] == {
        "anonymous": False, "name": "Helen Marsh", "role": "Designated safeguarding lead", "organisation": "Oakfield Primary",
        "phone": "020 7946 0123", "email": "",
    }
    assert "referrer" not in read(education, "education-rep")  # released to police only
    for username in ("manager", "practitioner"):
        assert "referrer" not in read(police, username)  # hub staff see it on the referral itself
    released = [e for e in api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_="manager").json()["events"] if e["kind"] == "referrer_released"]
    assert [(e["to_agency"], e["referrer_identity_protected"], e["why"]) for e in released] == [("police", False, "Police need to speak to the school.")]


# ------------------------------------------------------------------ restricted answers never leak


MANAGER_ONLY = "CANARY-NIGHTJAR-7741"  # police: "MASH manager only"
NOT_FOR_FAMILY = "CANARY-KESTREL-5319"  # children's social care: "not to be disclosed to the family"
WALKERS = ["manager", "practitioner", "police-rep", "csc-rep", "education-rep", "analyst", "admin", "ig"]


@pytest.fixture
def restricted(api, hub):
    referral = make_triaged(hub, rating="red", agencies=["police", "csc", "education"])
    answer(hub, referral, "police", summary=f"Intelligence {MANAGER_ONLY}.", detail=f"Detail {MANAGER_ONLY}",
           systems_checked=f"Niche {MANAGER_ONLY}", restriction="manager_only")
    answer(hub, referral, "csc", summary=f"Previous plan {NOT_FOR_FAMILY}.", detail=f"Detail {NOT_FOR_FAMILY}",
           systems_checked=f"Mosaic {NOT_FOR_FAMILY}", restriction="not_for_family")
    requests = {r.agency.code: r.pk for r in referral.requests.select_related("agency")}
    return referral, requests


def _may_see(route: str, username: str, requests: dict) -> set[str]:
    """Which canaries this caller may be shown on this route: only where the answer itself is shown."""
    seen = set()
    if route == "GET referral" or route == f"GET request {requests['police']}":
        if username in ("manager", "police-rep"):
            seen.add(MANAGER_ONLY)
    if route == "GET referral" or route == f"GET request {requests['csc']}":
        if username in ("manager", "practitioner", "csc-rep"):
            seen.add(NOT_FOR_FAMILY)
    return seen


def test_restricted_answers_never_leak_through_any_api_route_as_any_role(api, hub, restricted):
    referral, requests = restricted
    ref = referral.reference
    children = people(referral, "child")
    leaks, shown = [], set()
    for username in WALKERS:
        # An override for this walker's authorise and reject calls (proposed, or decided by an earlier walker).
        live = ConsentOverride.objects.filter(referral=referral).order_by("-id").first()
        if live is None:
            live = override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
        calls = {
            "GET referral": lambda: api.get(f"/api/v1/referrals/{ref}", as_=username),
            **{f"GET request {pk}": (lambda pk=pk: api.get(f"/api/v1/information-requests/{pk}", as_=username)) for pk in requests.values()},
            "GET requests": lambda: api.get("/api/v1/information-requests", {"status": "all"}, as_=username),
            "GET board": lambda: api.get("/api/v1/board", as_=username),
            "GET people": lambda: api.get("/api/v1/people/search", {"family_name": "Smith"}, as_=username),
            "GET sharing-log": lambda: api.get(f"/api/v1/referrals/{ref}/sharing-log", as_=username),
            "GET lawful-bases": lambda: api.get("/api/v1/lawful-bases", {"all": "true"}, as_=username),
            "POST consent": lambda: api.post(f"/api/v1/referrals/{ref}/consent", given(children), as_=username),
            "POST overrides": lambda: propose(api, referral, as_=username),
            "POST authorise": lambda: authorise(api, live.pk, as_=username),
            "POST reject": lambda: reject(api, live.pk, {"reason": "Not needed."}, as_=username),
            "POST triage": lambda: triage(api, referral, rating="amber", agencies=["police"], as_=username),
        }
        for route, call in calls.items():
            response = call()
            assert response.status_code < 500, (route, username, response.content[:300])
            text = response.content.decode()
            allowed = _may_see(route, username, requests)
            for canary in (MANAGER_ONLY, NOT_FOR_FAMILY):
                if canary in text:
                    shown.add((route, username, canary))
                    if canary not in allowed:
                        leaks.append(f"{route} as {username} shows {canary}")
    assert not leaks, "\n".join(leaks)
    # The walk did look where the canaries are allowed (a walk that saw nothing would prove nothing)…
    assert ("GET referral", "manager", MANAGER_ONLY) in shown and ("GET referral", "practitioner", NOT_FOR_FAMILY) in shown
    assert (f"GET request {requests['police']}", "police-rep", MANAGER_ONLY) in shown
    assert (f"GET request {requests['csc']}", "csc-rep", NOT_FOR_FAMILY) in shown
    # …and the log it read does record both restrictions.
    assert SharingEvent.objects.filter(referral=referral, kind="restriction_applied").count() == 2


@pytest.mark.parametrize("username", ["practitioner", "ig"])
def test_a_restricted_answer_s_correction_reason_does_not_leak_through_the_log(api, hub, username):
    referral = make_triaged(hub, agencies=["police"])
    answer(hub, referral, "police", summary="First version.", restriction="manager_only")
    answer(hub, referral, "police", summary="Second version.", restriction="manager_only",
           correction_reason=f"Wrong nominal linked: {MANAGER_ONLY}")
    assert MANAGER_ONLY not in api.get(f"/api/v1/referrals/{referral.reference}", as_="practitioner").content.decode()
    response = api.get(f"/api/v1/referrals/{referral.reference}/sharing-log", as_=username)
    assert response.status_code == 200
    assert MANAGER_ONLY not in response.content.decode()
