"""What agencies hold, loaded into the index: people and involvements, from a CSV file
(`manage.py import_people`, `manage.py import_involvements`) or the API (`POST /agencies/{code}/…`).

The same three steps serve both (docs/adr/0014-imports.md):

1. **Read.** A file is read line by line as bytes (never whole), each physical line decoded as UTF-8
   (a BOM on the first line is dropped), then parsed as CSV. The header names the columns, in any
   order; a missing or unknown column stops the import before anything is loaded.
2. **Validate.** Every row, on its own: each problem is reported with the row's line number (the
   file's physical line, the header being line 1) or its position in the API body, and the field.
   A bad row is left out; the others are loaded.
3. **Load.** In batches, each in one transaction: the batch's people or involvements are looked up by
   the agency's own id (PersonSource, Involvement.source_id), new ones inserted in bulk, changed ones
   updated in bulk, and the changed people's blocking keys rewritten — so running the same file twice
   changes nothing, and a failure leaves no half-loaded batch.

What an import may change on a person it already holds (the agency's id is known):
- names: replaced by the row's; the name they replace is kept as a previous name;
- date of birth, sex, NHS number, UPN: replaced when the row gives a value (a blank, or sex U, never
  erases what is known);
- other names: the row's are added; none is ever removed;
- address: a different line or postcode becomes the current address, the old one is kept (not
  current); the same address with another town corrects the town; a blank address changes nothing.
An involvement is the agency's own record: every field is replaced by the row's.
A new agency id always makes a new person, even when someone with the same NHS number is known:
nothing is linked without a practitioner (the duplicate finder offers the pair for review).
"""

import codecs
import csv
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from openmash.access.policy import can_send_agency_records, require
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.bulk import insert_rows
from openmash.core.errors import Collector, Conflict, InvalidInput
from openmash.people.codes import InvolvementRole, InvolvementSource, Sex
from openmash.people.identifiers import normalise_name
from openmash.people.models import Address, Involvement, Person, PersonName, PersonSource
from openmash.people.services import NewPerson, new_person_validate

PEOPLE_REQUIRED = ("source_id", "given_name", "family_name", "date_of_birth", "sex", "address_line", "town", "postcode")
PEOPLE_OPTIONAL = ("nhs_number", "upn", "other_names")
INVOLVEMENT_REQUIRED = (
    "source_id", "person_source_id", "service", "practitioner_name", "practitioner_contact", "role", "is_lead",
    "start_date", "end_date",
)
INVOLVEMENT_OPTIONAL: tuple[str, ...] = ()

BATCH_SIZE = 5000  # rows per transaction (fewer, larger commits: the key index is written once per batch)
API_MAX_ROWS = 1000  # rows per API call: one batch, one transaction
SOURCE_ID_MAX = 64
OTHER_NAMES_SEPARATOR = ";"
NO_ADDRESS_LINE = "(address not given)"  # what person_create stores when only a postcode is known
ROW = ""  # the error key for a problem with the row as a whole

ProgressFn = Callable[[int, int], None]


class FileProblem(Exception):
    """The file as a whole cannot be imported (empty, no header, unknown columns…)."""


@dataclass
class Rejected:
    line: int  # the file's physical line (header = 1), or the row's position in an API body (from 0)
    source_id: str
    errors: dict[str, list[str]]


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "read": self.read, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": len(self.rejected),
        }


@dataclass(slots=True)
class PersonRow:
    line: int
    source_id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    sex: str
    nhs_number: str
    upn: str
    other_names: list[str]
    address_line: str
    town: str
    postcode: str


@dataclass(slots=True)
class InvolvementRow:
    line: int
    source_id: str
    person_source_id: str
    service: str
    practitioner_name: str
    practitioner_contact: str
    role: str
    is_lead: bool
    start_date: dt.date | None
    end_date: dt.date | None


# ------------------------------------------------------------------ agencies


def agency_for_command(*, code: str) -> Agency:
    """The active agency with this code, or FileProblem naming the codes there are."""
    agency = Agency.objects.filter(code=code).first()
    if agency is None or not agency.active:
        codes = ", ".join(Agency.objects.filter(active=True).order_by("code").values_list("code", flat=True))
        what = "no longer active" if agency else "not known"
        raise FileProblem(f"Agency '{code}' is {what}. Agency codes: {codes}")
    return agency


def agency_for_api(*, user, code: str) -> Agency:
    """The agency whose records `user` sends: only a representative of that (active) agency."""
    agency = Agency.objects.filter(code=code).first() if isinstance(code, str) and len(code) <= 40 else None
    require(
        agency is not None and can_send_agency_records(user, agency),
        "Only a representative of this agency may send its people and involvements",
    )
    return agency


# ------------------------------------------------------------------ values


_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_UK_DATE = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2,4})$")
DATE_FORMATS_MESSAGE = "Enter a date as YYYY-MM-DD or DD/MM/YYYY, like 2015-07-03 or 03/07/2015"


def parse_date(value: str) -> dt.date | None:
    """YYYY-MM-DD, or day first as UK files write it (DD/MM/YYYY; '.' or '-' also separate).
    Never month first; a two-digit year is refused, since its century is a guess."""
    value = (value or "").strip()
    if not value:
        return None
    if match := _ISO_DATE.match(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.match(value):
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) != 4:
            raise ValueError(f"Write the year in full, like 03/07/2015 (not {value})")
    else:
        raise ValueError(DATE_FORMATS_MESSAGE)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Enter a real date ({value} does not exist)") from None


_SEX = {"m": Sex.MALE, "male": Sex.MALE, "f": Sex.FEMALE, "female": Sex.FEMALE, "u": Sex.UNKNOWN,
        "unknown": Sex.UNKNOWN, "not known": Sex.UNKNOWN, "": Sex.UNKNOWN}


def parse_sex(value: str) -> str:
    sex = _SEX.get((value or "").strip().casefold())
    if sex is None:
        raise ValueError("Sex must be M, F or U (or Male, Female, or blank when not known)")
    return sex.value


_ROLES = {**{c.casefold(): c for c in InvolvementRole.values}, **{label.casefold(): c for c, label in InvolvementRole.choices}}


def parse_role(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError("Enter the role (a code such as health_visitor, or its label)")
    role = _ROLES.get(value.casefold())
    if role is None:
        raise ValueError(f"Unknown role '{value[:60]}': use one of {', '.join(InvolvementRole.values)} (or its label)")
    return role


_BOOLS = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False, "": False}


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    result = _BOOLS.get((value or "").strip().casefold())
    if result is None:
        raise ValueError("Must be yes or no (true/false, 1/0; blank means no)")
    return result


def _text(values: dict, name: str, errors: Collector) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(name, "Must be text")
        return ""
    if "\x00" in value:
        errors.add(name, "Must not contain NUL characters")
        value = value.replace("\x00", "")
    return value.strip()


def _source_id(values: dict, name: str, errors: Collector, label: str) -> str:
    value = _text(values, name, errors)
    if not value:
        errors.add(name, f"Enter the {label}")
    elif len(value) > SOURCE_ID_MAX:
        errors.add(name, f"The {label} must be {SOURCE_ID_MAX} characters or fewer")
    return value


def _date(values: dict, name: str, errors: Collector) -> dt.date | None:
    try:
        return parse_date(_text(values, name, errors))
    except ValueError as exc:
        errors.add(name, str(exc))
        return None


# new_person_validate's field names → this import's columns
_PERSON_FIELDS = {"address_line_1": "address_line"}


def validate_person_row(values: dict, *, line: int) -> tuple[PersonRow | None, dict[str, list[str]]]:
    """One row of people (column → text) checked as the recording pages check a person: the row, or
    None and every problem found."""
    errors = Collector()
    source_id = _source_id(values, "source_id", errors, "agency's id for this person (source_id)")
    text = {name: _text(values, name, errors) for name in PEOPLE_REQUIRED + PEOPLE_OPTIONAL if name not in ("source_id", "date_of_birth", "other_names")}
    date_of_birth = _date(values, "date_of_birth", errors)
    try:
        sex = parse_sex(text["sex"])
    except ValueError as exc:
        errors.add("sex", str(exc))
        sex = Sex.UNKNOWN.value
    raw_others = values.get("other_names")
    if isinstance(raw_others, list):
        others = []
        for item in raw_others:
            if not isinstance(item, str) or "\x00" in item:
                errors.add("other_names", "Each other name must be text")
            else:
                others.append(item)
    else:
        others = _text(values, "other_names", errors).split(OTHER_NAMES_SEPARATOR)
    # A town with a postcode but no street line is an address here (agency systems often hold no
    # more); the town alone is not.
    person = NewPerson(
        given_name=text["given_name"], family_name=text["family_name"], other_names=others,
        date_of_birth=date_of_birth, sex=sex, nhs_number=text["nhs_number"], upn=text["upn"],
        address_line_1=text["address_line"], town=text["town"] if text["address_line"] else "", postcode=text["postcode"],
    )
    checked = Collector()
    new_person_validate(person=person, errors=checked, as_child=False, on=clock.local_today())
    for name, messages in checked.errors.items():
        for message in messages:
            errors.add(_PERSON_FIELDS.get(name, name), message)
    person.town = text["town"]
    if not person.address_line_1 and len(person.town) > 80:
        errors.add("town", "Town or city must be 80 characters or fewer")
    if person.town and not (person.address_line_1 or text["postcode"]):
        errors.add("town", "Enter the address line or the postcode as well as the town, or leave the address blank")
    if errors:
        return None, errors.errors
    return PersonRow(
        line=line, source_id=source_id, given_name=person.given_name, family_name=person.family_name,
        date_of_birth=person.date_of_birth, sex=person.sex, nhs_number=person.nhs_number, upn=person.upn,
        other_names=person.other_names, address_line=person.address_line_1, town=person.town, postcode=person.postcode,
    ), {}


_INVOLVEMENT_LENGTHS = (("service", 120), ("practitioner_name", 120), ("practitioner_contact", 200))


def validate_involvement_row(values: dict, *, line: int) -> tuple[InvolvementRow | None, dict[str, list[str]]]:
    """One row of involvements: the row, or None and every problem found. Whether the person is
    known is the loader's question (it needs the database)."""
    errors = Collector()
    source_id = _source_id(values, "source_id", errors, "agency's id for this involvement (source_id)")
    person_source_id = _source_id(values, "person_source_id", errors, "agency's id for the person (person_source_id)")
    text = {name: _text(values, name, errors) for name, _ in _INVOLVEMENT_LENGTHS}
    for name, limit in _INVOLVEMENT_LENGTHS:
        if len(text[name]) > limit:
            errors.add(name, f"Must be {limit} characters or fewer")
    role = ""
    try:
        role = parse_role(_text(values, "role", errors))
    except ValueError as exc:
        errors.add("role", str(exc))
    is_lead = False
    raw_lead = values.get("is_lead")
    try:
        is_lead = parse_bool(raw_lead if isinstance(raw_lead, bool) else _text(values, "is_lead", errors))
    except ValueError as exc:
        errors.add("is_lead", str(exc))
    start_date = _date(values, "start_date", errors)
    end_date = _date(values, "end_date", errors)
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not None and value.year < 1900:
            errors.add(name, "Must be after 1900")
    if start_date and end_date and end_date < start_date:
        errors.add("end_date", "The end date must be the same as or after the start date")
    if errors:
        return None, errors.errors
    return InvolvementRow(
        line=line, source_id=source_id, person_source_id=person_source_id, service=text["service"],
        practitioner_name=text["practitioner_name"], practitioner_contact=text["practitioner_contact"],
        role=role, is_lead=is_lead, start_date=start_date, end_date=end_date,
    ), {}


# ------------------------------------------------------------------ reading a CSV file


class _Lines:
    """The physical lines of a binary file, decoded as UTF-8 one by one (a BOM at the start is
    dropped). A line with bytes that are not UTF-8 is decoded with replacements and noted in `bad`."""

    def __init__(self, binary):
        self.binary = binary
        self.number = 0
        self.bad: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for raw in self.binary:
            self.number += 1
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.bad[self.number] = (
                    f"Line {self.number} is not UTF-8 (byte 0x{raw[exc.start]:02X} at position {exc.start + 1}): "
                    "save the file as CSV UTF-8 and import it again"
                )
                yield raw.decode("utf-8", errors="replace")


def count_lines(path) -> int:
    """Physical lines in a file, counted in 1 MB chunks (for the progress bar)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _header(cells: list[str], required: tuple[str, ...], optional: tuple[str, ...]) -> list[str]:
    names = [c.strip().casefold() for c in cells]
    known = set(required) | set(optional)
    listing = ", ".join(required) + (f" (and optionally {', '.join(optional)})" if optional else "")
    if not any(names) or not known & set(names):
        raise FileProblem(f"Line 1 is not a header: the first line must name the columns: {listing}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise FileProblem(f"The header names {', '.join(repr(n) for n in twice)} more than once")
    problems = []
    unknown = [c.strip() or f"(blank, column {i + 1})" for i, c in enumerate(cells) if names[i] not in known]
    if unknown:
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
    missing = [n for n in required if n not in names]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    if problems:
        raise FileProblem(f"The header has {' and '.join(problems)}. The columns are {listing}")
    return names


def read_csv_rows(binary, *, required: tuple[str, ...], optional: tuple[str, ...]) -> Iterator[tuple[int, dict | None, dict]]:
    """(line number, {column: text}, {}) for each row of a CSV file opened in binary mode, or (line,
    None, errors) for a row that cannot be read. Blank lines are skipped. Raises FileProblem for the
    file as a whole (empty, not UTF-8 in its header, no header, wrong columns)."""
    lines = _Lines(binary)
    reader = csv.reader(lines, strict=True)
    try:
        cells = next(reader)
    except StopIteration:
        raise FileProblem("The file is empty: it needs a header line and a row for each record") from None
    except csv.Error as exc:
        raise FileProblem(f"Line 1 cannot be read as CSV ({exc})") from None
    if 1 in lines.bad:
        raise FileProblem(lines.bad[1])
    header = _header(cells, required, optional)
    rows = 0
    while True:
        first = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield first, None, {ROW: [f"Cannot be read as CSV ({exc}); check the quotes on this line"]}
            continue
        last = reader.line_num
        if not cells or not any(c.strip() for c in cells):
            continue
        rows += 1
        bad = [lines.bad[n] for n in range(first, last + 1) if n in lines.bad]
        if bad:
            yield first, None, {ROW: bad}
        elif len(cells) != len(header):
            yield first, None, {ROW: [f"Has {len(cells)} values but the header names {len(header)} columns"]}
        else:
            yield first, dict(zip(header, cells)), {}
    if rows == 0:
        raise FileProblem("The file has a header but no rows")


# ------------------------------------------------------------------ the import run


class _Run:
    """Validation, duplicate ids, batching and counting, for people or involvements alike."""

    def __init__(self, *, kind: str, agency: Agency, user, batch_size: int, position: str = "line"):
        self.kind = kind
        self.agency = agency
        self.user = user
        self.batch_size = batch_size
        self.position = position  # "line" of a file, "row" of an API body
        self.validate = validate_person_row if kind == "people" else validate_involvement_row
        self.load = _load_people if kind == "people" else _load_involvements
        self.result = ImportResult()
        self.seen: dict[str, int] = {}
        self.batch: list = []

    def add(self, line: int, values: dict | None, errors: dict):
        self.result.read += 1
        source_id = values.get("source_id") if values else None
        source_id = source_id.strip() if isinstance(source_id, str) else ""
        if values is not None:
            row, errors = self.validate(values, line=line)
            if row is not None and row.source_id in self.seen:
                errors = {"source_id": [
                    f"The id {row.source_id} is already on {self.position} {self.seen[row.source_id]}: each id may appear once"
                ]}
                row = None
            if row is not None:
                self.seen[row.source_id] = line
                self.batch.append(row)
                if len(self.batch) >= self.batch_size:
                    self.flush()
                return
        self.result.rejected.append(Rejected(line=line, source_id=source_id, errors=errors))

    def flush(self):
        if not self.batch:
            return
        with transaction.atomic():
            created, updated, unchanged, rejected = self.load(agency=self.agency, rows=self.batch, user=self.user)
        self.result.created += created
        self.result.updated += updated
        self.result.unchanged += unchanged
        self.result.rejected.extend(rejected)
        self.batch = []

    def audit(self, *, via: str, file_name: str = "", completed: bool = True):
        self.result.rejected.sort(key=lambda r: r.line)
        details = {"agency": self.agency.code, "via": via, **self.result.summary(), "completed": completed}
        if file_name:
            details["file"] = file_name
        audit_record(
            user=self.user,
            action="person.import" if self.kind == "people" else "involvement.import",
            object_type="agency",
            object_id=self.agency.code,
            details=details,
        )


def import_file(*, kind: str, path, agency: Agency, user=None, batch_size: int = BATCH_SIZE,
                progress: ProgressFn | None = None) -> ImportResult:
    """Import a CSV file of people or involvements (`kind`) for `agency`. Rows are validated and
    loaded batch by batch, each batch in its own transaction; one audit entry records the run (also
    when it stops part way, with what was done). Raises FileProblem for a file that cannot be
    imported at all."""
    required, optional = (PEOPLE_REQUIRED, PEOPLE_OPTIONAL) if kind == "people" else (INVOLVEMENT_REQUIRED, INVOLVEMENT_OPTIONAL)
    total = count_lines(path) if progress else 0
    if connection.vendor == "sqlite":
        # A 256 MB page cache for this connection: the key index of a large register stops fitting in
        # SQLite's default 2 MB, and every insert would go back to the disk for its pages.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    run = _Run(kind=kind, agency=agency, user=user, batch_size=batch_size)
    completed = False
    try:
        with open(path, "rb") as binary:
            rows = read_csv_rows(binary, required=required, optional=optional)
            for line, values, errors in rows:
                run.add(line, values, errors)
                if progress and run.result.read % 500 == 0:
                    progress(min(line, total), total)
            run.flush()
        completed = True
    finally:
        if run.result.read or completed:
            with transaction.atomic():
                run.audit(via="file", file_name=os.path.basename(str(path)), completed=completed)
    if progress:
        progress(total, total)
    return run.result


def import_rows(*, kind: str, rows: list[dict], agency: Agency, user) -> ImportResult:
    """Import rows sent through the API (each a dict of the CSV's columns) in one transaction with
    one audit entry. Rejected rows are numbered by their position in `rows`, from 0."""
    if not rows:
        raise InvalidInput.single("rows", "Send at least one row")
    if len(rows) > API_MAX_ROWS:
        raise InvalidInput.single("rows", f"Send at most {API_MAX_ROWS:,} rows in one call (this had {len(rows):,})")
    run = _Run(kind=kind, agency=agency, user=user, batch_size=len(rows) + 1, position="row")
    try:
        with transaction.atomic():
            for index, values in enumerate(rows):
                run.add(index, values, {})
            run.flush()
            run.audit(via="api")
    except IntegrityError:
        # Another call with the same new ids committed first (PostgreSQL; SQLite serialises writes).
        raise Conflict("Another import of the same ids finished first; send the rows again") from None
    return run.result


# ------------------------------------------------------------------ loading


def _kept(person_ids: Iterable[int]) -> dict[int, int]:
    """Each person id → the id of the record to write to: itself, or the record it was merged into."""
    out = {pid: pid for pid in person_ids}
    pending = set(out)
    while pending:
        moved = dict(Person.objects.filter(pk__in=pending, merged_into__isnull=False).values_list("pk", "merged_into_id"))
        if not moved:
            break
        for pid, target in list(out.items()):
            if target in moved:
                out[pid] = moved[target]
        pending = set(moved.values())
    return out


def _split_other_name(other: str) -> tuple[str, str]:
    # As person_create: "Jay Smith-Ali" → Jay / Smith-Ali; a single word is a first name or nickname.
    given, _, family = other.rpartition(" ") if " " in other else (other, "", "")
    return given, family


def _name_row(person_id: int, given: str, family: str, kind: str) -> dict:
    return {
        "person_id": person_id, "kind": kind, "given_name": given, "family_name": family,
        "given_name_norm": normalise_name(given), "family_name_norm": normalise_name(family),
    }


def _update(model, names: tuple[str, ...], rows: list[dict]) -> None:
    """UPDATE each row (a dict with "id" and `names`) by id, as one prepared statement run for all
    of them: bulk_update's CASE expressions cost far more to compile than to run."""
    fields = [model._meta.get_field(n) for n in names]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"
    adapt = [connection.ops.adapt_datefield_value if f.get_internal_type() == "DateField" else None for f in fields]
    values = [
        [a(row[n]) if a and row[n] is not None else row[n] for n, a in zip(names, adapt)] + [row["id"]] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _same_line(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


_PERSON_VALUES = ("given_name", "family_name", "given_name_norm", "family_name_norm", "date_of_birth", "sex", "nhs_number", "upn")


def _load_people(*, agency: Agency, rows: list[PersonRow], user) -> tuple[int, int, int, list[Rejected]]:
    """Insert the new people and update the known ones of one batch (inside the caller's
    transaction); rewrite the blocking keys of everyone changed."""
    from openmash.people.keystore import refresh_person_keys

    today = clock.local_today()
    now = clock.now()
    user_id = user.pk if user is not None else None
    known = dict(
        PersonSource.objects.filter(agency=agency, source_id__in=[r.source_id for r in rows]).values_list("source_id", "person_id")
    )
    target = _kept(known.values())
    people = {p["id"]: p for p in Person.objects.filter(pk__in=set(target.values())).values("id", *_PERSON_VALUES)}
    current: dict[int, list[dict]] = {}
    for address in (
        Address.objects.filter(person_id__in=list(people), is_current=True)
        .order_by("person_id", "-created_at", "-id")
        .values("id", "person_id", "line_1", "town", "postcode")
    ):
        current.setdefault(address["person_id"], []).append(address)
    names: dict[int, set[tuple[str, str]]] = {}
    for pid, given, family in PersonName.objects.filter(person_id__in=list(people)).values_list("person_id", "given_name_norm", "family_name_norm"):
        names.setdefault(pid, set()).add((given, family))

    new_people: list[tuple[PersonRow, dict]] = []
    changed_people: dict[int, dict] = {}
    new_names: list[dict] = []
    new_addresses: list[dict] = []
    ended_addresses: list[int] = []
    town_fixed: list[dict] = []
    touched: set[int] = set()
    unchanged = 0

    for row in rows:
        if row.source_id not in known:
            new_people.append((row, {
                "created_at": now, "created_by_id": user_id, "given_name": row.given_name, "family_name": row.family_name,
                "given_name_norm": normalise_name(row.given_name), "family_name_norm": normalise_name(row.family_name),
                "date_of_birth": row.date_of_birth, "sex": row.sex, "nhs_number": row.nhs_number, "upn": row.upn,
            }))
            continue
        pid = target[known[row.source_id]]
        person = people[pid]
        held = names.setdefault(pid, set())
        changed = False
        if (row.given_name, row.family_name) != (person["given_name"], person["family_name"]):
            old = (person["given_name"], person["family_name"])
            old_norm = (person["given_name_norm"], person["family_name_norm"])
            person.update(
                given_name=row.given_name, family_name=row.family_name,
                given_name_norm=normalise_name(row.given_name), family_name_norm=normalise_name(row.family_name),
            )
            if old_norm != (person["given_name_norm"], person["family_name_norm"]) and old_norm not in held:
                new_names.append(_name_row(pid, *old, PersonName.Kind.PREVIOUS.value))
                held.add(old_norm)
            changed = True
        for name in ("date_of_birth", "nhs_number", "upn"):
            value = getattr(row, name)
            if value and value != person[name]:
                person[name] = value
                changed = True
        if row.sex != Sex.UNKNOWN and row.sex != person["sex"]:
            person["sex"] = row.sex
            changed = True
        if changed:
            changed_people[pid] = person
        own = (person["given_name_norm"], person["family_name_norm"])
        for other in row.other_names:
            given, family = _split_other_name(other)
            key = (normalise_name(given), normalise_name(family))
            if key != own and key not in held:
                new_names.append(_name_row(pid, given, family, PersonName.Kind.ALIAS.value))
                held.add(key)
                changed = True
        if row.address_line or row.postcode:
            line = row.address_line or NO_ADDRESS_LINE
            now_at = current.get(pid, [])
            newest = now_at[0] if now_at else None
            if newest is None or not _same_line(newest["line_1"], line) or newest["postcode"] != row.postcode:
                ended_addresses.extend(a["id"] for a in now_at if a.get("id"))
                fresh = {"person_id": pid, "line_1": line, "town": row.town, "postcode": row.postcode, "created_by_id": user_id, "created_at": now}
                new_addresses.append(fresh)
                current[pid] = [fresh]
                changed = True
            elif row.town and row.town != newest["town"] and newest.get("id"):
                newest["town"] = row.town
                town_fixed.append({"id": newest["id"], "town": row.town})
                changed = True
        if changed:
            touched.add(pid)
        else:
            unchanged += 1

    if new_people:
        created = insert_rows(Person, [p for _, p in new_people], returning=True)
        insert_rows(PersonSource, [
            {"person_id": pid, "agency_id": agency.pk, "source_id": row.source_id, "created_by_id": user_id, "created_at": now}
            for (row, _), pid in zip(new_people, created)
        ])
        for (row, person), pid in zip(new_people, created):
            seen = {(person["given_name_norm"], person["family_name_norm"])}
            for other in row.other_names:
                given, family = _split_other_name(other)
                key = (normalise_name(given), normalise_name(family))
                if key not in seen:
                    seen.add(key)
                    new_names.append(_name_row(pid, given, family, PersonName.Kind.ALIAS.value))
            if row.address_line or row.postcode:
                new_addresses.append({
                    "person_id": pid, "line_1": row.address_line or NO_ADDRESS_LINE, "town": row.town,
                    "postcode": row.postcode, "created_by_id": user_id, "created_at": now,
                })
            touched.add(pid)
    if changed_people:
        _update(Person, _PERSON_VALUES, list(changed_people.values()))
    if ended_addresses:
        Address.objects.filter(pk__in=ended_addresses).update(is_current=False)
        Address.objects.filter(pk__in=ended_addresses, to_date__isnull=True).filter(
            Q(from_date__isnull=True) | Q(from_date__lte=today)
        ).update(to_date=today)
    if town_fixed:
        _update(Address, ("town",), town_fixed)
    if new_addresses:
        insert_rows(Address, new_addresses)
    if new_names:
        insert_rows(PersonName, new_names)
    if touched:
        refresh_person_keys(touched)
    return len(new_people), len(rows) - len(new_people) - unchanged, unchanged, []


_INVOLVEMENT_FIELDS = ("person_id", "service", "practitioner_name", "practitioner_contact", "role", "is_lead", "start_date", "end_date")


def _load_involvements(*, agency: Agency, rows: list[InvolvementRow], user) -> tuple[int, int, int, list[Rejected]]:
    """Insert or update one batch of involvements (inside the caller's transaction). A row naming a
    person the agency has not imported is rejected."""
    now = clock.now()
    people = dict(
        PersonSource.objects.filter(agency=agency, source_id__in={r.person_source_id for r in rows}).values_list("source_id", "person_id")
    )
    target = _kept(people.values())
    existing = {
        i["source_id"]: i
        for i in Involvement.objects.filter(agency=agency, source_id__in=[r.source_id for r in rows]).values("id", "source_id", *_INVOLVEMENT_FIELDS)
    }
    rejected: list[Rejected] = []
    new: list[dict] = []
    changed: list[dict] = []
    unchanged = 0
    for row in rows:
        if row.person_source_id not in people:
            rejected.append(Rejected(line=row.line, source_id=row.source_id, errors={"person_source_id": [
                f"No person with the id {row.person_source_id} has been imported for {agency.code}: import the people first"
            ]}))
            continue
        values = {
            "person_id": target[people[row.person_source_id]], "service": row.service,
            "practitioner_name": row.practitioner_name, "practitioner_contact": row.practitioner_contact,
            "role": row.role, "is_lead": row.is_lead, "start_date": row.start_date, "end_date": row.end_date,
        }
        involvement = existing.get(row.source_id)
        if involvement is None:
            new.append({
                "agency_id": agency.pk, "source": InvolvementSource.IMPORT.value, "source_id": row.source_id,
                "created_by_id": user.pk if user is not None else None, "created_at": now, **values,
            })
        elif all(involvement[name] == value for name, value in values.items()):
            unchanged += 1
        else:
            changed.append({"id": involvement["id"], **values})
    if new:
        insert_rows(Involvement, new)
    if changed:
        _update(Involvement, _INVOLVEMENT_FIELDS, changed)
    return len(new), len(changed), unchanged, rejected
