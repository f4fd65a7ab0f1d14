"""Reads for referrals. Every read of case data for a page or the API goes through here, and every
read of one referral is audited."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When

from openmash.access.policy import (
    access_referral,
    can_decide,
    can_see_answer,
    can_triage,
    is_agency_rep,
    is_hub_staff,
    referrals_visible_to,
)
from openmash.audit.services import audit_record
from openmash.information_requests.models import InformationAnswer, InformationRequest, RequestStatus
from openmash.information_requests.selectors import answers_with_involvements
from openmash.people.selectors import Household, referral_household
from openmash.referrals.codes import RATING_ORDER, ConcernCategory, Rating, ReferralStatus
from openmash.referrals.models import (
    ChildOutcome,
    ClockPolicy,
    Decision,
    DecisionClock,
    RatingChange,
    Referral,
    ReferralPerson,
)


def referral_queue(*, user, status: str | None = None, open_only: bool = False, limit: int = 500):
    """Referrals for the hub's lists, soonest-needed first, with counts for the request columns."""
    qs = referrals_visible_to(user).prefetch_related(
        Prefetch(
            "people",
            queryset=ReferralPerson.objects.filter(kind="child").select_related("person").order_by("position"),
            to_attr="child_links",
        )
    ).annotate(
        requests_total=Count("requests", distinct=True),
        requests_answered=Count("requests", filter=Q(requests__status=RequestStatus.ANSWERED), distinct=True),
    )
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.exclude(status=ReferralStatus.DECIDED)
    if status == ReferralStatus.AWAITING_TRIAGE:
        qs = qs.order_by("received_at", "id")
    elif status == ReferralStatus.DECIDED:
        qs = qs.order_by("-decided_at", "-id")
    else:
        # Urgent first (a strategy discussion is needed now), then by the hub's decision clock.
        qs = qs.annotate(
            urgent_first=Case(When(rating=Rating.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("urgent_first", "decision_due_at", "id")
    rows = list(qs[:limit])
    audit_record(user=user, action="referral.list", object_type="referral", details={"status": status or "all", "count": len(rows)})
    return rows


def referral_status_counts(*, user) -> dict[str, int]:
    counts = dict(referrals_visible_to(user).values_list("status").annotate(n=Count("id")))
    return {s: counts.get(s, 0) for s in ReferralStatus.values}


@dataclass
class RequestView:
    request: InformationRequest
    answers: list[InformationAnswer]
    hidden_answers: int  # answers the viewer may not see (restricted to MASH managers)

    @property
    def latest(self) -> InformationAnswer | None:
        return self.answers[-1] if self.answers else None


@dataclass
class ChronologyEntry:
    at: dt.datetime
    what: str
    who: str = ""
    detail: str = ""


@dataclass
class ReferralPage:
    referral: Referral
    household: Household
    concerns: list[ConcernCategory]  # the code is the value; .label is for pages
    rating_changes: list[RatingChange]
    requests: list[RequestView]
    decision: Decision | None
    outcomes: dict[int, ChildOutcome]
    chronology: list[ChronologyEntry] = field(default_factory=list)
    can_triage: bool = False
    can_decide: bool = False
    view_as_agency: bool = False

    @property
    def open_requests(self) -> list[RequestView]:
        return [r for r in self.requests if r.request.status == RequestStatus.OPEN]

    @property
    def earliest_open_due(self):
        dues = [r.request.due_at for r in self.open_requests]
        return min(dues) if dues else None


def _requests(user, referral: Referral) -> list[RequestView]:
    qs = referral.requests.select_related("agency").prefetch_related(
        Prefetch("answers", queryset=answers_with_involvements().order_by("version"))
    )
    if is_agency_rep(user):
        qs = qs.filter(agency_id=user.agency_id)
    views = []
    for request in qs.order_by("agency__sort_order", "agency__name"):
        answers = list(request.answers.all())
        visible = [a for a in answers if can_see_answer(user, a)]
        views.append(RequestView(request=request, answers=visible, hidden_answers=len(answers) - len(visible)))
    return views


def _chronology(referral: Referral, rating_changes, requests: list[RequestView], decision) -> list[ChronologyEntry]:
    entries = [
        ChronologyEntry(referral.received_at, "Referral received by the hub"),
        ChronologyEntry(
            referral.created_at,
            "Referral recorded",
            referral.created_by.display_name if referral.created_by else "",
        ),
    ]
    for change in rating_changes:
        label = Rating(change.rating).label
        what = f"Re-rated {Rating(change.previous_rating).label} → {label}" if change.previous_rating else f"Rated {label}"
        entries.append(ChronologyEntry(change.changed_at, what, change.changed_by.display_name, change.rationale))
    sent: dict[dt.datetime, list[str]] = {}
    for view in requests:
        sent.setdefault(view.request.requested_at, []).append(view.request.agency.name)
        for answer in view.answers:
            what = f"{view.request.agency.name}: {answer.get_outcome_display().lower()}"
            if answer.version > 1:
                what += f" (correction, version {answer.version})"
            if answer.late:
                what += " – late"
            entries.append(ChronologyEntry(answer.answered_at, what, answer.answered_by.display_name))
    for at, names in sent.items():
        entries.append(ChronologyEntry(at, f"Information requested from {len(names)} agencies", detail=", ".join(names)))
    if referral.strategy_discussion_required_at:
        entries.append(ChronologyEntry(referral.strategy_discussion_required_at, "Strategy discussion required now (Urgent)"))
    if decision:
        entries.append(ChronologyEntry(decision.decided_at, "Decision recorded", decision.decided_by.display_name))
        closed = [v for v in requests if v.request.status == RequestStatus.NOT_NEEDED]
        if closed:
            entries.append(
                ChronologyEntry(
                    decision.decided_at,
                    f"{len(closed)} unanswered requests closed as not needed",
                    detail=", ".join(v.request.agency.name for v in closed),
                )
            )
    entries.sort(key=lambda e: e.at)
    return entries


def referral_page(*, user, reference: str) -> ReferralPage:
    """Everything the referral page shows to this user; audited as a view of the referral."""
    referral = access_referral(user=user, reference=reference)
    referral = Referral.objects.select_related("created_by", "team").get(pk=referral.pk)
    household = referral_household(referral=referral)
    rating_changes = list(referral.rating_changes.select_related("changed_by"))
    requests = _requests(user, referral)
    decision = Decision.objects.filter(referral=referral).select_related("decided_by").first()
    outcomes = {o.person_id: o for o in decision.outcomes.all()} if decision else {}
    page = ReferralPage(
        referral=referral,
        household=household,
        concerns=[ConcernCategory(c) for c in referral.concerns.values_list("category", flat=True)],
        rating_changes=rating_changes,
        requests=requests,
        decision=decision,
        outcomes=outcomes,
        can_triage=can_triage(user) and referral.is_open,
        can_decide=can_decide(user) and referral.status == ReferralStatus.GATHERING,
        view_as_agency=is_agency_rep(user),
    )
    if is_hub_staff(user):
        page.chronology = _chronology(referral, rating_changes, requests, decision)
    audit_record(
        user=user, action="referral.view", object_type="referral", object_id=referral.pk, referral_reference=referral.reference
    )
    return page


def referral_for_action(*, user, reference: str) -> Referral:
    """The referral a triage or decision form acts on (visibility checked; the service checks the role)."""
    return access_referral(user=user, reference=reference)


@dataclass(frozen=True)
class ClockRule:
    """One rating's clock: how long agencies have, how it is counted, and when they are warned."""

    rating: str
    minutes: int
    basis: str
    warning_percents: tuple[int, ...]


def clock_rules() -> list[ClockRule]:
    """Every rating's clock, in rating order (the stored policy, or the default)."""
    from openmash.referrals.deadlines import DEFAULT_POLICY, DEFAULT_WARNING_PERCENTS

    stored = {p.rating: p for p in ClockPolicy.objects.all()}
    rows = []
    for rating in sorted(Rating.values, key=lambda r: RATING_ORDER[r]):
        policy = stored.get(rating)
        if policy is not None:
            rows.append(ClockRule(rating, policy.minutes, policy.basis, tuple(sorted(policy.warning_percents or ()))))
        else:
            rows.append(ClockRule(rating, *DEFAULT_POLICY[rating], DEFAULT_WARNING_PERCENTS))
    return rows


def clock_policies() -> list[tuple[str, int, str]]:
    """(rating, minutes, basis) for every rating, in rating order."""
    return [(r.rating, r.minutes, r.basis) for r in clock_rules()]


def decision_clock() -> tuple[int, str]:
    """(minutes, basis) of the hub's decision clock."""
    from openmash.referrals.deadlines import DEFAULT_DECISION_CLOCK

    row = DecisionClock.objects.filter(pk=1).first()
    return (row.minutes, row.basis) if row is not None else DEFAULT_DECISION_CLOCK


def agencies_asked(*, referral: Referral) -> dict[str, InformationRequest]:
    """The requests already sent on a referral, by agency code."""
    return {r.agency.code: r for r in referral.requests.select_related("agency")}


def decision_context(*, user, referral: Referral) -> dict:
    """What the decision form shows: the children to decide for and what is still outstanding.
    It names the children, so it is audited as a view of the referral."""
    household = referral_household(referral=referral)
    audit_record(
        user=user, action="referral.view", object_type="referral", object_id=referral.pk,
        referral_reference=referral.reference, details={"page": "decision"},
    )
    requests = list(referral.requests.select_related("agency").order_by("agency__sort_order"))
    return {
        "children": household.children,
        "unanswered": [r for r in requests if r.status == RequestStatus.OPEN],
        "requests": requests,
    }
