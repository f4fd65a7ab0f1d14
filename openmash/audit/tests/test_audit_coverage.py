"""Every view of case data leaves an audit event tied to its request; every change writes its event in
the same transaction as the change, so that neither survives without the other."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from openmash.accounts import services as account_services
from openmash.accounts.models import SignInThrottle, ApiToken, User
from openmash.agencies import services as agency_services
from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.audit.services import audit_record as real_audit_record
from openmash.core.testing.factories import answer, make_referral, make_triaged, referral_input
from openmash.information_requests import services as answer_services
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.information_requests.services import AnswerInput
from openmash.people import services as people_services
from openmash.people.models import Address, Person, Relationship
from openmash.referrals import services as referral_services
from openmash.referrals.models import (
    ClockPolicy,
    Decision,
    RatingChange,
    ReferenceCounter,
    Referral,
    ReferralConcern,
    ReferralPerson,
)
from openmash.referrals.services import DecisionInput

pytestmark = pytest.mark.django_db


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_actor(event: AuditEvent, user):
    assert (event.actor_id, event.actor_username, event.actor_role, event.actor_agency) == (
        user.pk, user.username, user.role, user.agency.code if user.agency_id else "",
    )


@pytest.fixture
def case(hub, freeze):
    """A red referral asking police and education; police has answered."""
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    answer(hub, referral, "police")
    return referral


def _views_after(mark: int):
    return AuditEvent.objects.filter(pk__gt=mark)


def _mark() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


# ------------------------------------------------------------------ every view of case data is audited


def _get_and_event(client, url, action, **params):
    mark = _mark()
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    events = list(_views_after(mark).filter(action=action))
    assert len(events) == 1, [str(e) for e in _views_after(mark)]
    event = events[0]
    assert event.request_id and event.request_id == response["X-Request-ID"]
    assert event.ip_address == "127.0.0.1"
    return event


def test_the_referral_page_is_audited(hub, case):
    user = hub["practitioner"]
    event = _get_and_event(client_for(user), reverse("referrals:detail", kwargs={"reference": case.reference}), "referral.view")
    assert_actor(event, user)
    assert (event.object_type, event.object_id, event.referral_reference) == ("referral", str(case.pk), case.reference)


def test_the_request_page_is_audited(hub, case):
    user = hub["police-rep"]
    request = InformationRequest.objects.get(referral=case, agency__code="police")
    event = _get_and_event(client_for(user), reverse("information_requests:detail", kwargs={"request_id": request.pk}),
                           "information_request.view")
    assert_actor(event, user)
    assert event.actor_agency == "police"
    assert (event.object_type, event.object_id, event.referral_reference) == ("information_request", str(request.pk), case.reference)


def test_the_person_page_is_audited(hub, case):
    user = hub["manager"]
    child = case.people.filter(kind="child").first().person
    event = _get_and_event(client_for(user), reverse("people:detail", kwargs={"person_id": child.pk}), "person.view")
    assert_actor(event, user)
    assert (event.object_type, event.object_id) == ("person", str(child.pk))


@pytest.mark.parametrize("status", ["", "awaiting_triage", "gathering", "decided"])
def test_the_dashboard_lists_are_audited(hub, case, status):
    user = hub["practitioner"]
    event = _get_and_event(client_for(user), reverse("referrals:dashboard"), "referral.list", **({"status": status} if status else {}))
    assert_actor(event, user)
    assert event.object_type == "referral"
    assert event.details == {"status": status or "all", "count": 0 if status in ("awaiting_triage", "decided") else 1}


def test_an_agencys_request_list_is_audited(hub, case):
    user = hub["education-rep"]
    event = _get_and_event(client_for(user), reverse("information_requests:list"), "information_request.list")
    assert_actor(event, user)
    assert event.details == {"status": "open", "count": 1}


def test_a_person_search_is_audited_with_its_criteria_and_results(hub, case):
    user = hub["practitioner"]
    children = sorted(case.people.filter(kind="child").values_list("person_id", flat=True))
    event = _get_and_event(client_for(user), reverse("people:search"), "person.search", family_name="smith", postcode="se154ab")
    assert_actor(event, user)
    assert event.details["criteria"]["family_name"] == "smith"
    assert event.details["criteria"]["postcode"] == "SE15 4AB"
    assert sorted(event.details["results"]) == children


def test_a_search_while_recording_a_referral_is_audited(hub, case):
    user = hub["practitioner"]
    event = _get_and_event(client_for(user), reverse("referrals:new-person-search", kwargs={"kind": "child"}), "person.search",
                           given_name="Jay")
    assert event.details["context"] == "recording a referral"


def test_the_decision_page_which_names_the_children_is_audited(hub, case):
    user = hub["manager"]
    event = _get_and_event(client_for(user), reverse("referrals:decision", kwargs={"reference": case.reference}), "referral.view")
    assert_actor(event, user)
    assert (event.object_id, event.referral_reference) == (str(case.pk), case.reference)


def test_a_request_id_from_the_proxy_is_kept(hub, case):
    client = client_for(hub["practitioner"])
    mark = _mark()
    response = client.get(reverse("referrals:detail", kwargs={"reference": case.reference}), headers={"X-Request-ID": "proxy-req-12345678"})
    assert response["X-Request-ID"] == "proxy-req-12345678"
    assert _views_after(mark).get(action="referral.view").request_id == "proxy-req-12345678"
    # A malformed one is replaced, not copied into the audit trail.
    mark = _mark()
    response = client.get(reverse("referrals:detail", kwargs={"reference": case.reference}), headers={"X-Request-ID": "<script>"})
    assert response["X-Request-ID"] != "<script>"
    assert _views_after(mark).get(action="referral.view").request_id == response["X-Request-ID"]


def test_each_request_gets_its_own_id(hub, case):
    client = client_for(hub["practitioner"])
    url = reverse("referrals:detail", kwargs={"reference": case.reference})
    first, second = client.get(url)["X-Request-ID"], client.get(url)["X-Request-ID"]
    assert first != second
    assert set(AuditEvent.objects.filter(action="referral.view").values_list("request_id", flat=True)) == {first, second}


def test_a_page_change_is_audited_with_its_request_id(hub, case):
    client = client_for(hub["education-rep"])
    request = InformationRequest.objects.get(referral=case, agency__code="education")
    response = client.post(reverse("information_requests:detail", kwargs={"request_id": request.pk}), {"outcome": "not_known"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="information_request.answer", object_id=str(request.pk))
    assert event.request_id == response["X-Request-ID"]
    assert_actor(event, hub["education-rep"])


# ------------------------------------------------------------------ changes and their events commit together


class Boom(Exception):
    pass


def _fail_after_audit(monkeypatch, module):
    """Make `module`'s audit write succeed and then fail, as a later step in the same transaction would."""
    written = []

    def audit_then_fail(**kwargs):
        written.append(real_audit_record(**kwargs))
        raise Boom(kwargs["action"])

    monkeypatch.setattr(module, "audit_record", audit_then_fail)
    return written


def _state():
    return {
        "audit": AuditEvent.objects.count(),
        "referrals": list(Referral.objects.values_list("pk", "status", "rating", "decided_at")),
        "people": Person.objects.count(),
        "addresses": Address.objects.count(),
        "relationships": Relationship.objects.count(),
        "links": ReferralPerson.objects.count(),
        "concerns": ReferralConcern.objects.count(),
        "counters": list(ReferenceCounter.objects.values_list("year", "last")),
        "ratings": RatingChange.objects.count(),
        "requests": list(InformationRequest.objects.order_by("pk").values_list("pk", "status", "due_at", "answered_at")),
        "answers": InformationAnswer.objects.count(),
        "decisions": Decision.objects.count(),
        "policies": list(ClockPolicy.objects.order_by("rating").values_list("rating", "minutes", "basis")),
        "agencies": list(Agency.objects.order_by("code").values_list("code", "name", "active")),
        "users": list(User.objects.order_by("pk").values_list("pk", "username", "role", "is_active", "password")),
        "throttles": list(SignInThrottle.objects.order_by("username_key").values_list("username_key", "failures", "locked_until")),
        "tokens": ApiToken.objects.count(),
    }


def _assert_rolled_back(monkeypatch, module, action, change):
    before = _state()
    written = _fail_after_audit(monkeypatch, module)
    with pytest.raises(Boom):
        change()
    assert [e.action for e in written] == [action]  # the event was written…
    assert _state() == before  # …and went with everything else when the transaction failed
    assert not AuditEvent.objects.filter(pk=written[0].pk).exists()


def test_recording_a_referral(hub, freeze, monkeypatch):
    freeze(T0)
    _assert_rolled_back(
        monkeypatch, referral_services, "referral.create",
        lambda: referral_services.referral_create(user=hub["practitioner"], data=referral_input()),
    )


def test_recording_a_referral_when_a_step_after_the_people_fails(hub, freeze, monkeypatch):
    freeze(T0)
    before = _state()

    def fail(*args, **kwargs):
        raise Boom("concerns")

    monkeypatch.setattr(ReferralConcern.objects, "bulk_create", fail)
    with pytest.raises(Boom):
        referral_services.referral_create(user=hub["practitioner"], data=referral_input())
    # The three people (and their "person.create" events) were written before the failure; none remain.
    assert _state() == before
    monkeypatch.undo()
    assert make_referral(hub).reference == "MASH-2026-000001"


def test_creating_a_person(hub, freeze, monkeypatch):
    freeze(T0)
    _assert_rolled_back(
        monkeypatch, people_services, "person.create",
        lambda: referral_services.referral_create(user=hub["practitioner"], data=referral_input()),
    )


def test_rating(hub, freeze, monkeypatch):
    freeze(T0)
    referral = make_referral(hub)
    _assert_rolled_back(
        monkeypatch, referral_services, "referral.triage",
        lambda: referral_services.referral_triage(user=hub["manager"], referral=referral, rating="urgent", rationale="Now."),
    )


def test_re_rating(hub, freeze, monkeypatch):
    freeze(T0)
    referral = make_triaged(hub, rating="green", agencies=["police"])
    _assert_rolled_back(
        monkeypatch, referral_services, "referral.rerate",
        lambda: referral_services.referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="Worse.",
                                                  agency_codes=["education"]),
    )


def test_answering(hub, case, monkeypatch):
    request = InformationRequest.objects.get(referral=case, agency__code="education")
    _assert_rolled_back(
        monkeypatch, answer_services, "information_request.answer",
        lambda: answer_services.information_request_answer(
            user=hub["education-rep"], request=request, data=AnswerInput(outcome="held", summary="Known.")),
    )


def test_correcting_an_answer(hub, case, monkeypatch):
    request = InformationRequest.objects.get(referral=case, agency__code="police")
    _assert_rolled_back(
        monkeypatch, answer_services, "information_request.correct",
        lambda: answer_services.information_request_answer(
            user=hub["police-rep"], request=request,
            data=AnswerInput(outcome="not_known", correction_reason="Wrong family.")),
    )


def test_deciding(hub, case, monkeypatch):
    children = case.people.filter(kind="child").values_list("person_id", flat=True)
    data = DecisionInput(outcomes={pid: "nfa" for pid in children}, rationale="No concerns.", threshold_level=1,
                         early_decision_reason="Enough.", referrer_informed="not_yet")
    _assert_rolled_back(
        monkeypatch, referral_services, "referral.decide",
        lambda: referral_services.decision_record(user=hub["manager"], referral=case, data=data),
    )


def test_changing_the_clock_policy(hub, monkeypatch):
    _assert_rolled_back(
        monkeypatch, referral_services, "clock_policy.update",
        lambda: referral_services.clock_policy_update(user=hub["admin"], rating="red", minutes=120, basis="working"),
    )


def test_changing_the_decision_clock(hub, monkeypatch):
    from openmash.referrals.models import DecisionClock

    _assert_rolled_back(
        monkeypatch, referral_services, "decision_clock.update",
        lambda: referral_services.decision_clock_update(user=hub["admin"], minutes=240, basis="calendar"),
    )
    assert not DecisionClock.objects.exists()


def test_adding_and_changing_an_agency(hub, monkeypatch):
    _assert_rolled_back(
        monkeypatch, agency_services, "agency.create",
        lambda: agency_services.agency_create(user=hub["admin"], code="fire", name="Fire and rescue"),
    )
    agency = Agency.objects.get(code="gp")
    _assert_rolled_back(
        monkeypatch, agency_services, "agency.update",
        lambda: agency_services.agency_update(user=hub["admin"], agency=agency, name="GP practices", active=False),
    )


def test_managing_users(hub, monkeypatch):
    admin = hub["admin"]
    _assert_rolled_back(
        monkeypatch, account_services, "user.create",
        lambda: account_services.user_create(user=admin, username="nia", first_name="Nia", last_name="Okoro",
                                             email="nia@council.example.gov.uk", role="manager",
                                             password="a long enough pass phrase"),
    )
    target = User.objects.get(username="police-rep")
    _assert_rolled_back(
        monkeypatch, account_services, "user.update",
        lambda: account_services.user_update(user=admin, target=target, first_name="Dan", last_name="Harris",
                                             email="dan@police.example.gov.uk", role="manager", is_active=False),
    )
    _assert_rolled_back(
        monkeypatch, account_services, "user.set_password",
        lambda: account_services.user_set_password(user=admin, target=User.objects.get(username="police-rep"),
                                                   password="another long pass phrase"),
    )
    _assert_rolled_back(
        monkeypatch, account_services, "api_token.create",
        lambda: account_services.api_token_create(user=target, name="niche", created_by=admin),
    )


def test_unlocking_a_user(hub, freeze, monkeypatch):
    freeze(T0)
    SignInThrottle.objects.create(username_key="practitioner", locked_until=T0 + dt.timedelta(minutes=5))
    _assert_rolled_back(
        monkeypatch, account_services, "user.unlock",
        lambda: account_services.user_unlock(user=hub["admin"], target=User.objects.get(username="practitioner")),
    )


def test_signing_in_and_failing_to(hub, freeze, monkeypatch, rf):
    from openmash.core.demo import DEMO_PASSWORD

    freeze(T0)
    SignInThrottle.objects.create(username_key="practitioner", failures=3)
    _assert_rolled_back(
        monkeypatch, account_services, "account.sign_in",
        lambda: account_services.account_sign_in(request=rf.post("/sign-in/"), username="practitioner", password=DEMO_PASSWORD),
    )
    SignInThrottle.objects.filter(username_key="practitioner").update(failures=4)
    _assert_rolled_back(
        monkeypatch, account_services, "account.sign_in_failed",
        lambda: account_services.account_sign_in(request=rf.post("/sign-in/"), username="practitioner", password="wrong"),
    )
