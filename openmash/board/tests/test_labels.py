"""How a board labels agencies, children and clocks (pure functions)."""

import datetime as dt

from openmash.board.labels import agency_short_names, child_label, countdown_text
from openmash.core.demo import AGENCIES

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_the_demo_agencies_get_short_distinct_labels():
    short = agency_short_names([code for code, _, _ in AGENCIES])
    assert short == {
        "csc": "CSC", "police": "POL", "health-acute": "HA", "health-community": "HC", "gp": "GP", "camhs": "CAMHS",
        "adult-mh": "AMH", "education": "EDU", "early-help": "EH", "housing": "HOU", "youth-justice": "YJ",
        "probation": "PRO", "adult-social-care": "ASC", "substance-misuse": "SM", "domestic-abuse": "DA",
        "childrens-centres": "CC",
    }
    assert len(set(short.values())) == len(short)


def test_labels_that_would_clash_get_longer_until_they_differ():
    short = agency_short_names(["police", "policy-unit", "poland", "health-care", "housing-charity", "hc"])
    assert len(set(short.values())) == 6, short
    assert short["hc"] == "HC"  # a short code is kept whole …
    assert short["health-care"] != "HC" and short["housing-charity"] != "HC"  # … and the others move away from it
    assert agency_short_names(["police", "polite"]) == {"police": "POLIC", "polite": "POLIT"}


def test_child_labels():
    today = dt.date(2026, 11, 25)
    assert child_label("Jayden", "Smith", dt.date(2018, 7, 3), today) == "J.S. 8"
    assert child_label("mason", "carter", dt.date(2026, 4, 1), today) == "M.C. 7m"
    assert child_label("Baby", "Brown", dt.date(2026, 11, 10), today) == "B.B. 2w"
    assert child_label("Unborn", "Brown", dt.date(2027, 1, 10), today) == "U.B."  # due date in the future: no age
    assert child_label("Amira", "", None, today) == "A."
    assert child_label("", " ", None, today) == "?"


def test_countdowns_like_the_boards_script():
    assert countdown_text(T0 + dt.timedelta(hours=3, minutes=12, seconds=9, milliseconds=500), T0) == "3:12:09"
    assert countdown_text(T0 + dt.timedelta(hours=49), T0) == "49:00:00"
    assert countdown_text(T0, T0) == "0:00:00"
    assert countdown_text(T0 - dt.timedelta(milliseconds=1), T0) == "overdue 0:00:01"
    assert countdown_text(T0 - dt.timedelta(minutes=12, seconds=40), T0) == "overdue 0:12:40"
    assert countdown_text(None, T0) == ""
