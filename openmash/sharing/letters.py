"""The outcome letter to the referrer: which answers could go in it, and its text.

Pure functions of the records given (no access checks, no audit): `services.outcome_letter_create`
decides what may be included and records what was sent.
"""

from openmash.core.formatting import govuk_date
from openmash.information_requests.models import InformationAnswer
from openmash.referrals.codes import Outcome


def latest_answers(*, referral) -> list[InformationAnswer]:
    """The newest version of each agency's answer on the referral, in agency order."""
    latest: dict[int, InformationAnswer] = {}
    qs = InformationAnswer.objects.filter(request__referral=referral).select_related("request__agency").order_by(
        "request__agency__sort_order", "request__agency__name", "version"
    )
    for answer in qs:
        latest[answer.request_id] = answer
    return list(latest.values())


def recipient_line(referral) -> str:
    parts = [referral.referrer_name, referral.referrer_role, referral.referrer_organisation]
    return ", ".join(p for p in parts if p) or "The referrer"


def render(*, referral, included: list[InformationAnswer], message: str = "") -> str:
    """The letter's text, exactly as it goes out. Only what is passed in `included` is quoted."""
    decision = referral.decision
    outcomes = {o.person_id: Outcome(o.outcome).label for o in decision.outcomes.all()}
    children = [link.person for link in referral.people.filter(kind="child").select_related("person").order_by("position")]
    lines = [
        f"Dear {referral.referrer_name or 'colleague'},",
        "",
        f"Thank you for your referral, reference {referral.reference}, received on {govuk_date(referral.received_at)}.",
        f"The Multi-Agency Safeguarding Hub reached its decision on {govuk_date(decision.decided_at)}.",
        "",
    ]
    for child in children:
        lines.append(f"{child.given_name} {child.family_name}: {outcomes.get(child.pk, 'no outcome recorded')}")
    if included:
        lines += ["", "Information we can share with you:"]
        for answer in included:
            lines.append(f"- {answer.request.agency.name}: {answer.summary}")
    if message:
        lines += ["", message]
    lines += [
        "",
        "If you have new concerns about these children, contact the hub again straight away.",
        "",
        "Multi-Agency Safeguarding Hub",
    ]
    return "\n".join(lines)
