"""Downloads of report tables: CSV, XLSX and the printable performance pack (PDF) for the board.

Every export takes tables that have already been through `openmash.reports.suppression`, and prints
each cell's `text` wherever the cell is hidden, so a download never holds more than the page shows.

- CSV: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), one table per file, and the same
  guard against formula injection as the sharing-log export (`openmash.sharing.views._cell`).
- XLSX (XlsxWriter): an "About" sheet (title, period, filters, notes), then one sheet per table,
  with counts and rates as real numbers; text is always written as text, never as a formula.
- PDF (fpdf2): title, period, filters, then for each measure its definition and its table.

All three are byte-for-byte the same for the same input: the creation date is an argument (the
views pass `clock.now()`), XlsxWriter fixes its zip timestamps, and fpdf2 derives the file id from
the content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from openmash.reports.suppression import COUNT, NUMBER, RATE, Cell, Table

# ------------------------------------------------------------------ CSV

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection). The
# same characters and the same remedy as the sharing log export (openmash/sharing/views.py); a test
# keeps the two the same.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _plain(cell: Cell) -> str:
    """A cell as CSV text: a shown count as a bare number (no thousands separator, so a
    spreadsheet reads it as a number), anything else as printed on the page."""
    if cell.kind == COUNT and cell.value is not None and not cell.suppressed:
        return str(cell.value)
    return cell.text


def csv_bytes(table: Table, *, with_notes: bool = True) -> bytes:
    """One table as CSV: a header row, a row per table row, then (optionally) a blank line and the
    notes (including the key to "<5" and "[c]" when anything is hidden)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_guard(h) for h in (table.row_header, *table.columns)])
    for row in table.rows:
        writer.writerow([_guard(row.label), *(_guard(_plain(c)) for c in row.cells)])
    if with_notes and table.all_notes:
        writer.writerow([])
        for note in table.all_notes:
            writer.writerow([_guard(note)])
    return out.getvalue().encode("utf-8-sig")


# ------------------------------------------------------------------ XLSX

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    base = _SHEET_FORBIDDEN.sub(" ", title or "Table").strip().strip("'") or "Table"
    name, n = base[:31], 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.lower())
    return name


def xlsx_bytes(
    tables: Sequence[Table],
    *,
    title: str,
    created: dt.datetime,
    period: str = "",
    filters: Sequence[tuple[str, str]] = (),
    definitions: Sequence[str | None] | None = None,
) -> bytes:
    """A workbook: an "About" sheet, then one sheet per table (`definitions[i]`, if given, is
    printed above table i)."""
    import xlsxwriter

    buffer = io.BytesIO()
    # Text stays text: no formulas, links or numbers guessed from strings (formula injection).
    book = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    book.set_properties({"title": title, "author": "OpenMASH", "created": _naive_utc(created)})
    bold = book.add_format({"bold": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"})
    header_num = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom", "align": "right"})
    formats = {
        COUNT: book.add_format({"num_format": "#,##0"}),
        RATE: book.add_format({"num_format": "0.0%"}),
        NUMBER: book.add_format({"num_format": "#,##0.0"}),
    }
    hidden = book.add_format({"align": "right"})
    total_formats = {k: book.add_format({"num_format": f.num_format, "bold": True, "top": 1}) for k, f in formats.items()}
    total_text = book.add_format({"bold": True, "top": 1})
    total_hidden = book.add_format({"bold": True, "top": 1, "align": "right"})

    used: set[str] = set()
    about = book.add_worksheet(_sheet_name("About", used))
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 90)
    about.write_string(0, 0, title, heading)
    r = 2
    if period:
        about.write_string(r, 0, "Period", bold)
        about.write_string(r, 1, period)
        r += 1
    for label, value in filters:
        about.write_string(r, 0, label, bold)
        about.write_string(r, 1, value)
        r += 1
    about.write_string(r, 0, "Created (UTC)", bold)
    about.write_string(r, 1, created.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"))
    r += 2
    about.write_string(r, 0, "Tables", bold)
    names = [_sheet_name(t.title or f"Table {i + 1}", used) for i, t in enumerate(tables)]
    for i, (t, name) in enumerate(zip(tables, names)):
        about.write_string(r + i, 1, f"{name}: {t.title}" if t.title and t.title != name else name)

    for i, (t, name) in enumerate(zip(tables, names)):
        sheet = book.add_worksheet(name)
        row = 0
        sheet.write_string(row, 0, t.title or name, heading)
        row += 1
        definition = definitions[i] if definitions and i < len(definitions) else None
        if definition:
            sheet.merge_range(row, 0, row, max(1, len(t.columns)), definition, wrap)
            sheet.set_row(row, 15 * max(1, len(definition) // 100 + 1))
            row += 1
        row += 1
        sheet.write_string(row, 0, t.row_header, header)
        for c, col in enumerate(t.columns, start=1):
            sheet.write_string(row, c, col, header_num)
        sheet.freeze_panes(row + 1, 1)
        row += 1
        for data_row in t.rows:
            is_total = data_row.is_total
            sheet.write_string(row, 0, data_row.label, total_text if is_total else None)
            for c, cell in enumerate(data_row.cells, start=1):
                fmt_map = total_formats if is_total else formats
                if cell.numeric and cell.kind in fmt_map:
                    sheet.write_number(row, c, cell.value, fmt_map[cell.kind])
                else:
                    sheet.write_string(row, c, cell.text, (total_hidden if is_total else hidden) if cell.suppressed else (total_text if is_total else None))
            row += 1
        if t.all_notes:
            row += 1
            for note in t.all_notes:
                sheet.write_string(row, 0, note)
                row += 1
        widths = [max([len(t.row_header)] + [len(r_.label) for r_ in t.rows]) + 2]
        widths += [max([len(col)] + [len(r_.cells[c].text) for r_ in t.rows]) + 2 for c, col in enumerate(t.columns)]
        for c, w in enumerate(widths):
            sheet.set_column(c, c, min(max(w, 8), 60))
    book.close()
    return buffer.getvalue()


def _naive_utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when


# ------------------------------------------------------------------ PDF


@dataclass(frozen=True)
class PackSection:
    """One measure in the performance pack: its name, its definition as stated on the page, its table."""

    title: str
    definition: str
    table: Table


# The PDF's built-in fonts (no font files to ship) cover Windows-1252; anything else is spelt out
# or replaced, so that a stray character in a label can never stop the pack being made.
_PDF_REPLACEMENTS = str.maketrans({
    "≤": "<=", "≥": ">=", "→": "->", "−": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    # Latin letters with no accent to strip (NFKD leaves them whole), as in people/identifiers.py.
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h",
})


def _pdf_text(text: str) -> str:
    text = str(text).translate(_PDF_REPLACEMENTS)
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)


def performance_pack_pdf(
    *,
    title: str,
    period: str,
    sections: Sequence[PackSection],
    created: dt.datetime,
    filters: Sequence[tuple[str, str]] = (),
    organisation: str = "",
) -> bytes:
    """The partnership board's pack: a cover block (title, organisation, period, filters, when it was
    made), then each measure with its definition and its table, page numbers in the footer."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    made = created.astimezone(dt.timezone.utc)

    class Pack(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.set_text_color(80, 90, 95)
            self.cell(0, 6, _pdf_text(f"{title} - {period}"), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = Pack(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # the built-in fonts' own encoding: – ’ “ ” … print as themselves
    pdf.set_creation_date(made)
    pdf.set_title(_pdf_text(title))
    pdf.set_author(_pdf_text(organisation or "OpenMASH"))
    pdf.set_creator("OpenMASH")
    pdf.set_lang("en-GB")
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_text_color(11, 12, 12)
    pdf.set_font("Helvetica", style="B", size=20)
    pdf.multi_cell(0, 9, _pdf_text(title), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", size=11)
    if organisation:
        pdf.multi_cell(0, 6, _pdf_text(organisation), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    cover = [("Period", period), *filters, ("Made", made.strftime("%d %B %Y %H:%M UTC"))]
    for label, value in cover:
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.cell(35, 6, _pdf_text(label))
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _pdf_text(value) or "-", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(4)

    heading_style = FontFace(emphasis="BOLD", fill_color=(243, 242, 241))
    total_style = FontFace(emphasis="BOLD")
    for section in sections:
        t = section.table
        n = len(t.columns)
        wide = n > 9  # twelve months and a total do not fit across a portrait page
        if wide != (pdf.w > pdf.h):
            pdf.add_page(orientation="L" if wide else "P")
        elif pdf.get_y() > pdf.h - 70:  # keep a measure's heading with the start of its table
            pdf.add_page(orientation="L" if wide else "P")
        pdf.set_font("Helvetica", style="B", size=14)
        pdf.multi_cell(0, 7, _pdf_text(section.title), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_font("Helvetica", size=10)
        if section.definition:
            pdf.multi_cell(0, 5, _pdf_text("Definition: " + section.definition), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(2)
        label_share = 3 if n <= 4 else 2
        pdf.set_font("Helvetica", size=9 if n <= 6 else 7)
        with pdf.table(
            col_widths=(label_share, *([1] * n)), headings_style=heading_style, line_height=5,
            text_align=("LEFT", *(["RIGHT"] * n)), repeat_headings=1, width=pdf.epw,
        ) as grid:
            head = grid.row()
            head.cell(_pdf_text(t.row_header))
            for col in t.columns:
                head.cell(_pdf_text(col))
            for data_row in t.rows:
                r = grid.row(style=total_style) if data_row.is_total else grid.row()
                r.cell(_pdf_text(data_row.label))
                for cell in data_row.cells:
                    r.cell(_pdf_text(cell.text))
        if t.all_notes:
            pdf.ln(1)
            pdf.set_font("Helvetica", style="I", size=8)
            for note in t.all_notes:
                pdf.multi_cell(0, 4, _pdf_text(note), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(6)
    return bytes(pdf.output())


# ------------------------------------------------------------------ downloads

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def export_filename(stem: str, extension: str, when: dt.datetime) -> str:
    """`referrals-by-source-20261126-0915.csv`: ASCII letters, digits and hyphens only, so the name
    survives any browser and needs no quoting in Content-Disposition."""
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()).strip("-")
    return f"{(slug or 'report')[:60]}-{when.strftime('%Y%m%d-%H%M')}.{extension}"


def download_response(*, content: bytes, filename: str, extension: str):
    """An attachment response for a view to return (`extension` is csv, xlsx or pdf)."""
    from django.http import HttpResponse

    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
