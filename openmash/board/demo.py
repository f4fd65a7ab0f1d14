"""Many made-up open referrals, for trying wall boards at scale and for the board benchmark.

`manage.py seed_board_demo --referrals 40` fills a demo or test hub; `scripts/bench_board.py` uses it
for 500 referrals × 16 agencies. Referrals are made through the real services (recorded, triaged,
answered) with the clock moved back, so their states, clocks and audit trail are real: a mix of
awaiting triage, waiting, overdue, answered, not known and declined, across every rating.
Names are invented (and never appear on a board); dates of birth make children of 0 to 17.
"""

import datetime as dt
import random

from django.db import transaction

from openmash.accounts.models import User
from openmash.agencies.models import Agency
from openmash.core import clock
from openmash.information_requests.models import InformationRequest
from openmash.information_requests.services import AnswerInput, information_request_answer
from openmash.people.services import NewPerson
from openmash.referrals.services import PersonRef, ReferralInput, referral_create, referral_triage
from openmash.sharing.services import override_authorise, override_propose

GIVEN = ["Ava", "Noah", "Isla", "Leo", "Mia", "Ezra", "Ruby", "Theo", "Zara", "Finn", "Nia", "Ollie", "Esme", "Kai", "Lola", "Remi"]
FAMILY = ["Ashdown", "Brightwell", "Carrow", "Dunmore", "Elstow", "Farrant", "Glenholme", "Hartigan", "Ingleby", "Jessop", "Kestell", "Lindqvist"]
RATINGS = [("urgent", 0.06), ("red", 0.24), ("amber", 0.40), ("green", 0.30)]
HOURS_BACK = {"urgent": 3, "red": 8, "amber": 36, "green": 60}  # received up to this long ago


def _weighted(rng: random.Random, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def seed_open_referrals(*, count: int, seed: int = 1, awaiting_triage_share: float = 0.1, agencies: int | None = None) -> list[str]:
    """Record `count` open referrals; returns their references.

    Needs the demo hub (agencies and the `practitioner`, `manager` and `<agency>-rep` users).
    `agencies` limits each referral to that many agencies (default: every active one).
    """
    rng = random.Random(seed)
    now = clock.now()
    users = {u.username: u for u in User.objects.filter(username__in=["practitioner", "manager"])}
    reps = {u.agency.code: u for u in User.objects.filter(username__endswith="-rep").select_related("agency")}
    codes = list(Agency.objects.filter(active=True).order_by("sort_order").values_list("code", flat=True))
    if len(users) < 2 or not codes:
        raise RuntimeError("The demo hub is needed first: run manage.py seed_demo")
    made = []
    with transaction.atomic():
        for _ in range(count):
            rating = None if rng.random() < awaiting_triage_share else _weighted(rng, RATINGS)
            back = dt.timedelta(minutes=rng.randint(5, 60 * HOURS_BACK[rating or "red"]))
            received = now - back
            family = rng.choice(FAMILY)
            children = [
                PersonRef(new=NewPerson(
                    given_name=rng.choice(GIVEN), family_name=family, sex=rng.choice("MF"),
                    date_of_birth=(now - dt.timedelta(days=rng.randint(20, 17 * 365))).date(),
                ))
                for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))
            ]
            data = ReferralInput(
                received_at=received, source=rng.choice(["2A", "3E", "6", "1A", "3B"]), referrer_anonymous=True,
                referrer_role="made-up caller", children=children, concern_categories=[rng.choice(["neglect", "domestic_abuse", "cce", "emotional_abuse"])],
                concern_narrative="Made-up referral for trying the wall boards.", family_informed="not_known", consent="not_sought",
                consent_notes="Made-up data.",
            )
            with clock.frozen(received + dt.timedelta(minutes=2)):
                referral = referral_create(user=users["practitioner"], data=data)
            made.append(referral.reference)
            if rating is None:
                continue
            asked = codes if agencies is None else rng.sample(codes, min(agencies, len(codes)))
            triaged = received + min(dt.timedelta(minutes=rng.randint(5, 40)), back / 2)
            with clock.frozen(triaged - dt.timedelta(seconds=30)):
                # Made-up referrals share without consent, on an authorised override (the rule for real ones).
                override = override_propose(user=users["practitioner"], referral=referral, basis_codes=["uk-gdpr-6-1-e"], reason="Made-up override.")
                override_authorise(user=users["manager"], override=override)
            with clock.frozen(triaged):
                referral_triage(user=users["manager"], referral=referral, rating=rating, rationale="Made-up triage.", agency_codes=asked)
            for request in InformationRequest.objects.filter(referral=referral).select_related("agency"):
                # The longer a request has been out, the likelier it has been answered.
                share = min(1.0, (now - triaged) / max(request.due_at - triaged, dt.timedelta(minutes=1)))
                if rng.random() > 0.85 * share:
                    continue
                answered = triaged + (now - triaged) * rng.random()
                outcome = _weighted(rng, [("held", 0.5), ("not_known", 0.4), ("declined", 0.1)])
                with clock.frozen(answered):
                    information_request_answer(
                        user=reps[request.agency.code], request=request,
                        data=AnswerInput(outcome=outcome, summary="Made-up answer." if outcome == "held" else "",
                                         decline_reason="Made-up reason." if outcome == "declined" else ""),
                    )
    return made
