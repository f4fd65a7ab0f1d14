"""The measures against an independent recomputation (naive.py) on a scripted history with known
answers: re-referrals across the 12-month boundary and 29 February, a merge, siblings, late and
declined answers, an open referral; and blocks that follow every change."""

import contextlib
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.accounts.models import Team
from openmash.accounts.services import team_update
from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.testing.factories import answer, decide, make_referral
from openmash.information_requests.models import InformationRequest
from openmash.people.merging import merge_people
from openmash.people.models import Person
from openmash.people.services import NewPerson
from openmash.referrals.models import Referral
from openmash.referrals.services import PersonRef, referral_triage
from openmash.reports import facts, measures
from openmash.reports.measures import ReportFilter
from openmash.reports.models import FactBlock
from openmash.reports.selectors import performance_report, insight_report
from openmash.reports.tests.naive import recompute

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc
NOW = dt.datetime(2025, 3, 5, 12, 0, tzinfo=LONDON).astimezone(UTC)


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=LONDON).astimezone(UTC)


def child(given, family="Okafor", dob=dt.date(2015, 5, 1), sex="F", postcode="SE15 4AB"):
    return PersonRef(new=NewPerson(given_name=given, family_name=family, date_of_birth=dob, sex=sex, postcode=postcode,
                                   address_line_1="3 Elm Row"))


def refer(hub, freeze, when, *, children, rating="red", agencies=("police", "health-community"), source="2A",
          concerns=("neglect",), answers=(), decide_at=None, outcome="nfa", team=None):
    """A referral received at `when`, rated half an hour later, answered and decided as given.
    `answers`: (agency code, outcome, minutes after the rating). `team`: a team's code (default: the
    manager's own, MASH Team A), or "" for none (rated while the hub had no active team)."""
    freeze(when + dt.timedelta(minutes=5))
    referral = make_referral(hub, received_at=when, source=source, children=list(children), adults=[],
                             concern_categories=list(concerns))
    freeze(when + dt.timedelta(minutes=30))
    if team == "":
        with no_active_teams(hub):
            referral_triage(user=hub["manager"], referral=referral, rating=rating, rationale="Because.",
                            agency_codes=list(agencies), team_code="")
    else:
        referral_triage(user=hub["manager"], referral=referral, rating=rating, rationale="Because.",
                        agency_codes=list(agencies), team_code=team)
    for code, result, minutes in answers:
        freeze(when + dt.timedelta(minutes=30 + minutes))
        answer(hub, referral, code, result)
    if decide_at is not None:
        freeze(decide_at)
        decide(hub, Referral.objects.get(pk=referral.pk), outcome)
    return Referral.objects.get(pk=referral.pk)


@contextlib.contextmanager
def no_active_teams(hub):
    """The hub's teams deactivated (and then reactivated) by the administrator, as before it had teams."""
    teams = list(Team.objects.filter(active=True))
    for t in teams:
        team_update(user=hub["admin"], team=t, name=t.name, active=False)
    try:
        yield
    finally:
        for t in teams:
            team_update(user=hub["admin"], team=t, name=t.name, active=True)


def kids(referral):
    return list(referral.people.filter(kind="child").order_by("position").values_list("person_id", flat=True))


@pytest.fixture
def history(hub, freeze):
    r = {}
    r["a1"] = refer(hub, freeze, at(2023, 2, 28), children=[child("Amara")], team="team-b",
                    answers=[("police", "held", 60), ("health-community", "not_known", 300)], decide_at=at(2023, 3, 1, 9, 30))
    a = kids(r["a1"])[0]
    r["a2"] = refer(hub, freeze, at(2024, 2, 29, 11), children=[PersonRef(person_id=a)], rating="amber", source="6",
                    answers=[("police", "declined", 100), ("health-community", "held", 2000)],
                    decide_at=at(2024, 3, 1, 16), outcome="assessment")
    r["a3"] = refer(hub, freeze, at(2025, 2, 28, 9), children=[PersonRef(person_id=a)], rating="urgent", source="6",
                    concerns=("cse", "missing"), answers=[("police", "held", 20)], decide_at=at(2025, 2, 28, 15),
                    outcome="strategy_discussion")
    r["b1"] = refer(hub, freeze, at(2023, 6, 14, 15), children=[child("Bo", "Lee", sex="M")], rating="green", team="team-b",
                    answers=[("police", "not_known", 30), ("health-community", "not_known", 40)], decide_at=at(2023, 6, 16, 10))
    b = kids(r["b1"])[0]
    r["b2"] = refer(hub, freeze, at(2024, 6, 15, 10), children=[PersonRef(person_id=b)], rating="green",
                    answers=[("police", "held", 3000)], decide_at=at(2024, 6, 20, 10), outcome="early_help")
    r["c1"] = refer(hub, freeze, at(2023, 6, 15, 16), children=[child("Cy", "Park", sex="M", dob=dt.date(2008, 1, 1))],
                    source="3A", concerns=("cce",), answers=[("police", "held", 10)], decide_at=at(2023, 6, 16, 9))
    c = kids(r["c1"])[0]
    r["c2"] = refer(hub, freeze, at(2024, 6, 15, 9), children=[PersonRef(person_id=c)], source="3A", team="team-b",
                    concerns=("cce", "missing"), decide_at=at(2024, 6, 17, 9), outcome="assessment")
    r["d1"] = refer(hub, freeze, at(2024, 8, 1), children=[child("Dee", "Ray"), child("Dan", "Ray", sex="M", dob=dt.date(2012, 2, 29))],
                    concerns=("trafficking", "fgm"), answers=[("health-community", "held", 100)], decide_at=at(2024, 8, 2, 10),
                    outcome="early_help")
    d = kids(r["d1"])[0]
    r["d2"] = refer(hub, freeze, at(2024, 8, 20), children=[PersonRef(person_id=d)], rating="amber",
                    concerns=("private_fostering",), decide_at=at(2024, 8, 20, 12), outcome="universal")
    r["e1"] = refer(hub, freeze, at(2024, 3, 10), children=[child("Eve", "Stone")], decide_at=at(2024, 3, 11, 10), team="")
    r["e2"] = refer(hub, freeze, at(2024, 9, 10), children=[child("Evie", "Stone")], decide_at=at(2024, 9, 10, 17))
    r["open"] = refer(hub, freeze, at(2025, 3, 5, 10), children=[child("Fin", "Hale", sex="M")],
                      answers=[("police", "held", 15)])
    freeze(NOW)
    return r


def compare(hub, flt):
    report = performance_report(user=hub["manager"], flt=flt)
    expected = recompute(flt.start, flt.end, now=NOW, ratings=flt.ratings, sources=flt.sources, agency=flt.agency,
                         team=flt.team)
    assert report.referrals == expected["referrals"]
    assert {k: v for k, v in report.by_source if v} == expected["by_source"]
    assert {k: v for k, v in report.by_rating if v} == expected["by_rating"]
    for name in ("triage", "decision", "strategy"):
        got = getattr(report, name)
        assert (got.count, got.median, got.p90) == pytest.approx(expected[name]), name
    assert (report.decided_within_one_working_day.numerator, report.decided_within_one_working_day.denominator) == expected["within"]
    assert (report.information_complete.numerator, report.information_complete.denominator) == expected["info"]
    rows = {row.code: row for row in report.agencies}
    for code, want in expected["agencies"].items():
        row = rows[code]
        got = {"requests": row.requests, "answered": row.answered, "on_time": row.on_time, "late": row.late,
               "overdue": row.overdue, "not_needed": row.not_needed, "not_known": row.not_known, "declined": row.declined,
               "response": (row.response.count, row.response.median, row.response.p90)}
        assert got.pop("response") == pytest.approx(want.pop("response")), code
        assert got == want, code
    assert {k: v for k, v in report.outcomes if v} == expected["outcomes"]
    assert (report.re_referrals.numerator, report.re_referrals.denominator) == expected["re_referrals"]
    assert report.repeat_children == expected["repeat_children"]
    assert report.repeat_referrals == expected["repeat_referrals"]
    insight = insight_report(user=hub["manager"], flt=flt)
    for summary in insight.cohorts:
        assert summary.child_referrals == expected["cohorts"].get(summary.code, 0), summary.code
    return report, expected


FILTERS = [
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31)),
    ReportFilter(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ReportFilter(dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
    ReportFilter(dt.date(2025, 2, 1), dt.date(2025, 3, 31)),
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31), ratings=("red", "urgent")),
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31), sources=("6",)),
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31), agency="police"),
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31), team="team-a"),
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31), team="team-b"),
    ReportFilter(dt.date(2023, 1, 1), dt.date(2025, 12, 31), team="team-c"),  # a team with no referrals
    ReportFilter(dt.date(2024, 1, 1), dt.date(2024, 12, 31), ratings=("red",), agency="police", team="team-a"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f"{f.start}..{f.end} {f.ratings} {f.sources} {f.agency} {f.team}")
def test_measures_equal_an_independent_recomputation(hub, history, flt):
    compare(hub, flt)


def test_the_known_answers(hub, history):
    """What a reader of the script above can count by hand."""
    report, _ = compare(hub, FILTERS[0])
    # Re-referrals: a2 (29 Feb 2024, a1 on 28 Feb 2023 is on the window's first day), a3 (28 Feb 2025
    # looks back to 28 Feb 2024; a2 on the 29th is inside), c2 (same date a year on), d2 (19 days).
    # Not b2 (one day over the year) nor e2 (a different person until merged).
    assert report.re_referrals.numerator == 4
    assert report.re_referrals.denominator == 13
    assert report.referrals == 12
    assert report.repeat_children == 4  # Amara, Bo, Cy, Dee
    police = next(r for r in report.agencies if r.code == "police")
    assert police.declined == 1 and police.late == 1  # a2's decline at 100 min of a 24 h clock is on time; b2's 50 h answer on a 48 h clock is late
    cse = next(c for c in insight_report(user=hub["manager"], flt=FILTERS[0]).cohorts if c.code == "cse")
    assert cse.child_referrals == 1 and cse.re_referrals.numerator == 1


def test_the_known_answers_by_team(hub, history):
    """Team B has a1, b1 and c2; Team A the rest but e1, which has none. A re-referral counts whatever
    the team of the earlier referral: a2 (Team A) after a1 (Team B), c2 (Team B) after c1 (Team A)."""
    team_a, _ = compare(hub, FILTERS[7])
    team_b, _ = compare(hub, FILTERS[8])
    assert (team_a.referrals, team_b.referrals) == (8, 3)
    everyone = performance_report(user=hub["manager"], flt=FILTERS[0])
    assert everyone.referrals == team_a.referrals + team_b.referrals + 1  # e1, rated before the hub had teams
    assert team_a.re_referrals.numerator == 3  # a2, a3, d2
    assert team_b.re_referrals.numerator == 1  # c2
    none, _ = compare(hub, FILTERS[9])
    assert none.referrals == 0 and none.children == 0 and all(r.requests == 0 for r in none.agencies)


def test_a_team_change_moves_the_referral_in_the_report(hub, history, freeze):
    """Handing a referral to another team (a re-rating that changes only the team) is audited and
    rebuilds its month's block, so the next report counts it under the new team."""
    from openmash.audit.models import AuditEvent

    team_a, team_b = FILTERS[7], FILTERS[8]
    before_a = performance_report(user=hub["manager"], flt=team_a)
    before_b = performance_report(user=hub["manager"], flt=team_b)
    month = facts.month_key(dt.date(2025, 3, 5))
    token = FactBlock.objects.get(month=month).token
    freeze(NOW + dt.timedelta(minutes=5))
    open_ref = Referral.objects.get(pk=history["open"].pk)
    referral_triage(user=hub["manager"], referral=open_ref, rating=open_ref.rating, rationale="Team B has the family.",
                    agency_codes=[], team_code="team-b")
    event = AuditEvent.objects.filter(action="referral.team_change", referral_reference=open_ref.reference).get()
    assert event.details == {"before": "team-a", "after": "team-b", "reason": "Team B has the family."}
    freeze(NOW + dt.timedelta(minutes=10))
    after_a, _ = compare(hub, team_a)
    after_b, _ = compare(hub, team_b)
    assert FactBlock.objects.get(month=month).token != token
    assert (after_a.referrals, after_b.referrals) == (before_a.referrals - 1, before_b.referrals + 1)
    assert after_b.children == before_b.children + 1


def test_a_merge_makes_a_re_referral_and_the_report_follows_it(hub, history, freeze):
    flt = FILTERS[1]
    before = performance_report(user=hub["manager"], flt=flt)
    kept = Person.objects.get(pk=kids(history["e1"])[0])
    merged = Person.objects.get(pk=kids(history["e2"])[0])
    merge_people(user=hub["manager"], kept=kept, merged=merged, reason="Same girl: Evie is Eve.")
    after, expected = compare(hub, flt)
    assert after.re_referrals.numerator == before.re_referrals.numerator + 1


def test_blocks_follow_every_change_and_equal_a_fresh_build(hub, history, freeze):
    flt = FILTERS[0]
    first = performance_report(user=hub["manager"], flt=flt)
    assert FactBlock.objects.exists()
    open_ref = history["open"]
    police_before = next(r for r in first.agencies if r.code == "health-community")
    assert police_before.answered == 4
    freeze(NOW + dt.timedelta(minutes=5))
    answer(hub, open_ref, "health-community", "declined")
    decide(hub, Referral.objects.get(pk=open_ref.pk), "nfa")
    freeze(NOW + dt.timedelta(minutes=10))
    second = performance_report(user=hub["manager"], flt=flt)
    health = next(r for r in second.agencies if r.code == "health-community")
    assert health.answered == 5 and health.declined == 1
    assert second.decision.count == first.decision.count + 1
    # A fresh build from nothing gives the same numbers as the blocks that were kept up to date.
    FactBlock.objects.all().delete()
    facts.clear_cache()
    third = performance_report(user=hub["manager"], flt=flt)
    assert third.__dict__ | {"at": None} == second.__dict__ | {"at": None}


@pytest.mark.parametrize("group", [5, 1000], ids=["fetched-in-groups-beside-the-reading", "fetched-at-once"])
def test_blocks_read_back_by_a_new_process_give_the_same_report(hub, history, monkeypatch, group):
    """A process with nothing in memory reads the stored blocks (in binary on PostgreSQL, a group at
    a time by a second thread when there are many) and computes exactly what the process that built
    them did."""
    monkeypatch.setattr(facts, "PREFETCH_GROUP", group)
    flt = FILTERS[0]
    built = performance_report(user=hub["manager"], flt=flt)
    stored = dict(FactBlock.objects.values_list("month", "token"))
    facts.clear_cache()
    read_back = performance_report(user=hub["manager"], flt=flt)
    assert dict(FactBlock.objects.values_list("month", "token")) == stored  # read, not rebuilt
    assert read_back.__dict__ | {"at": None} == built.__dict__ | {"at": None}


def test_a_failed_read_of_blocks_is_raised_and_leaves_no_thread_behind(hub, history, monkeypatch):
    from django.db import connection

    flt = FILTERS[0]
    performance_report(user=hub["manager"], flt=flt)
    facts.clear_cache()
    monkeypatch.setattr(facts, "PREFETCH_GROUP", 5)
    real, calls = facts._payloads, []

    def failing(months, raw=None):
        calls.append(months)
        # PostgreSQL reads 48 months in groups of 5: the third group fails, mid-way through the reading.
        if len(calls) == (3 if connection.vendor == "postgresql" else 1):
            raise RuntimeError("the connection went away")
        return real(months, raw=raw)

    monkeypatch.setattr(facts, "_payloads", failing)
    with pytest.raises(RuntimeError, match="the connection went away"):
        performance_report(user=hub["manager"], flt=flt)
    assert not [t for t in threading.enumerate() if t.name == "report-blocks"]
    monkeypatch.setattr(facts, "_payloads", real)
    assert performance_report(user=hub["manager"], flt=flt).referrals > 0  # and the next report works


def test_warming_reads_every_stored_block_so_the_first_report_reads_none(hub, history, monkeypatch):
    flt = FILTERS[0]
    built = performance_report(user=hub["manager"], flt=flt)
    facts.clear_cache()
    assert facts.warm() == FactBlock.objects.count() > 0
    assert facts.warm() == 0  # nothing more to read

    def no_reading(*args, **kwargs):
        raise AssertionError("a block was read again")

    monkeypatch.setattr(facts, "_payloads", no_reading)
    again = performance_report(user=hub["manager"], flt=flt)
    assert again.__dict__ | {"at": None} == built.__dict__ | {"at": None}


def test_the_web_server_warms_the_blocks_on_start_unless_told_not_to(settings, monkeypatch):
    calls = []
    monkeypatch.setattr(facts, "warm", lambda: calls.append("warm") or 0)
    settings.REPORTS_WARM_ON_START = False
    assert facts.warm_on_start() is None
    settings.REPORTS_WARM_ON_START = True
    thread = facts.warm_on_start()
    thread.join(timeout=10)
    assert calls == ["warm"] and not thread.is_alive()


def test_a_report_arriving_during_the_warm_up_waits_for_it_instead_of_reading_beside_it(hub, history, monkeypatch):
    import time

    flt = FILTERS[0]
    performance_report(user=hub["manager"], flt=flt)
    events = []

    def slow_warm():
        time.sleep(0.3)
        events.append("warm-up done")
        return 0

    monkeypatch.setattr(facts, "warm", slow_warm)
    real_refresh = facts.refresh
    monkeypatch.setattr(facts, "refresh", lambda: events.append("report reads") or real_refresh())
    thread = facts.warm_in_background()
    performance_report(user=hub["manager"], flt=flt)
    thread.join()
    assert events == ["warm-up done", "report reads"]


def test_block_payloads_are_stored_uncompressed_on_postgresql(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting: SQLite has none")
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstorage FROM pg_attribute WHERE attrelid = 'reports_factblock'::regclass "
                       "AND attname = 'payload'")
        assert cursor.fetchone()[0] == "e"  # EXTERNAL: out of line, not compressed


def test_a_block_built_before_a_change_is_not_trusted(hub, history, freeze):
    """The month's block is rebuilt after a late answer even when the report was read in between."""
    flt = FILTERS[0]
    performance_report(user=hub["manager"], flt=flt)
    month = facts.month_key(dt.date(2025, 3, 5))
    token = FactBlock.objects.get(month=month).token
    freeze(NOW + dt.timedelta(hours=3))
    answer(hub, history["open"], "health-community", "held")
    freeze(NOW + dt.timedelta(hours=4))
    report = performance_report(user=hub["manager"], flt=flt)
    assert FactBlock.objects.get(month=month).token != token
    assert next(r for r in report.agencies if r.code == "health-community").late == 3  # a1 and a2 late already; this one at 15:00 on a 14:30 clock


def test_a_block_built_after_a_change_is_trusted_at_once(hub, history, freeze):
    """A block started after a change saw it: the next report, a second later, reads it as it is
    (a busy hub does not rebuild the current month on every report)."""
    flt = FILTERS[0]
    performance_report(user=hub["manager"], flt=flt)
    month = facts.month_key(dt.date(2025, 3, 5))
    freeze(NOW + dt.timedelta(hours=3))
    answer(hub, history["open"], "health-community", "held")
    freeze(NOW + dt.timedelta(hours=3, seconds=1))
    performance_report(user=hub["manager"], flt=flt)
    rebuilt = FactBlock.objects.get(month=month).token
    freeze(NOW + dt.timedelta(hours=3, seconds=2))
    performance_report(user=hub["manager"], flt=flt)
    assert FactBlock.objects.get(month=month).token == rebuilt


def _reserve_audit_ids(n: int) -> list[int]:
    """Ids handed out now, as to transactions that have not committed yet."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id')) FROM generate_series(1, %s)", [n])
            return [row[0] for row in cursor.fetchall()]
    newest = AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0
    return list(range(newest + 1, newest + 1 + n))


def _audit_row(event_id: int, action: str, reference: str = ""):
    AuditEvent.objects.create(id=event_id, action=action, referral_reference=reference, actor_username="late-writer",
                              object_type="referral", occurred_at=clock.now())


def test_a_change_that_commits_after_a_block_was_started_with_a_lower_id_makes_it_stale(hub, history, freeze):
    """Audit ids are handed out before commit: a change may become visible after an event with a higher
    id and after a block was built. The block knew that id was not visible yet, so it is rebuilt."""
    flt = FILTERS[0]
    referral = history["open"]
    month = facts.month_key(clock.to_local(referral.received_at).date())
    performance_report(user=hub["manager"], flt=flt)
    freeze(NOW + dt.timedelta(hours=5))
    in_flight, later = _reserve_audit_ids(2)
    _audit_row(later, "referral.view", referral.reference)  # a later event is visible first
    FactBlock.objects.filter(month=month).delete()  # the month's block is built now, with `in_flight` unseen
    before = performance_report(user=hub["manager"], flt=flt)
    assert in_flight in FactBlock.objects.get(month=month).unseen_audit_ids
    token = FactBlock.objects.get(month=month).token
    # The in-flight transaction commits: the referral is re-rated, and its audit row (the lower id) appears.
    Referral.objects.filter(pk=referral.pk).update(rating="urgent")
    _audit_row(in_flight, "referral.rerate", referral.reference)
    freeze(NOW + dt.timedelta(hours=5, seconds=3))
    after = performance_report(user=hub["manager"], flt=flt)
    assert FactBlock.objects.get(month=month).token != token
    was, now = dict(before.by_rating), dict(after.by_rating)
    assert (now["red"], now["urgent"]) == (was["red"] - 1, was["urgent"] + 1)


def test_re_referral_window_is_the_same_date_a_year_earlier():
    days = [dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2024, 1, 1)]
    import numpy as np

    got = measures.months_before_ordinals(np.array([d.toordinal() for d in days]), 12)
    assert [dt.date.fromordinal(int(o)) for o in got] == [dt.date(2023, 2, 28), dt.date(2024, 2, 28), dt.date(2024, 3, 31), dt.date(2023, 1, 1)]


@pytest.mark.parametrize("moment", [
    dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2024, 3, 31, 0, 30, 0, 0, tzinfo=UTC),  # no fraction: stored without one
    dt.datetime(1999, 12, 31, 12, 0, 0, 5, tzinfo=UTC),
])
def test_the_database_turns_times_into_exact_microseconds(moment):
    from openmash.audit.models import AuditEvent

    event = AuditEvent.objects.create(occurred_at=moment, actor_username="t", action="test.event", object_type="t")
    got = AuditEvent.objects.filter(pk=event.pk).annotate(us=facts.EpochMicros("occurred_at")).values_list("us", flat=True).get()
    whole = int(moment.replace(microsecond=0).timestamp())
    assert got == whole * 1_000_000 + moment.microsecond


@given(st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=300),
       st.lists(st.integers(min_value=201, max_value=5000), max_size=20))
@settings(max_examples=200, deadline=None)
def test_percentiles_from_a_histogram_equal_numpy(values, beyond):
    """Agency response times are counted in a histogram (bins of one minute) plus the rare long ones:
    the median and 90th percentile must be exactly np.percentile's of the values themselves."""
    import numpy as np

    counts = np.bincount(np.array(values), minlength=201)
    got = measures.histogram_distribution(counts, np.sort(np.array(beyond, dtype="i8")))
    everything = np.array(values + beyond, dtype="f8")
    assert got.count == len(everything)
    assert got.median == pytest.approx(float(np.percentile(everything, 50)))
    assert got.p90 == pytest.approx(float(np.percentile(everything, 90)))


@pytest.mark.parametrize("level", ["district", "sector"])
def test_hotspots_equal_a_count_by_hand(hub, history, level):
    from collections import Counter

    from openmash.people.models import Address
    from openmash.referrals.models import ReferralPerson
    from openmash.reports import geo
    from openmash.reports.selectors import hotspots

    flt = FILTERS[0]
    place = geo.postcode_district if level == "district" else geo.postcode_sector
    expected = Counter()
    for link in ReferralPerson.objects.filter(kind="child"):
        address = Address.objects.filter(person_id=link.person_id, is_current=True).order_by("-created_at", "-id").first()
        expected[place(address.postcode if address else "")] += 1
    got = hotspots(user=hub["manager"], flt=flt, level=level)
    assert {code: n for code, _, n in got.rows} == dict(expected)
    assert got.total == sum(expected.values())


def test_a_month_read_in_many_chunks_gives_the_same_numbers(hub, history, monkeypatch):
    """Months of more referrals than one statement may name are read in chunks (SQLite's parameter limit)."""
    monkeypatch.setattr(facts, "ID_CHUNK", 1)
    FactBlock.objects.all().delete()
    facts.clear_cache()
    compare(hub, FILTERS[0])
