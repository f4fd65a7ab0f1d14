"""Valid request bodies for the API tests, relative to the frozen clock."""

import copy
import datetime as dt

from openmash.core import clock


def referral_body(**overrides) -> dict:
    """Two siblings (one with an NHS number and a UPN) and their mother, received an hour ago."""
    body = {
        "received_at": (clock.now() - dt.timedelta(hours=1)).isoformat(),
        "source": "2A",
        "referrer": {
            "anonymous": False,
            "name": "Helen Marsh",
            "role": "Designated safeguarding lead",
            "organisation": "Oakfield Primary",
            "phone": "020 7946 0123",
            "email": "h.marsh@oakfield.example.sch.uk",
        },
        "children": [
            {
                "given_name": "Jayden",
                "family_name": "Smith",
                "other_names": ["Jay Smith-Ali"],
                "date_of_birth": "2018-07-03",
                "sex": "M",
                "ethnicity": "WBRI",
                "nhs_number": "943 476 5919",
                "upn": "A123456789012",
                "address": {"line_1": "14 Alder Road", "line_2": "", "town": "London", "postcode": "se15 4ab"},
            },
            {
                "given_name": "Tyler",
                "family_name": "Smith",
                "date_of_birth": "2020-02-01",
                "sex": "M",
                "address": {"line_1": "14 Alder Road", "town": "London", "postcode": "SE15 4AB"},
            },
        ],
        "adults": [
            {
                "given_name": "Kerry",
                "family_name": "Smith",
                "date_of_birth": "1994-05-05",
                "sex": "F",
                "relationships": [
                    {"child": 0, "kind": "mother", "parental_responsibility": True},
                    {"child": 1, "kind": "mother", "parental_responsibility": True},
                ],
            }
        ],
        "concern_categories": ["neglect", "domestic_abuse"],
        "concern_narrative": "Coming to school hungry; police attended a domestic incident at the home.",
        "family_informed": "yes",
        "family_informed_notes": "Mother told by the school.",
        "consent": "given",
        "consent_notes": "",
    }
    for key, value in overrides.items():
        body[key] = value
    return copy.deepcopy(body)


def decision_body(child_ids, outcome="nfa", **overrides) -> dict:
    body = {
        "children": [{"person_id": pid, "outcome": outcome} for pid in child_ids],
        "rationale": "Enough is known; needs are met by universal services.",
        "threshold_level": 2,
        "early_decision_reason": "",
        "referrer_informed": "yes",
        "referrer_informed_method": "phone",
        "referrer_informed_notes": "",
    }
    body.update(overrides)
    return body
