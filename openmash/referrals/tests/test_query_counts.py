"""Lists and the referral page do a fixed number of queries, however many rows they show."""

import pytest

from openmash.core.testing.factories import answer, make_triaged

pytestmark = pytest.mark.django_db


def _count(django_assert_max_num_queries, client, url, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("n", [2, 12])
def test_the_dashboard_does_not_query_per_referral(hub, login, django_assert_max_num_queries, n):
    for _ in range(n):
        make_triaged(hub, rating="amber")
    client = login(hub["manager"])
    _count(django_assert_max_num_queries, client, "/referrals/", 14)
    _count(django_assert_max_num_queries, client, "/referrals/?status=gathering", 14)


@pytest.mark.parametrize("answers", [0, 6])
def test_the_referral_page_does_not_query_per_agency_or_answer(hub, login, django_assert_max_num_queries, answers):
    referral = make_triaged(hub, rating="red")
    for code in ["police", "education", "gp", "housing", "camhs", "probation"][:answers]:
        answer(hub, referral, code, restriction="manager_only" if code == "police" else "none")
    client = login(hub["manager"])
    _count(django_assert_max_num_queries, client, f"/referrals/{referral.reference}/", 25)


@pytest.mark.parametrize("n", [1, 10])
def test_the_agency_worklist_does_not_query_per_request(hub, login, django_assert_max_num_queries, n):
    for _ in range(n):
        make_triaged(hub, rating="green")
    client = login(hub["police-rep"])
    _count(django_assert_max_num_queries, client, "/requests/", 12)
