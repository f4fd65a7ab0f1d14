"""Journey 7: a duplicate record of a child the hub knows arrives from a school's file; the batch job
queues the pair; a MASH manager reviews it beside the child's brother, merges, and undoes the merge.

The school's file and the batch job run as the commands a council would run (`import_people`,
`find_duplicates`), against the running service's own database. Every page is checked with axe-core.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, _tail

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# One interpreter: read Jayden Smith's date of birth from the demo data, write the school's file with
# his name misspelt ("Jaden") and no UPN, load it, then run the batch job as a council would.
_LOAD_AND_FIND = """
import csv, sys, tempfile
import django
django.setup()
from django.core.management import call_command
from openmash.people.models import DuplicatePair, Person, PersonSource
jayden = Person.objects.get(upn="B801200005001", merged_into__isnull=True)  # the demo's Jayden (other journeys add people)
with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", delete=False) as f:
    out = csv.writer(f)
    out.writerow(["source_id", "given_name", "family_name", "date_of_birth", "sex", "address_line", "town", "postcode"])
    out.writerow(["PUPIL-4471", "Jaden", "Smith", jayden.date_of_birth.isoformat(), "M", "14 Alder Road", "London", "SE15 4AB"])
call_command("import_people", f.name, agency="education", no_progress=True)
call_command("find_duplicates", no_progress=True)
jaden = PersonSource.objects.get(source_id="PUPIL-4471").person
a, b = sorted((jayden.pk, jaden.pk))
print("PAIR", DuplicatePair.objects.get(person_a_id=a, person_b_id=b).pk)
"""


@pytest.fixture(scope="module")
def queued_pair(server, _prepared_database):
    _database, env, _seeding, _log = _prepared_database
    done = subprocess.run([sys.executable, "-c", _LOAD_AND_FIND], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    if done.returncode != 0:
        pytest.fail(f"import_people / find_duplicates failed:\n{done.stdout}\n{done.stderr}\n{_tail(server.log)}")
    return int(done.stdout.split("PAIR ")[-1].split()[0])


def test_manager_reviews_a_duplicate_merges_it_and_undoes_the_merge(queued_pair, start_journey):
    j = start_journey("7-duplicates")
    page = j.page
    j.sign_in("manager")
    j.goto("/people/duplicates/", "queue")
    pair_link = page.locator(f"main a[href$='/people/duplicates/{queued_pair}/']")
    expect(pair_link).to_be_visible()
    pair_link.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Jayden")
    expect(main).to_contain_text("Jaden")
    expect(main).to_contain_text("Tyler")  # his brother, in the household: visibly someone else
    j.check("pair")

    # The older record is kept unless the manager chooses otherwise; merging without saying why is
    # refused, with the reason by the field.
    page.get_by_role("button", name="Merge the records", exact=True).click()
    page.wait_for_load_state("load")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter why these two records are the same person")
    j.check("pair-errors")

    expect(page.locator("input[name='keep']:checked")).to_have_count(1)
    page.get_by_label("Why are they the same person?").fill("Same date of birth and address; the school confirmed the spelling.")
    page.get_by_role("button", name="Merge the records", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="What the merge did")).to_be_visible()
    j.check("merged")

    page.get_by_label("Why are you undoing the merge?").fill("Merged by mistake while checking the queue.")
    page.get_by_role("button", name="Undo the merge", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("undone", ignore_case=True)
    j.check("undone")
    j.assert_clean()
