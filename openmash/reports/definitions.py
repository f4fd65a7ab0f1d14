"""What each measure means, in words, shown beside it on the page, in the exports and the API's
documentation. One place, so the page and the numbers cannot drift apart (ADR 0015)."""

DEFINITIONS: dict[str, tuple[str, str]] = {
    "referrals": (
        "Referrals received",
        "Referrals the hub received in the period, by the date it received them (London time), whatever "
        "their status now. A referral about several children counts once.",
    ),
    "children": (
        "Children referred",
        "Each child named on a referral counts once per referral (a 'child referral'); a child named on "
        "three referrals counts three times.",
    ),
    "volumes": (
        "Referrals received over time",
        "Referrals received per day, per week (weeks start on Monday) or per month, by receipt date.",
    ),
    "by_source": (
        "Referrals by source",
        "Who made the referral, in the Children in Need census source codes.",
    ),
    "by_rating": (
        "Referrals by rating",
        "The referral's rating now (a re-rated referral counts under its latest rating). 'Not yet rated' "
        "means it is waiting for triage.",
    ),
    "triage": (
        "Receipt to triage",
        "Calendar time from the hub receiving the referral to its first rating, over the referrals in the "
        "period that have been rated. Median and 90th percentile (nine in ten were quicker).",
    ),
    "decision": (
        "Receipt to decision",
        "Calendar time from the hub receiving the referral to the manager's decision, over the decided "
        "referrals in the period. Median and 90th percentile.",
    ),
    "decided_within_one_working_day": (
        "Decided within one working day",
        "Share of referrals decided within one working day of receipt (8 working hours, Monday to Friday "
        "09:00–17:00, not bank holidays; a referral received out of hours has until 17:00 the next working "
        "day). Counted over referrals that are decided or whose working day has ended; a referral still "
        "open after its working day counts as not within.",
    ),
    "information_complete": (
        "Information complete by the deadline",
        "Share of referrals for which every partner agency asked had answered by its due time. Counted "
        "over referrals with at least one request whose answers are all in or whose last due time has "
        "passed. A request closed unanswered because the hub decided first counts as not complete.",
    ),
    "agencies": (
        "Agency timeliness",
        "One row per partner agency, over the requests sent for referrals received in the period. "
        "On time: answered at or before the due time, as a share of requests that were due (answered, "
        "or still open past their due time; requests closed unanswered because the hub decided first are "
        "left out). Late: answered after the due time. Overdue: still unanswered past the due time. "
        "Response time: calendar time from the request to the agency's first answer. 'Not known' rate: "
        "answers saying the child and family are not known to the agency, as a share of answers.",
    ),
    "outcomes": (
        "Outcomes",
        "The decision for each child on the decided referrals in the period (one outcome per child), as a "
        "share of the children with a decision.",
    ),
    "re_referrals": (
        "Re-referrals within 12 months",
        "A child referral is a re-referral when the same child (after matching and merges) had an earlier "
        "referral received within the 12 months before: on or after the same date a year earlier (29 "
        "February looks back to 28 February). The rate is re-referrals as a share of child referrals in "
        "the period (the Children in Need census definition). Earlier referrals before the period count, "
        "and so do earlier referrals of any rating, source or team: a filter picks the later referral only.",
    ),
    "repeat": (
        "Repeat referrals in the period",
        "Children referred more than once within the period, and how many referrals they had beyond "
        "their first.",
    ),
    "strategy": (
        "Receipt to a decision to hold a strategy discussion",
        "For referrals that led to a strategy discussion (rated Urgent, or a child's outcome 'strategy "
        "discussion / section 47'), calendar time from receipt to the earlier of those two moments.",
    ),
    "cohorts": (
        "Phase-two cohorts",
        "A child referral belongs to a cohort when the referral's concerns include it (child sexual "
        "exploitation, child criminal exploitation, trafficking, private fostering, FGM). A child referral "
        "can be in more than one cohort. Age is the child's age on the day the hub received the referral.",
    ),
    "overlap": (
        "Overlap between cohorts",
        "Child referrals in the row's cohort whose referral also names the column's concern.",
    ),
    "hotspots": (
        "Hotspots",
        "Child referrals by where the child lives now (their current address): postcode district (e.g. "
        "SE15), sector (e.g. SE15 4), or an area the council uploaded (through its postcode lookup).",
    ),
    "suppression": (
        "Small numbers",
        "Counts from 1 to {threshold_less_one} are shown as '<{threshold}', and where a total would let a "
        "hidden count be worked out, the next smallest count is hidden too. Rates over fewer than "
        "{threshold} are not shown.",
    ),
}


def definition(key: str) -> str:
    return DEFINITIONS[key][1]


def title(key: str) -> str:
    return DEFINITIONS[key][0]
