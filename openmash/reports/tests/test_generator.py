"""The history generator and `manage.py generate_history` (reports/generator.py, issue 6 "Scale")."""

import collections
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from openmash.agencies.models import Agency
from openmash.core import clock
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.people.keystore import key_hashes, records_for
from openmash.people.models import Address, Person, PersonKey, Relationship
from openmash.referrals import deadlines
from openmash.referrals.models import (
    ChildOutcome,
    Decision,
    RatingChange,
    ReferenceCounter,
    Referral,
    ReferralConcern,
    ReferralPerson,
)
from openmash.reports.generator import generate_history

N = 3_000
END = dt.date(2025, 3, 15)  # two years back from here hold 29 February 2024 and the first 28 Feb / 1 Mar after it
PER_YEAR = 1_500


def _snapshot(first_id: int = 0) -> list[tuple]:
    rows = Referral.objects.filter(pk__gte=first_id).order_by("received_at", "reference").values_list(
        "reference", "received_at", "source", "rating", "status", "decided_at", "decision_due_at", "team__code"
    )
    people = ReferralPerson.objects.filter(referral_id__gte=first_id).order_by("referral__received_at", "kind", "position").values_list(
        "person__given_name", "person__family_name", "person__date_of_birth", "kind"
    )
    answers = InformationAnswer.objects.filter(request__referral_id__gte=first_id).order_by("answered_at", "request__agency__code").values_list(
        "request__agency__code", "outcome", "answered_at", "late"
    )
    return [list(rows), list(people), list(answers)]


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """One history for the module, rolled back at the end."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            clock.set_frozen(dt.datetime(2026, 1, 10, 12, tzinfo=dt.timezone.utc))
            result = generate_history(referrals=N, seed=11, end=END, per_year=PER_YEAR)
            clock.set_frozen(None)
            yield result
            transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def _children_by_referral():
    by_ref = collections.defaultdict(list)
    for ref_id, person_id in ReferralPerson.objects.filter(kind="child").values_list("referral_id", "person_id"):
        by_ref[ref_id].append(person_id)
    return by_ref


def test_counts_and_agencies(history):
    assert Referral.objects.count() == N == history.referrals
    assert Agency.objects.filter(active=True).count() == 16
    rated = Referral.objects.exclude(status="awaiting_triage").count()
    assert InformationRequest.objects.count() == rated * 16 == history.requests
    assert InformationAnswer.objects.count() == history.answers
    assert not InformationAnswer.objects.exclude(version=1).exists()
    assert Person.objects.count() == history.people
    # the references are the service's format, numbered within the London year, and the counters moved on
    years = collections.Counter(r.split("-")[1] for r in Referral.objects.values_list("reference", flat=True))
    for year, count in years.items():
        assert ReferenceCounter.objects.get(year=int(year)).last == count
    assert Referral.objects.filter(reference="MASH-2024-000001").exists()


def test_generated_users_cannot_sign_in(history):
    from openmash.accounts.models import User

    users = User.objects.filter(username__startswith="history-")
    assert users.count() == 18
    assert not any(u.is_active or u.has_usable_password() for u in users)


def test_a_sample_passes_full_clean(history):
    """The models' own validation (choices, lengths, emails, unique and check constraints) on a sample
    of every table."""
    for model in (Referral, ReferralPerson, ReferralConcern, RatingChange, InformationRequest, InformationAnswer,
                  Decision, ChildOutcome, Person, Address, Relationship):
        sample = list(model.objects.order_by("?")[:60])
        assert sample, model
        for obj in sample:
            try:
                obj.full_clean()
            except ValidationError as error:  # pragma: no cover - the message is the point
                pytest.fail(f"{model.__name__} {obj.pk}: {error}")


def test_database_constraints_hold(history):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    assert not Referral.objects.filter(status="decided", decided_at__isnull=True).exists()
    assert not Referral.objects.exclude(status="awaiting_triage").filter(rating="").exists()
    assert not Referral.objects.filter(status="decided").exclude(decision__isnull=False).exists()
    assert not InformationRequest.objects.filter(status="answered", answered_at__isnull=True).exists()
    assert not InformationAnswer.objects.filter(outcome="held", summary="").exists()
    assert not InformationAnswer.objects.filter(outcome="declined", decline_reason="").exists()
    # every child of a decided referral has exactly one outcome; nobody else has one
    children = ReferralPerson.objects.filter(kind="child", referral__status="decided").count()
    assert ChildOutcome.objects.count() == children


def test_times_are_consistent_with_the_services(history):
    policy = {r: m for r, (m, _) in deadlines.DEFAULT_POLICY.items()}
    for r in Referral.objects.order_by("?")[:100]:
        assert r.decision_due_at == deadlines.due_at(r.received_at, minutes=8 * 60, basis="working")
        assert r.received_at <= r.created_at <= dt.datetime.combine(END, dt.time(23, 59), tzinfo=deadlines.LONDON)
        if r.rated_at:
            assert r.rated_at > r.received_at
            changes = list(r.rating_changes.all())
            assert changes[0].previous_rating == "" and changes[-1].rating == r.rating
            assert changes[-1].changed_at == r.rated_at
        if r.decided_at:
            assert r.decided_at > r.rated_at
            assert r.decision.decided_at == r.decided_at
        if r.rating == "urgent" or any(c.rating == "urgent" for c in r.rating_changes.all()):
            assert r.strategy_discussion_required_at is not None
        requests = list(r.requests.all())
        first = r.rating_changes.first()
        for q in requests:
            assert q.requested_at == first.changed_at
            if q.status == "answered":
                answer = q.answers.get()
                assert answer.answered_at == q.answered_at
                assert answer.late == (q.answered_at > q.due_at)
                if r.decided_at:
                    assert q.answered_at <= r.decided_at
            elif q.status == "not_needed":
                assert q.closed_at == r.decided_at and r.decision.early_decision_reason
            else:
                assert r.status == "gathering"
        if requests and len(list(r.rating_changes.all())) == 1:
            assert {q.due_at for q in requests} == {first.changed_at + dt.timedelta(minutes=policy[first.rating])}


def _share(values, key):
    return collections.Counter(values)[key] / len(values)


def test_distributions_are_in_sane_ranges(history):
    ratings = list(Referral.objects.exclude(rating="").values_list("rating", flat=True))
    assert 0.015 < _share(ratings, "urgent") < 0.06
    assert 0.10 < _share(ratings, "red") < 0.22
    assert 0.33 < _share(ratings, "amber") < 0.47
    assert 0.35 < _share(ratings, "green") < 0.50
    sources = list(Referral.objects.values_list("source", flat=True))
    assert 0.25 < _share(sources, "6") < 0.34
    assert 0.15 < _share(sources, "2A") < 0.24
    outcomes = list(ChildOutcome.objects.values_list("outcome", flat=True))
    assert 0.05 < _share(outcomes, "strategy_discussion") < 0.13
    assert 0.18 < _share(outcomes, "assessment") < 0.30
    assert 0.20 < _share(outcomes, "early_help") < 0.31
    assert 0.24 < _share(outcomes, "nfa") < 0.37
    answers = list(InformationAnswer.objects.values_list("outcome", flat=True))
    assert 0.33 < _share(answers, "not_known") < 0.50
    assert 0.005 < _share(answers, "declined") < 0.04
    # outcomes follow the rating
    urgent = list(ChildOutcome.objects.filter(decision__referral__rating="urgent").values_list("outcome", flat=True))
    green = list(ChildOutcome.objects.filter(decision__referral__rating="green").values_list("outcome", flat=True))
    assert _share(urgent, "strategy_discussion") > 0.6 > 0.05 > _share(green, "strategy_discussion")
    # some agencies are chronically late, some hardly ever
    late = collections.defaultdict(list)
    for code, is_late in InformationAnswer.objects.values_list("request__agency__code", "late"):
        late[code].append(is_late)
    rate = {code: sum(v) / len(v) for code, v in late.items()}
    assert rate["adult-mh"] > 0.4 and rate["csc"] < 0.2
    # fewer referrals at weekends and in August than on Mondays and in term
    local = [clock.to_local(t) for t in Referral.objects.values_list("received_at", flat=True)]
    weekdays = collections.Counter(t.weekday() for t in local)
    assert weekdays[0] > 2.5 * weekdays[6]
    months = collections.Counter(t.month for t in local)
    assert months[8] < 0.85 * months[11]
    assert 0.4 < sum(9 <= t.hour < 17 for t in local) / len(local) < 0.95


def test_cohorts_are_present_at_realistic_rates(history):
    concerns = collections.Counter(ReferralConcern.objects.values_list("category", flat=True))
    rate = {k: v / N for k, v in concerns.items()}
    for category, low, high in (("cse", 0.015, 0.05), ("cce", 0.015, 0.05), ("missing", 0.03, 0.08),
                                ("trafficking", 0.0005, 0.012), ("private_fostering", 0.0005, 0.008),
                                ("fgm", 0.0003, 0.006)):
        assert low < rate.get(category, 0) < high, (category, rate.get(category))
    exploited = set(ReferralConcern.objects.filter(category__in=["cse", "cce"]).values_list("referral_id", flat=True))
    missing = set(ReferralConcern.objects.filter(category="missing").values_list("referral_id", flat=True))
    assert len(exploited & missing) / len(exploited) > 0.3 > len(missing - exploited) / (N - len(exploited))
    # FGM concerns only about girls
    fgm = ReferralConcern.objects.filter(category="fgm").values_list("referral_id", flat=True)
    assert all(
        ReferralPerson.objects.filter(referral_id=r, kind="child", person__sex="F").exists() for r in fgm
    )


def test_sibling_groups_share_a_household(history):
    by_ref = _children_by_referral()
    sizes = collections.Counter(len(v) for v in by_ref.values())
    assert set(sizes) <= {1, 2, 3, 4} and sizes[2] and sizes[3]
    assert 1.2 < sum(k * v for k, v in sizes.items()) / len(by_ref) < 2.2
    group = next(v for v in by_ref.values() if len(v) >= 3)
    postcodes = set(Address.objects.filter(person_id__in=group).values_list("postcode", flat=True))
    assert len(postcodes) == 1
    assert Relationship.objects.count() > N / 4
    # every child is under 18 on the day of the referral
    for ref in Referral.objects.order_by("?")[:200]:
        on = clock.to_local(ref.received_at).date()
        for p in Person.objects.filter(referral_links__referral=ref, referral_links__kind="child"):
            assert p.date_of_birth <= on and (on.year - p.date_of_birth.year - ((on.month, on.day) < (p.date_of_birth.month, p.date_of_birth.day))) < 18


def test_repeat_referrals_of_the_same_person_within_and_just_over_12_months(history):
    times = collections.defaultdict(list)
    for person, received in ReferralPerson.objects.filter(kind="child").values_list("person_id", "referral__received_at"):
        times[person].append(clock.to_local(received).date())
    gaps = []
    for dates in times.values():
        dates.sort()
        gaps.extend((a, b) for a, b in zip(dates, dates[1:]))
    referred_again = sum(len(d) > 1 for d in times.values())
    assert referred_again > 200
    within = [(a, b) for a, b in gaps if (b - a).days <= 365]
    later = [(a, b) for a, b in gaps if (b - a).days > 365]
    assert len(within) > 2 * len(later) > 0
    # around the boundary: 364–367 days
    assert sum(364 <= (b - a).days <= 367 for a, b in gaps) >= 5
    assert any((b - a).days in (366, 367) for a, b in gaps)
    # across the leap day: 29 February 2024 and the 28 February / 1 March after it
    assert any(a == dt.date(2024, 2, 29) and b in (dt.date(2025, 2, 28), dt.date(2025, 3, 1)) for a, b in gaps)
    # re-referrals within 12 months as a share of referrals: near the national 22 %
    children_refs = ReferralPerson.objects.filter(kind="child").count()
    assert 0.10 < len(within) / children_refs < 0.32


def test_recent_referrals_are_open_and_old_ones_decided(history):
    cutoff = dt.datetime.combine(END, dt.time(23, 59), tzinfo=deadlines.LONDON) - dt.timedelta(days=14)
    assert not Referral.objects.filter(received_at__lt=cutoff).exclude(status="decided").exists()
    recent = Referral.objects.filter(received_at__gte=cutoff)
    assert recent.filter(status="gathering").exists()
    assert recent.filter(status="decided").exists()
    assert InformationRequest.objects.filter(status="open").exists()
    assert InformationRequest.objects.filter(status="not_needed").exists()
    assert Referral.objects.filter(rating_changes__previous_rating__gt="").exists()  # some re-ratings


def test_people_are_findable_by_their_keys(history):
    sample = list(Person.objects.order_by("?").values_list("pk", flat=True)[:30])
    records = records_for(sample)
    for pk in sample:
        stored = set(PersonKey.objects.filter(person_id=pk).values_list("key", flat=True))
        assert stored == set(key_hashes(records[pk]))


def _generate_in_savepoint(**kwargs):
    with transaction.atomic():
        result = generate_history(**kwargs)
        snap = _snapshot(result.first_referral_id)
        transaction.set_rollback(True)
    return snap


def test_same_seed_same_history_other_seed_other_history():
    one = _generate_in_savepoint(referrals=400, seed=5, end=END, per_year=400)
    again = _generate_in_savepoint(referrals=400, seed=5, end=END, per_year=400)
    other = _generate_in_savepoint(referrals=400, seed=6, end=END, per_year=400)
    assert one == again
    assert one[0] != other[0]


def test_the_command_refuses_a_database_with_referrals_unless_appending(capsys):
    # (the module's history may already be in this test's database, depending on the order tests run in)
    if not Referral.objects.exists():
        call_command("generate_history", referrals=300, seed=1, end="2024-06-30", per_year=300, no_keys=True)
        assert "300 referrals" in capsys.readouterr().out
    count = Referral.objects.count()
    with pytest.raises(CommandError, match="already holds referrals"):
        call_command("generate_history", referrals=300, seed=2, end="2024-06-30", per_year=300)
    assert Referral.objects.count() == count
    before = dict(ReferenceCounter.objects.values_list("year", "last"))
    call_command("generate_history", referrals=300, seed=2, end="2024-06-30", per_year=300, append=True, no_keys=True)
    assert Referral.objects.count() == count + 300
    assert Referral.objects.values("reference").distinct().count() == count + 300
    after = dict(ReferenceCounter.objects.values_list("year", "last"))
    assert all(after[y] >= before[y] for y in before) and after[2024] == before.get(2024, 0) + Referral.objects.filter(
        reference__startswith="MASH-2024-").count() - before.get(2024, 0)
    assert after[2024] > before.get(2024, 0)
    with pytest.raises(CommandError, match="--end"):
        call_command("generate_history", referrals=10, seed=1, end="not-a-date", append=True)


def test_rated_referrals_have_teams_after_the_hub_had_them(history):
    """None in the first fifth of the span or while awaiting triage; later, each rated referral has one
    of the three teams, at about the shares drawn."""
    from openmash.reports.generator import TEAM_P, TEAMS_FROM

    first, last = (Referral.objects.order_by(f).values_list("received_at", flat=True).first() for f in ("received_at", "-received_at"))
    assert not Referral.objects.filter(status="awaiting_triage", team__isnull=False).exists()
    early = Referral.objects.filter(rated_at__lt=first + (last - first) * TEAMS_FROM * 0.95)
    assert early.exists() and not early.filter(team__isnull=False).exists()
    late = Referral.objects.exclude(status="awaiting_triage").filter(rated_at__gt=first + (last - first) * TEAMS_FROM * 1.05)
    assert late.count() > 1_000 and not late.filter(team__isnull=True).exists()
    shares = collections.Counter(late.values_list("team__code", flat=True))
    assert sorted(shares) == ["team-a", "team-b", "team-c"]
    for code, p in zip(["team-a", "team-b", "team-c"], TEAM_P):
        assert abs(shares[code] / late.count() - p) < 0.05, (code, shares)
