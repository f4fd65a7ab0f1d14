"""CSV, XLSX and PDF exports of suppressed tables (openmash.reports.exports)."""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from pypdf import PdfReader

from openmash.reports import exports
from openmash.reports.exports import PackSection, csv_bytes, export_filename, performance_pack_pdf, xlsx_bytes
from openmash.reports.suppression import count_cell, rate_cell, statistic_cell, suppress_counts, table, text_cell

WHEN = dt.datetime(2026, 11, 26, 9, 15, tzinfo=dt.timezone.utc)


@pytest.fixture
def by_source():
    return suppress_counts(
        [[0, 3, 12], [8, 9, 10], [20, 30, 40]],
        row_labels=["Police – MASH", "=HYPERLINK(\"http://x\")", "Schools"],
        column_labels=["Red", "Amber", "Green"], title="Referrals by source and rating", row_header="Source",
    )


@pytest.fixture
def agencies():
    return table(
        title="Agency timeliness", row_header="Agency", columns=["Requests", "Answered on time", "Median response (hours)", "Note"],
        rows=[
            ("Police", [count_cell(120), rate_cell(90, 120), statistic_cell(3.5, 120), text_cell("+44 line")]),
            ("Dentist", [count_cell(3), rate_cell(2, 3), statistic_cell(30.0, 3), text_cell("@mention")]),
        ],
    )


def test_the_formula_guard_is_the_sharing_log_exports():
    from openmash.sharing import views as sharing_views

    assert exports._FORMULA_STARTS == sharing_views._FORMULA_STARTS
    for value in ("=1+1", "+44", "-3", "@SUM(A1)", "\tx", "\rx", "plain", "", None, 12):
        assert exports._guard(value) == sharing_views._cell(value)


def test_csv_has_a_bom_the_suppressed_text_and_no_formulas(by_source, agencies):
    raw = csv_bytes(by_source)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Source", "Red", "Amber", "Green", "Total"]
    assert rows[1] == ["Police – MASH", "0", "<5", "[c]", "15"]
    assert rows[2][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[4][0] == "Total"
    assert rows[5] == [] and "0 means none" in rows[6][0]
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    a = list(csv.reader(io.StringIO(csv_bytes(agencies).decode("utf-8-sig"))))
    assert a[1] == ["Police", "120", "75.0%", "3.5", "'+44 line"]
    assert a[2] == ["Dentist", "<5", "[c]", "[c]", "'@mention"]
    assert csv_bytes(by_source, with_notes=False).decode("utf-8-sig").count("\r\n") == 5


def test_a_thousand_is_a_bare_number_in_csv_but_grouped_on_the_page():
    t = suppress_counts([[12345]], row_labels=["All"], column_labels=["Referrals"], row_totals=False, column_totals=False)
    assert t.rows[0].cells[0].text == "12,345"
    assert csv_bytes(t).decode("utf-8-sig").splitlines()[1] == "All,12345"


def test_xlsx_reads_back_with_numbers_hidden_text_and_no_formulas(by_source, agencies):
    content = xlsx_bytes(
        [by_source, agencies, agencies], title="MASH performance", created=WHEN, period="1 April to 31 October 2026",
        filters=[("Rating", "All ratings"), ("Agency", "=cmd|' /C calc'!A0")], definitions=["Referrals received in the period.", None],
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["About", "Referrals by source and rating", "Agency timeliness", "Agency timeliness (2)"]
    about = book["About"]
    assert about["A1"].value == "MASH performance" and about["B3"].value == "1 April to 31 October 2026"
    assert about["B5"].value == "=cmd|' /C calc'!A0" and about["B5"].data_type == "s"
    sheet = book["Referrals by source and rating"]
    values = [tuple(c for c in row[:5]) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Referrals by source and rating" and values[1][0] == "Referrals received in the period."
    header = values.index(("Source", "Red", "Amber", "Green", "Total"))
    assert values[header + 1] == ("Police – MASH", 0, "<5", "[c]", 15)
    assert values[header + 2][0] == '=HYPERLINK("http://x")'
    assert sheet.cell(header + 3, 1).data_type == "s", "text stays text"
    assert values[header + 4][0] == "Total"
    agency = [row for row in book["Agency timeliness"].iter_rows(values_only=True)]
    police = next(r for r in agency if r[0] == "Police")
    assert police[1] == 120 and police[2] == pytest.approx(0.75) and police[3] == pytest.approx(3.5)
    assert next(r for r in agency if r[0] == "Dentist")[1:4] == ("<5", "[c]", "[c]")
    rate_cell_ = next(c for row in book["Agency timeliness"].iter_rows() for c in row if c.value == pytest.approx(0.75))
    assert rate_cell_.number_format == "0.0%"
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f"


def test_exports_are_byte_stable(by_source, agencies):
    kwargs = {"title": "Pack", "created": WHEN, "period": "2026"}
    assert xlsx_bytes([by_source, agencies], **kwargs) == xlsx_bytes([by_source, agencies], **kwargs)
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([by_source], **kwargs))) as z:
        assert {i.date_time[:3] for i in z.infolist()} <= {(1980, 1, 1), (1980, 1, 31)}
        assert b"2026-11-26T09:15:00Z" in z.read("docProps/core.xml")
    pack = {"title": "Pack", "period": "2026", "sections": [PackSection("By source", "Referrals received.", by_source)], "created": WHEN}
    assert performance_pack_pdf(**pack) == performance_pack_pdf(**pack)
    assert performance_pack_pdf(**pack) != performance_pack_pdf(**{**pack, "created": WHEN + dt.timedelta(days=1)})


def test_the_performance_pack_pdf_has_the_title_definitions_and_the_suppressed_tables(by_source, agencies):
    sections = [
        PackSection("Referrals by source and rating", "Referrals received in the period, by who referred and the rating at triage.", by_source),
        PackSection("Agency timeliness", "Requests due in the period; on time means answered by the due time (≤ 4 hours for red).", agencies),
    ] * 6
    content = performance_pack_pdf(
        title="MASH performance pack", period="1 April – 31 October 2026", sections=sections, created=WHEN,
        filters=[("Team", "Front door"), ("Rating", "All")], organisation="Example Borough Council – Children’s Services",
    )
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    assert reader.metadata.title == "MASH performance pack"
    text = "\n".join(page.extract_text() for page in reader.pages)
    first = reader.pages[0].extract_text()
    assert "MASH performance pack" in first and "1 April – 31 October 2026" in first and "Front door" in first
    assert "Children’s Services" in first
    assert "Definition: Referrals received in the period" in text
    assert "(<= 4 hours for red)" in text  # ≤ is outside the built-in fonts: spelt out
    assert "Police – MASH 0 <5 [c] 15" in text
    assert "Dentist <5 [c] [c] @mention" in text
    assert "Total 28 42 62 132" in text
    assert "0 means none" in text
    assert f"Page 1 of {len(reader.pages)}" in first
    assert "12" not in first.split("Police – MASH")[1].split("\n")[0].split()[3:4], "the hidden 12 is not printed"


def test_a_wide_table_gets_a_landscape_page(by_source):
    months = [f"M{i}" for i in range(12)]
    wide = suppress_counts([[10 + i for i in range(12)], [20] * 12], row_labels=["Police", "Schools"], column_labels=months, title="By month")
    sections = [PackSection("By source", "x", by_source), PackSection("By month", "y", wide), PackSection("Again", "z", by_source)]
    reader = PdfReader(io.BytesIO(performance_pack_pdf(title="Pack", period="2026", sections=sections, created=WHEN)))
    shapes = [(float(p.mediabox.width) > float(p.mediabox.height)) for p in reader.pages]
    assert shapes == [False, True, False]
    assert "Police 10 11 12 13 14 15 16 17 18 19 20 21 186" in reader.pages[1].extract_text()


def test_the_pack_survives_characters_the_built_in_fonts_lack(by_source):
    content = performance_pack_pdf(
        title="Łódź → 北京 pack", period="2026", sections=[PackSection("Über 🙂", "", by_source)], created=WHEN,
    )
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Lódz -> ?? pack" in text and "Über ?" in text


def test_an_empty_pack_and_an_empty_table_still_make_files():
    empty = suppress_counts([], row_labels=[], column_labels=["Referrals"], row_totals=False)
    assert PdfReader(io.BytesIO(performance_pack_pdf(title="Pack", period="2026", sections=[], created=WHEN))).pages
    assert PdfReader(io.BytesIO(performance_pack_pdf(title="Pack", period="2026", sections=[PackSection("None", "x", empty)], created=WHEN))).pages
    assert openpyxl.load_workbook(io.BytesIO(xlsx_bytes([empty], title="x", created=WHEN))).sheetnames == ["About", "Table 1"]
    assert csv_bytes(empty).decode("utf-8-sig").splitlines() == [",Referrals", "Total,0"]


def test_filenames_and_download_responses():
    assert export_filename("Referrals by source: Ørsted/€", "csv", WHEN) == "referrals-by-source-rsted-20261126-0915.csv"
    assert export_filename("!!!", "pdf", WHEN) == "report-20261126-0915.pdf"
    response = exports.download_response(content=b"x", filename="a.csv", extension="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="a.csv"'
