"""The only writer of the sharing log (the seventh golden rule: record every decision to share or
not to share — what, with whom, when, why, on which basis).

Called from the services that share (or decline to), inside their transactions, so that a disclosure
and its log entry commit or roll back together. Entries name what was shared; they never copy it.
"""

from openmash.core.formatting import govuk_datetime
from openmash.information_requests.codes import AnswerOutcome, Restriction, SentUnder
from openmash.sharing.codes import BasisKind, Channel, OverrideStatus, SharingDecision, SharingKind
from openmash.sharing.models import ConsentOverride, SharingEvent

HUB = "MASH"

# What an information request discloses to the agency asked (information_requests.selectors.request_page).
REQUEST_ITEMS = ["children", "adults", "relationships", "addresses", "identifiers", "concern_categories", "concern_narrative"]
REQUEST_WHAT = "The referral's children and adults (names, dates of birth, addresses, identifiers, relationships) and the concerns"


def _actor(user) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"actor": None, "actor_name": "system", "actor_role": "", "actor_agency": ""}
    return {
        "actor": user,
        "actor_name": user.display_name,
        "actor_role": user.role or "",
        "actor_agency": user.agency.code if user.agency_id else "",
    }


def _basis(referral) -> tuple[str, list[str], ConsentOverride | None]:
    override = ConsentOverride.objects.filter(referral=referral, status=OverrideStatus.AUTHORISED).first()
    if override is not None:
        return BasisKind.OVERRIDE, sorted(override.bases.values_list("code", flat=True)), override
    return BasisKind.CONSENT, [], None


def _event(*, user, referral, kind, decision, what, why, from_party=HUB, to_party, from_agency=None, to_agency=None,
           items=(), withheld="", basis_kind="", basis_codes=(), override=None, channel=Channel.IN_SERVICE,
           referrer_identity_protected=True, request=None, answer=None, letter=None) -> SharingEvent:
    return SharingEvent(
        referral=referral, kind=kind, decision=decision, from_party=from_party, from_agency=from_agency,
        to_party=to_party, to_agency=to_agency, items=list(items), what=what, withheld=withheld, why=why,
        basis_kind=basis_kind, basis_codes=list(basis_codes), override=override, channel=channel,
        referrer_identity_protected=referrer_identity_protected, request=request, answer=answer, letter=letter,
        **_actor(user),
    )


def _save(events: list[SharingEvent], subjects) -> list[SharingEvent]:
    """Insert the events and their subjects in two statements, however many there are."""
    events = SharingEvent.objects.bulk_create(events)
    subjects = list(subjects)
    if subjects:
        link = SharingEvent.subjects.through
        link.objects.bulk_create([link(sharingevent_id=e.pk, person_id=p) for e in events for p in subjects])
    return events


def sharing_log_record(*, subjects=(), **fields) -> SharingEvent:
    """Write one entry (the keyword arguments are `SharingEvent`'s, plus the acting `user`)."""
    return _save([_event(**fields)], subjects)[0]


def log_requests_sent(*, user, referral, requests) -> None:
    """One disclosure per agency asked: the hub shares the referral so the agency can search. A new
    request never carries the referrer's identity (it can be released only to an agency already asked)."""
    basis = _basis(referral)
    events = []
    for request in requests:
        if request.sent_under == SentUnder.CONSENT:
            basis_kind, codes, override = BasisKind.CONSENT, [], None
        elif request.sent_under == SentUnder.URGENT:
            basis_kind, codes, override = BasisKind.URGENT, [], None
        else:
            basis_kind, codes, override = basis
        events.append(_event(
            user=user, referral=referral, kind=SharingKind.REQUEST_SENT, decision=SharingDecision.SHARED,
            to_party=request.agency.name, to_agency=request.agency, items=REQUEST_ITEMS, what=REQUEST_WHAT,
            withheld="The referrer's identity",
            why=f"Information request: {request.agency.name} to check what it holds, due {govuk_datetime(request.due_at)}",
            basis_kind=basis_kind, basis_codes=codes, override=override, request=request,
        ))
    _save(events, referral.people.values_list("person_id", flat=True))


def log_answer(*, user, request, answer) -> None:
    """The agency's answer: what it shared with the hub, or its decision not to, and any restriction.

    Its basis is the referral's override when one is in force; otherwise the footing the request went
    out on (consent, or Urgent before any override)."""
    referral = request.referral
    agency = request.agency
    basis_kind, codes, override = _basis(referral)
    if override is None and request.sent_under == SentUnder.URGENT:
        basis_kind = BasisKind.URGENT
    subjects = list(referral.people.values_list("person_id", flat=True))
    common = dict(
        user=user, referral=referral, from_party=agency.name, from_agency=agency, to_party=f"{HUB} hub staff",
        request=request, answer=answer, basis_kind=basis_kind, basis_codes=codes, override=override, subjects=subjects,
    )
    # The correction's reason is not copied: on a restricted answer it may say what the answer says.
    version = f" (correction, version {answer.version})" if answer.version > 1 else ""
    if answer.outcome == AnswerOutcome.DECLINED:
        sharing_log_record(
            kind=SharingKind.ANSWER_DECLINED, decision=SharingDecision.NOT_SHARED, items=[f"answer:{answer.pk}"],
            what="Nothing: the agency declined to share", withheld="Whatever the agency holds",
            why=answer.decline_reason + version, **common,
        )
        return
    if answer.outcome == AnswerOutcome.NOT_KNOWN:
        sharing_log_record(
            kind=SharingKind.ANSWER_NOT_KNOWN, decision=SharingDecision.SHARED, items=[f"answer:{answer.pk}:outcome"],
            what="That the family is not known to the agency", why="Answer to the information request" + version, **common,
        )
        return
    fields = ["summary"] + (["detail"] if answer.detail else []) + (["systems_checked"] if answer.systems_checked else [])
    items = [f"answer:{answer.pk}:{f}" for f in fields]
    fields = [f.replace("_", " ") for f in fields]  # as people read them
    if answer.restriction == Restriction.NONE:
        sharing_log_record(
            kind=SharingKind.ANSWER_GIVEN, decision=SharingDecision.SHARED, items=items,
            what=f"Information held: {', '.join(fields)} (answer version {answer.version})",
            why="Answer to the information request" + version, **common,
        )
        return
    restriction = Restriction(answer.restriction)
    limited_to = "MASH managers only" if restriction == Restriction.MANAGER_ONLY else "hub staff, never the family"
    sharing_log_record(
        kind=SharingKind.ANSWER_GIVEN, decision=SharingDecision.PARTIAL, items=items,
        what=f"Information held: {', '.join(fields)} (answer version {answer.version}), for {limited_to}",
        withheld=f"Restricted: {restriction.label}", why="Answer to the information request" + version, **common,
    )
    sharing_log_record(
        kind=SharingKind.RESTRICTION_APPLIED, decision=SharingDecision.NOT_SHARED, items=items,
        what="Nothing further", withheld=f"Answer version {answer.version}: {restriction.label}",
        why=f"{agency.name} restricted its answer: {restriction.label}", **common,
    )
