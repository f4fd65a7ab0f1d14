"""Agency answers: who may answer, what each outcome needs, lateness, corrections, and who sees them."""

import datetime as dt

import pytest

from openmash.access.policy import can_see_answer
from openmash.audit.models import AuditEvent
from openmash.core.errors import Forbidden, InvalidInput, NotFound
from openmash.core.testing.factories import answer, make_triaged
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.information_requests.selectors import agency_requests, request_page
from openmash.information_requests.services import AnswerInput, information_request_answer
from openmash.referrals.selectors import referral_page

pytestmark = pytest.mark.django_db


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London


@pytest.fixture
def referral(hub, freeze):
    """Red (4 hours) from T0, asking police and education."""
    freeze(T0)
    return make_triaged(hub, rating="red", agencies=["police", "education"])


def _request(referral, code) -> InformationRequest:
    return InformationRequest.objects.get(referral=referral, agency__code=code)


def _answer(hub, referral, code="police", user=None, **fields):
    return information_request_answer(
        user=hub[user or f"{code}-rep"], request=_request(referral, code), data=AnswerInput(**fields)
    )


def _unanswered(referral, code="police"):
    request = _request(referral, code)
    assert request.status == "open" and request.answered_at is None
    assert not InformationAnswer.objects.filter(request=request).exists()
    assert not AuditEvent.objects.filter(object_type="information_request", object_id=str(request.pk)).exists()


# ------------------------------------------------------------------ who may answer


@pytest.mark.parametrize("username", ["education-rep", "practitioner", "manager", "analyst", "admin", "ig"])
def test_only_the_agencys_representative_may_answer(hub, referral, username):
    with pytest.raises(Forbidden):
        _answer(hub, referral, "police", user=username, outcome="held", summary="Known to us.")
    _unanswered(referral, "police")


def test_a_deactivated_representative_may_not_answer(hub, referral):
    rep = hub["police-rep"]
    rep.is_active = False
    rep.save()
    with pytest.raises(Forbidden):
        _answer(hub, referral, "police", outcome="not_known")
    _unanswered(referral, "police")


# ------------------------------------------------------------------ what each outcome needs


@pytest.mark.parametrize(
    "fields, errors",
    [
        pytest.param({"outcome": ""}, {"outcome": ["Select whether your agency holds information, does not know the family, or declines"]}, id="no-outcome"),
        pytest.param({"outcome": "maybe"}, {"outcome": ["Select whether your agency holds information, does not know the family, or declines"]}, id="unknown-outcome"),
        pytest.param({"outcome": "held", "summary": "  "}, {"summary": ["Summarise the information your agency holds"]}, id="held-without-summary"),
        pytest.param({"outcome": "declined", "decline_reason": ""}, {"decline_reason": ["Give the reason for declining to share"]}, id="declined-without-reason"),
        pytest.param({"outcome": "held", "summary": "x", "restriction": "secret"}, {"restriction": ["Select who may see this information"]}, id="unknown-restriction"),
        pytest.param({"outcome": "held", "summary": "x" * 2001}, {"summary": ["The summary must be 2,000 characters or fewer"]}, id="summary-2001"),
        pytest.param({"outcome": "held", "summary": "x", "detail": "x" * 20001}, {"detail": ["The detail must be 20,000 characters or fewer"]}, id="detail-20001"),
        pytest.param({"outcome": "held", "summary": "x", "systems_checked": "x" * 501}, {"systems_checked": ["Systems checked must be 500 characters or fewer"]}, id="systems-501"),
        pytest.param({"outcome": "declined", "decline_reason": "x" * 5001}, {"decline_reason": ["The reason must be 5,000 characters or fewer"]}, id="reason-5001"),
        pytest.param({"outcome": "not_known", "correction_reason": "x" * 2001}, {"correction_reason": ["The reason for the correction must be 2,000 characters or fewer"]}, id="correction-2001"),
    ],
)
def test_bad_answers_are_refused(hub, referral, fields, errors):
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, "police", **fields)
    assert caught.value.errors == errors
    _unanswered(referral, "police")


def test_not_known_needs_nothing_more(hub, referral, freeze):
    freeze(T0 + dt.timedelta(hours=1))
    saved = _answer(hub, referral, "police", outcome="not_known")
    assert (saved.outcome, saved.summary, saved.version, saved.late) == ("not_known", "", 1, False)


def test_held_keeps_its_restriction(hub, referral):
    saved = _answer(hub, referral, "police", outcome="held", summary="Two call-outs.", detail="DV call-outs in 2025.",
                    systems_checked="Niche", restriction="manager_only")
    assert (saved.restriction, saved.summary, saved.detail, saved.systems_checked) == (
        "manager_only", "Two call-outs.", "DV call-outs in 2025.", "Niche",
    )
    saved = _answer(hub, referral, "education", outcome="held", summary="Attendance 80%.", restriction="not_for_family")
    assert saved.restriction == "not_for_family"


@pytest.mark.parametrize("outcome, extra", [("not_known", {}), ("declined", {"decline_reason": "Not proportionate."})])
def test_only_held_information_can_be_restricted(hub, referral, outcome, extra):
    saved = _answer(hub, referral, "police", outcome=outcome, restriction="manager_only", **extra)
    saved.refresh_from_db()
    assert saved.restriction == "none"


@pytest.mark.parametrize("outcome, extra", [("not_known", {}), ("declined", {"decline_reason": "Not proportionate."})])
@pytest.mark.parametrize("restriction", ["", "nonsense"])
def test_the_restriction_question_is_skipped_unless_information_is_held(hub, referral, outcome, extra, restriction):
    # The page only asks "who may see this?" under "information held"; the other answers never need it.
    saved = _answer(hub, referral, "police", outcome=outcome, restriction=restriction, **extra)
    assert saved.restriction == "none"


def test_a_decline_reason_is_kept_only_for_a_decline(hub, referral):
    saved = _answer(hub, referral, "police", outcome="declined", decline_reason="Live investigation.")
    assert saved.decline_reason == "Live investigation."
    saved = _answer(hub, referral, "education", outcome="held", summary="Known.", decline_reason="stray text")
    assert saved.decline_reason == ""


# ------------------------------------------------------------------ timing and versions


def test_the_first_answer_sets_the_answered_time_and_status(hub, referral, freeze):
    freeze(T0 + dt.timedelta(hours=3, minutes=59))
    saved = _answer(hub, referral, "police", outcome="held", summary="Known.")
    request = _request(referral, "police")
    assert (request.status, request.answered_at, request.late) == ("answered", T0 + dt.timedelta(hours=3, minutes=59), False)
    assert (saved.answered_at, saved.answered_by_id, saved.late) == (request.answered_at, hub["police-rep"].pk, False)
    event = AuditEvent.objects.get(action="information_request.answer", object_id=str(request.pk))
    assert event.actor_username == "police-rep" and event.actor_agency == "police"
    assert event.referral_reference == referral.reference
    # The other agency's request is untouched.
    assert _request(referral, "education").status == "open"


def test_an_answer_exactly_at_the_due_time_is_on_time(hub, referral, freeze):
    freeze(_request(referral, "police").due_at)
    assert _answer(hub, referral, "police", outcome="not_known").late is False


def test_a_late_answer_is_accepted_and_marked_late(hub, referral, freeze):
    freeze(T0 + dt.timedelta(hours=4, seconds=1))
    saved = _answer(hub, referral, "police", outcome="held", summary="Known.")
    request = _request(referral, "police")
    assert saved.late is True
    assert request.status == "answered" and request.late is True


def test_a_second_answer_is_a_new_version_with_a_reason(hub, referral, freeze):
    freeze(T0 + dt.timedelta(hours=1))
    first = _answer(hub, referral, "police", outcome="not_known")
    freeze(T0 + dt.timedelta(hours=5))
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, "police", outcome="held", summary="Found a record after all.")
    assert caught.value.errors == {"correction_reason": ["Say what this correction changes and why"]}
    assert InformationAnswer.objects.filter(request=first.request).count() == 1

    second = _answer(hub, referral, "police", outcome="held", summary="Found a record after all.",
                     correction_reason="Searched the archive system too.", restriction="manager_only")
    assert (second.version, second.correction_reason, second.late) == (2, "Searched the archive system too.", True)
    before = InformationAnswer.objects.get(pk=first.pk)
    assert (before.version, before.outcome, before.summary, before.answered_at, before.correction_reason, before.late) == (
        1, "not_known", "", T0 + dt.timedelta(hours=1), "", False,
    )
    request = _request(referral, "police")
    # The request counts as answered (on time) from its first answer.
    assert request.answered_at == T0 + dt.timedelta(hours=1) and request.late is False
    actions = list(AuditEvent.objects.filter(object_id=str(request.pk), object_type="information_request")
                   .values_list("action", "details__version"))
    assert actions == [("information_request.answer", 1), ("information_request.correct", 2)]


def test_a_first_answer_does_not_keep_a_stray_correction_reason(hub, referral):
    saved = _answer(hub, referral, "police", outcome="not_known", correction_reason="Nothing to correct.")
    assert saved.correction_reason == ""


# ------------------------------------------------------------------ reading requests and answers


def test_an_agency_sees_only_its_own_requests_soonest_due_first(hub, freeze):
    freeze(T0)
    green = make_triaged(hub, rating="green", agencies=["police", "education"])
    urgent = make_triaged(hub, rating="urgent", agencies=["police"])
    amber = make_triaged(hub, rating="amber", agencies=["police", "education"])
    red = make_triaged(hub, rating="red", agencies=["education"])
    answered = make_triaged(hub, rating="urgent", agencies=["police"])
    answer(hub, answered, "police")

    rows = agency_requests(user=hub["police-rep"])
    assert [r.referral.reference for r in rows] == [urgent.reference, amber.reference, green.reference]
    assert {r.agency.code for r in rows} == {"police"}
    rows = agency_requests(user=hub["education-rep"])
    assert [r.referral.reference for r in rows] == [red.reference, amber.reference, green.reference]
    everything = agency_requests(user=hub["police-rep"], status=None)
    assert len(everything) == 4 and {r.agency.code for r in everything} == {"police"}
    assert agency_requests(user=hub["housing-rep"]) == []
    for username in ("analyst", "admin", "ig"):
        assert agency_requests(user=hub[username]) == []


def test_another_agencys_request_is_not_found(hub, referral):
    education = _request(referral, "education")
    with pytest.raises(NotFound):
        request_page(user=hub["police-rep"], request_id=education.pk)
    for bad in (987654, "abc", None):
        with pytest.raises(NotFound):
            request_page(user=hub["police-rep"], request_id=bad)
    page = request_page(user=hub["education-rep"], request_id=education.pk)
    assert page.request.pk == education.pk and page.can_answer


def test_the_request_page_shows_only_the_agencys_own_answers(hub, referral):
    _answer(hub, referral, "police", outcome="held", summary="Police know.", restriction="manager_only")
    _answer(hub, referral, "education", outcome="held", summary="School knows.")
    page = request_page(user=hub["police-rep"], request_id=_request(referral, "police").pk)
    assert [a.summary for a in page.answers] == ["Police know."]
    # The referral page, for a representative, lists only their agency's request and answers.
    ref_page = referral_page(user=hub["education-rep"], reference=referral.reference)
    assert [(v.request.agency.code, [a.summary for a in v.answers]) for v in ref_page.requests] == [
        ("education", ["School knows."])
    ]


def test_who_sees_which_answer(hub, referral):
    restricted = _answer(hub, referral, "police", outcome="held", summary="Restricted.", restriction="manager_only")
    family = _answer(hub, referral, "education", outcome="held", summary="Not for the family.", restriction="not_for_family")
    expected = {
        "manager": (True, True),
        "practitioner": (False, True),
        "police-rep": (True, False),
        "education-rep": (False, True),
        "housing-rep": (False, False),
        "analyst": (False, False),
        "admin": (False, False),
        "ig": (False, False),
    }
    seen = {u: (can_see_answer(hub[u], restricted), can_see_answer(hub[u], family)) for u in expected}
    assert seen == expected
    page = referral_page(user=hub["practitioner"], reference=referral.reference)
    police = next(v for v in page.requests if v.request.agency.code == "police")
    assert police.answers == [] and police.hidden_answers == 1
    page = referral_page(user=hub["manager"], reference=referral.reference)
    police = next(v for v in page.requests if v.request.agency.code == "police")
    assert [a.summary for a in police.answers] == ["Restricted."] and police.hidden_answers == 0
