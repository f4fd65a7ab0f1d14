"""An independent, deliberately plain recomputation of the measures from the live tables.

Row by row through the ORM, in Python, with no shared code from facts.py or measures.py (only the
definitions in words): if the fast path and this disagree, one of them is wrong."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from openmash.agencies.models import Agency
from openmash.information_requests.models import InformationRequest
from openmash.people.models import Person
from openmash.referrals import deadlines
from openmash.referrals.models import ChildOutcome, RatingChange, Referral, ReferralConcern, ReferralPerson

LONDON = ZoneInfo("Europe/London")


def percentile(values, q):
    """Linear interpolation between closest ranks (what numpy and pandas do by default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def local_day(t):
    return t.astimezone(LONDON).date()


def year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return dt.date(day.year - 1, 2, 28)


def root(person_id, merged):
    seen = set()
    while person_id in merged and person_id not in seen:
        seen.add(person_id)
        person_id = merged[person_id]
    return person_id


def recompute(start: dt.date, end: dt.date, *, now: dt.datetime, ratings=(), sources=(), agency="", team=None):
    merged = dict(Person.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
    referrals = []
    for ref in Referral.objects.select_related("team"):
        day = local_day(ref.received_at)
        if not (start <= day <= end):
            continue
        if ratings and ref.rating not in ratings:
            continue
        if sources and ref.source not in sources:
            continue
        if agency and not InformationRequest.objects.filter(referral=ref, agency__code=agency).exists():
            continue
        if team is not None and (ref.team is None or ref.team.code != team):
            continue
        referrals.append(ref)
    ids = {r.pk for r in referrals}
    out = {"referrals": len(referrals)}
    by_source = defaultdict(int)
    by_rating = defaultdict(int)
    triage, decision, strategy = [], [], []
    within_n = within_d = info_n = info_d = 0
    for ref in referrals:
        by_source[ref.source] += 1
        by_rating[ref.rating] += 1
        first = RatingChange.objects.filter(referral=ref).order_by("changed_at").first()
        if first:
            triage.append((first.changed_at - ref.received_at).total_seconds() // 60)
        if ref.decided_at:
            decision.append(max(0, (ref.decided_at - ref.received_at).total_seconds() // 60))
        due = deadlines.add_working(ref.received_at, 480)
        if ref.decided_at or due < now:
            within_d += 1
            if ref.decided_at and ref.decided_at <= due:
                within_n += 1
        reqs = list(InformationRequest.objects.filter(referral=ref))
        if reqs:
            all_in = all(r.answered_at for r in reqs)
            if all_in or max(r.due_at for r in reqs) < now:
                info_d += 1
                if all(r.answered_at and r.answered_at <= r.due_at for r in reqs):
                    info_n += 1
        moments = []
        if ref.strategy_discussion_required_at:
            moments.append(ref.strategy_discussion_required_at)
        if ChildOutcome.objects.filter(decision__referral=ref, outcome="strategy_discussion").exists():
            moments.append(ref.decided_at)
        if moments:
            strategy.append(max(0, (min(moments) - ref.received_at).total_seconds() // 60))
    out["by_source"] = dict(by_source)
    out["by_rating"] = dict(by_rating)
    out["triage"] = (len(triage), percentile(triage, 50), percentile(triage, 90))
    out["decision"] = (len(decision), percentile(decision, 50), percentile(decision, 90))
    out["strategy"] = (len(strategy), percentile(strategy, 50), percentile(strategy, 90))
    out["within"] = (within_n, within_d)
    out["info"] = (info_n, info_d)

    agencies = {}
    for a in Agency.objects.all():
        if agency and a.code != agency:
            continue
        rows = [r for r in InformationRequest.objects.filter(agency=a, referral_id__in=ids)]
        answered = [r for r in rows if r.status == "answered"]
        on_time = [r for r in answered if r.answered_at <= r.due_at]
        overdue = [r for r in rows if r.status == "open" and r.due_at < now]
        latest = {}
        for r in answered:
            last = r.answers.order_by("-version").first()
            latest[r.pk] = last.outcome if last else ""
        responses = [max(0, (r.answered_at - r.requested_at).total_seconds() // 60) for r in answered]
        agencies[a.code] = {
            "requests": len(rows), "answered": len(answered), "on_time": len(on_time), "late": len(answered) - len(on_time),
            "overdue": len(overdue), "not_needed": sum(1 for r in rows if r.status == "not_needed"),
            "not_known": sum(1 for v in latest.values() if v == "not_known"),
            "declined": sum(1 for v in latest.values() if v == "declined"),
            "response": (len(responses), percentile(responses, 50), percentile(responses, 90)),
        }
    out["agencies"] = agencies

    # Children: outcomes, re-referrals, repeats, cohorts.
    all_children = defaultdict(list)  # root person -> [(received_at, referral id)]
    for link in ReferralPerson.objects.filter(kind="child").select_related("referral"):
        all_children[root(link.person_id, merged)].append((link.referral.received_at, link.referral_id))
    outcomes = defaultdict(int)
    child_referrals = re_referrals = 0
    per_child = defaultdict(set)
    cohorts = defaultdict(int)
    concern_of = defaultdict(set)
    for rid, cat in ReferralConcern.objects.filter(referral_id__in=ids).values_list("referral_id", "category"):
        concern_of[rid].add(cat)
    seen_pairs = set()
    for link in ReferralPerson.objects.filter(kind="child", referral_id__in=ids).select_related("referral"):
        p = root(link.person_id, merged)
        child_referrals += 1
        o = ChildOutcome.objects.filter(decision__referral_id=link.referral_id, person_id=link.person_id).first()
        if o:
            outcomes[o.outcome] += 1
        for cat in concern_of[link.referral_id]:
            cohorts[cat] += 1
        per_child[p].add(link.referral_id)
        if (p, link.referral_id) in seen_pairs:
            continue
        seen_pairs.add((p, link.referral_id))
        day = local_day(link.referral.received_at)
        earlier = [
            local_day(t) for t, r in all_children[p]
            if r != link.referral_id and t < link.referral.received_at
        ]
        if earlier and max(earlier) >= year_earlier(day):
            re_referrals += 1
    out["outcomes"] = dict(outcomes)
    out["re_referrals"] = (re_referrals, child_referrals)
    out["repeat_children"] = sum(1 for refs in per_child.values() if len(refs) >= 2)
    out["repeat_referrals"] = sum(len(refs) - 1 for refs in per_child.values() if len(refs) >= 2)
    out["cohorts"] = dict(cohorts)
    return out
