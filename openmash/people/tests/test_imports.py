"""`manage.py import_people` and `manage.py import_involvements` (people/imports.py): every bad row
reported with its line and reason, the rest loaded, safe to run twice, updates by the agency's id."""

import codecs
import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from openmash.audit.models import AuditEvent
from openmash.people import imports
from openmash.people.identifiers import nhs_number_check_digit, upn_check_letter
from openmash.people.models import Address, Involvement, Person, PersonKey, PersonName, PersonSource

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)
HEADER = "source_id,given_name,family_name,date_of_birth,sex,address_line,town,postcode,nhs_number,upn,other_names"
GOOD = "P1,Jayden,Smith,03/07/2015,M,12 Rye Lane,London,SE15 4AB,943 476 5919,,Jay Smith-Ali"
INVOLVEMENT_HEADER = "source_id,person_source_id,service,practitioner_name,practitioner_contact,role,is_lead,start_date,end_date"


def nhs(first_nine: str) -> str:
    return first_nine + str(nhs_number_check_digit(first_nine))


def upn(body: str) -> str:
    return upn_check_letter(body) + body


@pytest.fixture
def world(hub, freeze):
    freeze(T0)
    return hub


def write(tmp_path, lines, name="people.csv", *, encoding="utf-8", bom=False) -> str:
    path = tmp_path / name
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return str(path)


def run(command, path, agency="police", **options):
    """(exit code, stdout, stderr) of a command run."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, path, agency=agency, stdout=out, stderr=err, **options)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def people(tmp_path, lines, **kw):
    return run("import_people", write(tmp_path, [HEADER, *lines]), **kw)


def counts():
    return (Person.objects.count(), Address.objects.count(), PersonName.objects.count(),
            PersonSource.objects.count(), PersonKey.objects.count(), Involvement.objects.count())


def person(source_id="P1", agency="police") -> Person:
    return PersonSource.objects.get(agency__code=agency, source_id=source_id).person


# ------------------------------------------------------------------ a good file


@pytest.mark.django_db
def test_a_good_file_is_loaded_with_sources_addresses_other_names_and_keys(world, tmp_path):
    code, out, err = people(tmp_path, [GOOD, f"P2,Ava,Jones,2016-02-29,Female,,,,,{upn('123456789012')},"])
    assert code == 0, (out, err)
    assert "2 read, 2 created, 0 updated, 0 unchanged, 0 rejected" in out
    jayden = person("P1")
    assert (jayden.given_name, jayden.family_name, jayden.given_name_norm) == ("Jayden", "Smith", "jayden")
    assert jayden.date_of_birth == dt.date(2015, 7, 3)  # DD/MM/YYYY: day first, as UK files write it
    assert (jayden.sex, jayden.nhs_number) == ("M", "9434765919")
    address = jayden.addresses.get()
    assert (address.line_1, address.town, address.postcode, address.is_current) == ("12 Rye Lane", "London", "SE15 4AB", True)
    assert [(n.given_name, n.family_name) for n in jayden.other_names.all()] == [("Jay", "Smith-Ali")]
    ava = person("P2")
    assert (ava.date_of_birth, ava.sex, ava.upn) == (dt.date(2016, 2, 29), "F", upn("123456789012"))
    assert not ava.addresses.exists()
    assert PersonKey.objects.filter(person=jayden).exists() and PersonKey.objects.filter(person=ava).exists()
    assert "Importing people" in err  # the progress bar


@pytest.mark.django_db
def test_columns_in_any_order_and_optional_columns_may_be_left_out(world, tmp_path):
    path = write(tmp_path, ["postcode,town,address_line,sex,date_of_birth,family_name,given_name,source_id",
                            "SE15 4AB,London,12 Rye Lane,F,,Smith,Kerry,K1"])
    code, out, _ = run("import_people", path)
    assert code == 0 and "1 created" in out
    kerry = person("K1")
    assert (kerry.given_name, kerry.family_name, kerry.sex, kerry.date_of_birth) == ("Kerry", "Smith", "F", None)


# ------------------------------------------------------------------ bad rows

BAD_ROWS = [
    ("missing source id", ",Jayden,Smith,,,,,,,,", "source_id", "Enter the agency's id"),
    ("source id too long", "X" * 65 + ",Jayden,Smith,,,,,,,,", "source_id", "64 characters or fewer"),
    ("missing given name", "B1,,Smith,,,,,,,,", "given_name", "Enter a first name"),
    ("missing family name", "B1,Jayden,,,,,,,,,", "family_name", "Enter a last name"),
    ("name too long", "B1," + "J" * 101 + ",Smith,,,,,,,,", "given_name", "100 characters or fewer"),
    ("date not a date", "B1,Jayden,Smith,3rd July 2015,,,,,,,", "date_of_birth", "YYYY-MM-DD or DD/MM/YYYY"),
    ("date month first", "B1,Jayden,Smith,07/31/2015,,,,,,,", "date_of_birth", "07/31/2015 does not exist"),
    ("impossible date", "B1,Jayden,Smith,2015-02-30,,,,,,,", "date_of_birth", "does not exist"),
    ("two-digit year", "B1,Jayden,Smith,3/7/15,,,,,,,", "date_of_birth", "year in full"),
    ("date in the future", "B1,Jayden,Smith,2027-01-01,,,,,,,", "date_of_birth", "today or in the past"),
    ("date before 1900", "B1,Jayden,Smith,1899-12-31,,,,,,,", "date_of_birth", "after 1900"),
    ("unknown sex", "B1,Jayden,Smith,,X,,,,,,", "sex", "M, F or U"),
    ("NHS number check digit", "B1,Jayden,Smith,,,,,,9434765918,,", "nhs_number", "check digit"),
    ("NHS number not digits", "B1,Jayden,Smith,,,,,,94347659AB,,", "nhs_number", "10 digits"),
    ("UPN check letter", "B1,Jayden,Smith,,,,,,,B123456789012,", "upn", "check letter"),
    ("UPN shape", "B1,Jayden,Smith,,,,,,,A12,", "upn", "13 characters"),
    ("postcode", "B1,Jayden,Smith,,,12 Rye Lane,,SE15 4A,,,", "postcode", "real postcode"),
    ("address line too long", "B1,Jayden,Smith,,,\"" + "x" * 121 + "\",,,,,", "address_line", "120 characters or fewer"),
    ("town alone", "B1,Jayden,Smith,,,,London,,,,", "town", "as well as the town"),
    ("too many other names", "B1,Jayden,Smith,,,,,,,," + ";".join(f"N{i}" for i in range(11)), "other_names", "up to 10"),
    ("too few values", "B1,Jayden,Smith", "", "Has 3 values but the header names 11 columns"),
    ("too many values", "B1,Jayden,Smith,,,,,,,,,extra", "", "Has 12 values"),
    ("stray quote", 'B1,"Jay"den,Smith,,,,,,,,', "", "Cannot be read as CSV"),
    ("NUL character", "B1,Jay\x00den,Smith,,,,,,,,", "given_name", "Must not contain NUL characters"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_with_its_line_and_reason_and_the_rest_loaded(world, tmp_path, case):
    _, row, field, message = case
    code, out, err = people(tmp_path, [GOOD, row, "P9,Ava,Jones,,,,,,,,"])
    assert code == 2, (out, err)
    where = "line 3" + (f", {field}" if field else "")
    reported = [line for line in out.splitlines() if line.startswith("line ")]
    assert len([r for r in reported if r.startswith("line 3")]) >= 1
    assert all(r.startswith("line 3") for r in reported), reported
    assert any(r.startswith(where + ":") and message in r for r in reported), reported
    assert "3 read, 2 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert "1 row was rejected" in err
    assert set(PersonSource.objects.values_list("source_id", flat=True)) == {"P1", "P9"}


@pytest.mark.django_db
def test_a_row_with_several_problems_reports_each(world, tmp_path):
    code, out, _ = people(tmp_path, ["B1,,Smith,31/02/2015,X,,,ZZ1,123,,"])
    assert code == 2
    fields = {line.split(":")[0] for line in out.splitlines() if line.startswith("line 2")}
    assert fields == {"line 2, given_name", "line 2, date_of_birth", "line 2, sex", "line 2, postcode", "line 2, nhs_number"}


@pytest.mark.django_db
def test_line_numbers_are_physical_lines_counting_quoted_newlines_and_blank_lines(world, tmp_path):
    lines = [GOOD, "", 'P2,Ava,Jones,,,"Flat 1', '12 Rye Lane",London,SE15 4AB,,,', "P3,Bad,Date,99/99/2015,,,,,,,"]
    code, out, _ = people(tmp_path, lines)
    assert code == 2
    assert "line 6, date_of_birth:" in out  # header 1, P1 2, blank 3, P2 4–5, P3 6
    assert person("P2").addresses.get().line_1 == "Flat 1\n12 Rye Lane"
    assert "3 read, 2 created" in out  # a blank line is not a row


@pytest.mark.django_db
def test_sex_and_date_spellings(world, tmp_path):
    code, out, _ = people(tmp_path, [
        "S1,A,B,2015-7-3,male,,,,,,", "S2,C,D,3.7.2015,FEMALE,,,,,,", "S3,E,F,03-07-2015,u,,,,,,", "S4,G,H,,,,,,,,",
    ])
    assert code == 0, out
    assert [(person(s).sex, person(s).date_of_birth) for s in ("S1", "S2", "S3", "S4")] == [
        ("M", dt.date(2015, 7, 3)), ("F", dt.date(2015, 7, 3)), ("U", dt.date(2015, 7, 3)), ("U", None),
    ]


# ------------------------------------------------------------------ the file as a whole


FILE_PROBLEMS = [
    ("empty", b"", "The file is empty"),
    ("header only", (HEADER + "\n").encode(), "no rows"),
    ("no header", (GOOD + "\n").encode(), "Line 1 is not a header"),
    ("unknown columns", (HEADER + ",ethnicity,notes\n" + GOOD + ",,\n").encode(), "unknown columns: ethnicity, notes"),
    ("missing columns", b"source_id,given_name,family_name\nP1,Jayden,Smith\n", "missing columns: date_of_birth, sex, address_line, town, postcode"),
    ("a column twice", (HEADER + ",given_name\n").encode(), "'given_name' more than once"),
    ("header not UTF-8", "source_id,given_name,family_name,date_of_birth,sex,address_line,town,postcode,pr\xe9nom\n".encode("latin-1"), "Line 1 is not UTF-8"),
    ("UTF-16", (HEADER + "\n" + GOOD + "\n").encode("utf-16"), "Line 1 is not UTF-8"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", FILE_PROBLEMS, ids=[c[0] for c in FILE_PROBLEMS])
def test_a_file_that_cannot_be_imported_is_refused_whole(world, tmp_path, case):
    _, data, message = case
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    code, out, err = run("import_people", str(path))
    assert code == 1
    assert message in err and "Nothing was imported" in err
    assert counts() == (0, 0, 0, 0, 0, 0)
    assert not AuditEvent.objects.filter(action="person.import").exists()


@pytest.mark.django_db
def test_unknown_or_inactive_agency_lists_the_codes(world, tmp_path):
    path = write(tmp_path, [HEADER, GOOD])
    with pytest.raises(CommandError, match=r"Agency 'nope' is not known\. Agency codes: .*police"):
        call_command("import_people", path, agency="nope", stdout=io.StringIO(), stderr=io.StringIO())
    from openmash.agencies.models import Agency

    Agency.objects.filter(code="police").update(active=False)
    with pytest.raises(CommandError, match="'police' is no longer active"):
        call_command("import_people", path, agency="police", stdout=io.StringIO(), stderr=io.StringIO())
    assert counts() == (0, 0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error(world, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_people", str(tmp_path / "nope.csv"), agency="police", stdout=io.StringIO())


@pytest.mark.django_db
def test_a_byte_order_mark_is_ignored(world, tmp_path):
    code, out, _ = run("import_people", write(tmp_path, [HEADER, GOOD], bom=True))
    assert code == 0 and "1 created" in out
    assert person("P1").given_name == "Jayden"


@pytest.mark.django_db
def test_a_line_that_is_not_utf8_is_rejected_with_its_line_and_byte(world, tmp_path):
    data = "\n".join([HEADER, GOOD, "P2,Ren\xe9e,Dubois,,,,,,,,", "P3,Ava,Jones,,,,,,,,"]).encode("latin-1")
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    code, out, _ = run("import_people", str(path))
    assert code == 2
    assert "line 3: Line 3 is not UTF-8 (byte 0xE9 at position 7): save the file as CSV UTF-8" in out
    assert set(PersonSource.objects.values_list("source_id", flat=True)) == {"P1", "P3"}


@pytest.mark.django_db
def test_utf8_names_are_kept(world, tmp_path):
    code, _, _ = people(tmp_path, ["P1,Renée,Łukasiewicz,,,,,,,,Zoë O'Brien"])
    assert code == 0
    assert (person().given_name, person().family_name, person().family_name_norm) == ("Renée", "Łukasiewicz", "lukasiewicz")


@pytest.mark.django_db
def test_a_source_id_twice_in_a_file_loads_the_first_and_rejects_the_others(world, tmp_path):
    code, out, _ = people(tmp_path, [GOOD, "P2,Ava,Jones,,,,,,,,", "P1,Someone,Else,,,,,,,,", "P1,Third,Time,,,,,,,,"])
    assert code == 2
    assert "line 4, source_id: The id P1 is already on line 2" in out
    assert "line 5, source_id: The id P1 is already on line 2" in out
    assert person("P1").given_name == "Jayden"
    assert "4 read, 2 created, 0 updated, 0 unchanged, 2 rejected" in out


# ------------------------------------------------------------------ twice, and changes


@pytest.mark.django_db
def test_running_the_same_file_twice_changes_nothing(world, tmp_path):
    lines = [GOOD, "P2,Ava,Jones,2016-02-29,F,1 High St,London,SE15 5AA,,,Avie", "P3,Bad,Row,,X,,,,,,"]
    path = write(tmp_path, [HEADER, *lines])
    code, out, _ = run("import_people", path)
    assert code == 2 and "3 read, 2 created, 0 updated, 0 unchanged, 1 rejected" in out
    before = counts()
    keys = sorted(PersonKey.objects.values_list("person_id", "key"))
    code, out, _ = run("import_people", path)
    assert code == 2 and "3 read, 0 created, 0 updated, 2 unchanged, 1 rejected" in out
    assert counts() == before
    assert sorted(PersonKey.objects.values_list("person_id", "key")) == keys


@pytest.mark.django_db
def test_a_changed_row_updates_that_person_and_keeps_what_it_replaces(world, tmp_path):
    people(tmp_path, [GOOD, "P2,Ava,Jones,2016-02-29,F,1 High St,London,SE15 5AA,,,"])
    jayden = person("P1")
    old_address = jayden.addresses.get()
    new_nhs = nhs("401023213")
    changed = f"P1,Jaden,Smyth-Ali,07/03/2015,M,3 Peckham Road,London,SE5 8UH,{new_nhs},{upn('123456789012')},Jay Smith-Ali;JJ"
    code, out, _ = people(tmp_path, [changed, "P2,Ava,Jones,2016-02-29,F,1 High St,Camberwell,SE15 5AA,,,"])
    assert code == 0, out
    assert "2 read, 0 created, 2 updated, 0 unchanged, 0 rejected" in out
    jayden.refresh_from_db()
    assert (jayden.given_name, jayden.family_name, jayden.family_name_norm) == ("Jaden", "Smyth-Ali", "smyth-ali")
    assert (jayden.date_of_birth, jayden.nhs_number, jayden.upn) == (dt.date(2015, 3, 7), new_nhs, upn("123456789012"))
    names = {(n.kind, n.given_name, n.family_name) for n in jayden.other_names.all()}
    assert names == {("alias", "Jay", "Smith-Ali"), ("previous", "Jayden", "Smith"), ("alias", "JJ", "")}
    old_address.refresh_from_db()
    assert (old_address.is_current, old_address.to_date) == (False, dt.date(2026, 11, 25))
    current = jayden.addresses.get(is_current=True)
    assert (current.line_1, current.postcode) == ("3 Peckham Road", "SE5 8UH")
    ava_address = person("P2").addresses.get()  # same line and postcode: the town corrected in place
    assert (ava_address.town, ava_address.is_current) == ("Camberwell", True)
    # The keys follow the new data: the new surname is searchable.
    from openmash.people.keystore import key_hashes, person_record

    assert sorted(PersonKey.objects.filter(person=jayden).values_list("key", flat=True)) == key_hashes(person_record(jayden))


@pytest.mark.django_db
def test_blanks_never_erase_what_is_known(world, tmp_path):
    people(tmp_path, [GOOD])
    code, out, _ = people(tmp_path, ["P1,Jayden,Smith,,,,,,,,"])
    assert code == 0 and "1 unchanged" in out
    jayden = person()
    assert (jayden.date_of_birth, jayden.sex, jayden.nhs_number) == (dt.date(2015, 7, 3), "M", "9434765919")
    assert jayden.addresses.get().is_current
    assert jayden.other_names.count() == 1


@pytest.mark.django_db
def test_the_same_address_written_differently_is_not_a_move(world, tmp_path):
    people(tmp_path, [GOOD])
    code, out, _ = people(tmp_path, ["P1,Jayden,Smith,03/07/2015,M,12  rye lane,London,se154ab,9434765919,,Jay Smith-Ali"])
    assert code == 0 and "1 unchanged" in out
    assert person().addresses.count() == 1


@pytest.mark.django_db
def test_a_new_agency_id_is_a_new_person_even_with_a_known_nhs_number(world, tmp_path):
    people(tmp_path, [GOOD])
    code, out, _ = people(tmp_path, ["H1,Jayden,Smith,03/07/2015,M,,,,9434765919,,"], agency="health-acute")
    assert code == 0 and "1 created" in out
    assert Person.objects.filter(nhs_number="9434765919").count() == 2  # the duplicate finder offers the pair


@pytest.mark.django_db
def test_the_same_id_from_another_agency_is_another_person(world, tmp_path):
    people(tmp_path, [GOOD])
    people(tmp_path, ["P1,Ava,Jones,,,,,,,,"], agency="education")
    assert person("P1", "police").given_name == "Jayden" and person("P1", "education").given_name == "Ava"


@pytest.mark.django_db
def test_an_import_into_a_merged_record_writes_to_the_record_kept(world, tmp_path):
    people(tmp_path, [GOOD, "P2,Jaden,Smith,03/07/2015,M,,,,,,"])
    kept, merged = person("P1"), person("P2")
    Person.objects.filter(pk=merged.pk).update(merged_into=kept)
    code, out, _ = people(tmp_path, ["P2,Jaden,Smith,03/07/2015,M,,,,,,Jay"])
    assert code == 0 and "1 updated" in out
    assert kept.other_names.filter(given_name="Jay", family_name="").exists()
    assert not merged.other_names.exists()


# ------------------------------------------------------------------ batches, audit, progress


@pytest.mark.django_db
def test_batches_are_transactions_a_failure_leaves_no_half_batch(world, tmp_path):
    lines = [f"P{i},Child,Number{i},,,,,,,," for i in range(5)]
    path = write(tmp_path, [HEADER, *lines])
    from openmash.people import keystore

    calls = []

    def failing(ids):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(ids)

    real = keystore.refresh_person_keys
    with mock.patch.object(keystore, "refresh_person_keys", failing), pytest.raises(RuntimeError):
        call_command("import_people", path, agency="police", batch_size=2, stdout=io.StringIO(), stderr=io.StringIO())
    # The first batch (2 people) committed with its keys; the second rolled back whole.
    assert sorted(PersonSource.objects.values_list("source_id", flat=True)) == ["P0", "P1"]
    assert Person.objects.count() == 2 and Address.objects.count() == 0
    event = AuditEvent.objects.get(action="person.import")
    assert event.details["completed"] is False and event.details["created"] == 2
    # Running it again finishes the job.
    code, out, _ = run("import_people", path, batch_size=2)
    assert code == 0 and "5 read, 3 created, 0 updated, 2 unchanged" in out


@pytest.mark.django_db
def test_one_audit_entry_per_run_with_counts_and_file_name(world, tmp_path):
    code, _, _ = people(tmp_path, [GOOD, "P2,Ava,Jones,,,,,,,,", "P3,,Bad,,,,,,,,"], batch_size=1)
    assert code == 2
    event = AuditEvent.objects.get(action="person.import")
    assert (event.object_type, event.object_id, event.actor_username) == ("agency", "police", "system")
    assert event.details == {
        "agency": "police", "via": "file", "file": "people.csv", "read": 3, "created": 2, "updated": 0,
        "unchanged": 0, "rejected": 1, "completed": True,
    }
    assert AuditEvent.objects.count() == 1  # not one per row or per person


@pytest.mark.django_db
def test_large_files_are_streamed_in_batches(world, tmp_path):
    lines = [f"P{i},Child,Number{i},2015-01-01,F,{i} Rye Lane,London,SE15 4AB,,," for i in range(250)]
    path = write(tmp_path, [HEADER, *lines])
    flushes = []
    real = imports._load_people

    def counting(**kw):
        flushes.append(len(kw["rows"]))
        return real(**kw)

    with mock.patch.object(imports, "_load_people", counting), mock.patch.object(imports, "BATCH_SIZE", 100):
        code, out, _ = run("import_people", path, batch_size=100)
    assert code == 0 and "250 created" in out
    assert flushes == [100, 100, 50]
    assert Person.objects.count() == 250 and PersonKey.objects.values("person").distinct().count() == 250


# ------------------------------------------------------------------ involvements


def involvements(tmp_path, lines, **kw):
    return run("import_involvements", write(tmp_path, [INVOLVEMENT_HEADER, *lines], name="involvements.csv"), **kw)


@pytest.fixture
def imported(world, tmp_path):
    people(tmp_path, [GOOD, "P2,Ava,Jones,2016-02-29,F,,,,,,"])
    return world


@pytest.mark.django_db
def test_involvements_are_loaded_for_the_agencys_people(imported, tmp_path):
    code, out, _ = involvements(tmp_path, [
        "I1,P1,Youth Offending Team,Sam Patel,020 7525 0000,Youth justice worker,yes,2025-01-10,",
        "I2,P2,Safer Neighbourhoods,PC Jones,,POLICE_OFFICER,no,10/01/2025,31/03/2025",
    ])
    assert code == 0, out
    assert "2 read, 2 created, 0 updated, 0 unchanged, 0 rejected" in out
    first = Involvement.objects.get(source_id="I1")
    assert (first.person, first.agency.code, first.role, first.is_lead, first.source) == (
        person("P1"), "police", "youth_justice_worker", True, "import",
    )
    assert (first.service, first.practitioner_name, first.practitioner_contact) == ("Youth Offending Team", "Sam Patel", "020 7525 0000")
    second = Involvement.objects.get(source_id="I2")
    assert (second.role, second.is_lead, second.start_date, second.end_date) == (
        "police_officer", False, dt.date(2025, 1, 10), dt.date(2025, 3, 31),
    )
    assert AuditEvent.objects.filter(action="involvement.import", object_id="police").count() == 1


BAD_INVOLVEMENTS = [
    ("missing source id", ",P1,,,,other,,,", "source_id", "Enter the agency's id for this involvement"),
    ("missing person id", "I9,,,,,other,,,", "person_source_id", "Enter the agency's id for the person"),
    ("unknown person", "I9,P404,,,,other,,,", "person_source_id", "No person with the id P404 has been imported for police"),
    ("unknown role", "I9,P1,,,,astronaut,,,", "role", "Unknown role 'astronaut'"),
    ("missing role", "I9,P1,,,,,,,", "role", "Enter the role"),
    ("is_lead not yes or no", "I9,P1,,,,other,maybe,,", "is_lead", "yes or no"),
    ("bad start date", "I9,P1,,,,other,,2025-13-01,", "start_date", "does not exist"),
    ("end before start", "I9,P1,,,,other,,2025-03-01,2025-02-28", "end_date", "same as or after the start date"),
    ("service too long", "I9,P1," + "s" * 121 + ",,,other,,,", "service", "120 characters or fewer"),
    ("contact too long", "I9,P1,,," + "c" * 201 + ",other,,,", "practitioner_contact", "200 characters or fewer"),
    ("too few values", "I9,P1", "", "Has 2 values but the header names 9 columns"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_INVOLVEMENTS, ids=[c[0] for c in BAD_INVOLVEMENTS])
def test_each_kind_of_bad_involvement_is_reported_with_its_line_and_reason(imported, tmp_path, case):
    _, row, field, message = case
    code, out, _ = involvements(tmp_path, ["I1,P1,,,,other,,,", row])
    assert code == 2, out
    where = "line 3" + (f", {field}" if field else "")
    assert any(line.startswith(where + ":") and message in line for line in out.splitlines()), out
    assert "2 read, 1 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert list(Involvement.objects.values_list("source_id", flat=True)) == ["I1"]


@pytest.mark.django_db
def test_an_unknown_person_is_looked_up_in_the_same_agency_only(imported, tmp_path):
    code, out, _ = involvements(tmp_path, ["I1,P1,,,,gp_practice,,,"], agency="education")
    assert code == 2 and "No person with the id P1 has been imported for education" in out


@pytest.mark.django_db
def test_involvements_twice_change_nothing_and_a_changed_row_replaces_the_record(imported, tmp_path):
    lines = ["I1,P1,YOT,Sam Patel,,youth_justice_worker,yes,2025-01-10,", "I1,P2,,,,other,,,"]
    code, out, _ = involvements(tmp_path, lines)
    assert code == 2 and "line 3, source_id: The id I1 is already on line 2" in out
    code, out, _ = involvements(tmp_path, lines)
    assert "0 created, 0 updated, 1 unchanged, 1 rejected" in out
    code, out, _ = involvements(tmp_path, ["I1,P2,YOT,,,youth_justice_worker,no,2025-01-10,2025-06-30"])
    assert code == 0 and "1 updated" in out
    record = Involvement.objects.get()
    assert (record.person, record.practitioner_name, record.is_lead, record.end_date) == (person("P2"), "", False, dt.date(2025, 6, 30))


# ------------------------------------------------------------------ values


@pytest.mark.parametrize("value, expected", [
    ("2015-07-03", dt.date(2015, 7, 3)), ("03/07/2015", dt.date(2015, 7, 3)), ("3/7/2015", dt.date(2015, 7, 3)),
    (" 03.07.2015 ", dt.date(2015, 7, 3)), ("", None), ("  ", None),
])
def test_dates_are_iso_or_day_first(value, expected):
    assert imports.parse_date(value) == expected


@pytest.mark.parametrize("value", ["07/31/2015", "2015/07/03", "03/07/15", "3 July 2015", "2015-02-29", "٠٣/٠٧/٢٠١٥"])
def test_dates_that_are_refused(value):
    with pytest.raises(ValueError):
        imports.parse_date(value)


def test_roles_by_code_or_label_in_any_case():
    assert imports.parse_role("Health Visitor") == imports.parse_role("HEALTH_VISITOR") == "health_visitor"
    assert imports.parse_role("school designated safeguarding lead") == "school_dsl"
    with pytest.raises(ValueError):
        imports.parse_role("health-visitor")
