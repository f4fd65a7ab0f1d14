"""The referral lifecycle end to end through the services: record → triage → answer → decide."""

import datetime as dt

import pytest

from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, decide, make_referral
from openmash.information_requests.models import InformationRequest, RequestStatus
from openmash.referrals.models import Referral
from openmash.referrals.services import referral_triage

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)  # a Wednesday, 10:00 in London


def test_full_lifecycle(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    assert referral.reference == "MASH-2026-000001"
    assert referral.status == "awaiting_triage"
    assert referral.people.filter(kind="child").count() == 2

    freeze(T0 + dt.timedelta(minutes=30))
    referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="DV", agency_codes=None)
    requests = InformationRequest.objects.filter(referral=referral)
    assert requests.count() == 16
    assert {r.due_at for r in requests} == {T0 + dt.timedelta(minutes=30, hours=4)}

    freeze(T0 + dt.timedelta(hours=5))
    late = answer(hub, referral, "police")
    assert late.late

    decide(hub, referral, outcome="assessment")
    referral.refresh_from_db()
    assert referral.status == "decided"
    assert InformationRequest.objects.filter(referral=referral, status=RequestStatus.NOT_NEEDED).count() == 15
    actions = list(AuditEvent.objects.filter(referral_reference=referral.reference).values_list("action", flat=True))
    assert actions.count("person.create") == 3  # two children and their mother, all new
    assert actions.index("referral.create") < actions.index("referral.triage") < actions.index("referral.decide")
    assert Referral.objects.count() == 1
