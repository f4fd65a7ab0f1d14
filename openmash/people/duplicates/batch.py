"""The duplicate finder's engine: all records at once, in arrays (numpy), no database.

`compare()` scores one pair in ~60 µs, which is right for a search and far too slow for a million
people (millions of candidate pairs). This module gives the same score as `compare()` for every pair
— the same fields, details, weights, "together" rule and swapped-name rule — but works on columns:

1. **Encode** (`Columns.from_rows`): each record becomes integers. Names, postcodes, address lines
   and identifiers are interned, and everything costly (name parts, Metaphone codes, postcode
   parsing) is done once per *distinct* value, not once per record: a million people hold a few
   tens of thousands of distinct given and family names.
2. **Block** (`candidate_pairs`): the keys of `matching.keys.blocking_keys` (the same kinds and
   fields; `SEARCH_ONLY_KINDS` and `BATCH_SKIP_KINDS` left out, `BATCH_INITIAL_ONLY_KINDS` and
   `BATCH_INITIAL_OR_NO_DOB_KINDS` narrowed), plus three kinds of the batch's own built in memory
   (`ao`, `ai`, `d`: see `_KINDS`), built per kind as packed 64-bit integers with numpy, sorted, and
   each block paired up. Pairs found under several keys are kept once.
3. **Score** (`Scorer.score`), in chunks: the date of birth, sex, postcode (with the one-character
   typo test), address equality and identifiers compare as arrays. Two bounds — that pair's known
   weights plus the most any names could add, then plus the best *its* names could add — drop
   pairs that cannot reach the threshold (a sibling born on another day, a stranger who shares a
   street and a birth year) before anything costly. For the rest, names (`_given`, `_family`,
   `_swapped` from compare.py) and address lines are compared once per distinct *pair of values*
   (np.unique), never once per record pair.
4. **Decide**: compare()'s score against the threshold; at one house against a lower one; and
   the household rules for what independence cannot see (see `Scorer.score`). Then closure over
   small groups (`find_pairs`).

Exact names between records apart weigh by how common they are among the records themselves
(`name_frequencies`, `compare(..., frequencies=)`): agreeing on a common name says less.

`tests/test_duplicates.py` checks the scores against `compare()` pair by pair, with the same
frequencies given to both.
"""

import datetime as dt
import gc
import math
import multiprocessing
import os
import re
from dataclasses import dataclass, field

import numpy as np

from openmash.people.identifiers import clean_nhs_number, clean_upn
from openmash.people.matching import weights as W
from openmash.people.matching.dates import GENERATION_YEARS
from openmash.people.matching.compare import _family, _family_name, _given, _swapped
from openmash.people.matching.keys import SEARCH_ONLY_KINDS
from openmash.people.matching.names import canonical_names, edit_distance, name_parts, phonetic
from openmash.people.matching.postcodes import compare_addresses, normalise_address, parse_postcode

# A block holding more records than this is skipped: it says little (a common name and a birth year,
# a common name in a postcode district) and its pairs grow with the square of its size; the members'
# other, more specific keys (name + full date, name + postcode) still pair a person's records. On a
# million generated people a limit of 300 gave 9.0 M candidate pairs.
MAX_BLOCK = 40
# Kinds the batch leaves out or narrows, measured on training seed 6001 (200,000 records, threshold
# 0.5): `f` (family name + postcode) gave 262,000 candidate pairs, 240,000 under no other key, of
# which 58 true pairs were found — the finder pairs a household's every member with every other.
# `i` (initial + family name + year) gave 204,000 pairs (145,000 under no other key, 48 found); the
# batch keeps only its pairs where one record's first given name is a single letter, the error the
# key is for. A search keeps both kinds.
BATCH_SKIP_KINDS = ()
BATCH_INITIAL_ONLY_KINDS = ("i",)
# `f` is kept for pairs where one record has a single letter for its first name or no date of birth:
# the records the other name keys cannot reach (`i` and `n` need a date, `g` a whole given name).
BATCH_INITIAL_OR_NO_DOB_KINDS = ("f",)

_EPOCH = dt.date(1800, 1, 1).toordinal()
_PHONETIC_BITS = 20
_PC_BITS = 21


# ------------------------------------------------------------------ encoding


class _Interner(dict):
    """Value → small integer, 1, 2, 3… in order of first sight (0 means "none")."""

    def id(self, value) -> int:
        got = self.get(value)
        if got is None:
            got = self[value] = len(self) + 1
        return got


@dataclass
class _NameView:
    """What `_given`, `_family` and `_swapped` read of a prepared record."""

    given: tuple[str, ...]
    other_given: tuple[str, ...]
    family: tuple


@dataclass
class Columns:
    """N records as arrays (index = position in the input), and the distinct values behind the ids."""

    n: int
    given_profile: np.ndarray  # id of (given name, other names): one per distinct value
    family_profile: np.ndarray  # id of (family name, other names)
    dob: np.ndarray  # days since 1800-01-01, -1 unknown
    sex: np.ndarray  # 0 unknown, 1 M, 2 F
    postcode: np.ndarray  # id of the raw postcode text, 0 none
    address: np.ndarray  # id of the raw address line, 0 none
    nhs: np.ndarray  # id of the raw NHS number, 0 none
    upn: np.ndarray
    given_views: list = field(default_factory=list)  # per given profile id: (given parts, other given firsts)
    family_views: list = field(default_factory=list)  # per family profile id: tuple of FamilyName
    given_codes: list = field(default_factory=list)  # per given profile id: phonetic code ids
    initial_ids: list = field(default_factory=list)  # per given profile id: initial ids
    family_codes: list = field(default_factory=list)  # per family profile id: phonetic code ids
    postcodes: list = field(default_factory=list)  # per postcode id: the raw text
    addresses: list = field(default_factory=list)  # per address id: the raw line
    nhs_values: list = field(default_factory=list)
    upn_values: list = field(default_factory=list)
    # Per postcode id (index 0 = none): parsed parts as ids, 0 = not known at that level.
    pc_full: np.ndarray = None
    pc_sector: np.ndarray = None
    pc_district: np.ndarray = None
    pc_area: np.ndarray = None
    pc_inward: np.ndarray = None  # id of the inward code ("4AB"), 0 = not a full postcode
    pc_valid: np.ndarray = None  # parse_postcode found something
    pc_chars: np.ndarray = None  # full postcode without the space, as bytes, 0-padded to 8
    pc_len: np.ndarray = None
    address_content: np.ndarray = None  # per address id: the normalised line is not empty

    @classmethod
    def from_records(cls, records) -> "Columns":
        """From `PersonRecord`s (the in-memory path)."""
        return cls.from_rows(
            (r.given_name, r.family_name, r.other_names, r.date_of_birth, r.sex, r.postcode, r.address_line,
             r.nhs_number, r.upn)
            for r in records
        )

    @classmethod
    def from_rows(cls, rows) -> "Columns":
        """From tuples (given, family, other names, date of birth, sex, postcode, address line, NHS
        number, UPN); the date as a `date`, an ISO string or None."""
        rows = rows if isinstance(rows, list) else list(rows)
        if rows:
            given, family, other, dob, sex, postcode, line, nhs, upn = zip(*rows)
        else:
            given = family = other = dob = sex = postcode = line = nhs = upn = ()
        # Value → id by dict.setdefault (id 0 = none). A name's profile is the name, or the name and
        # the other names when there are any (3 % of people).
        given_ids, family_ids = _Interner({None: 0}), _Interner({None: 0})
        g_col = [given_ids.setdefault((g or "", o) if o else (g or "", ()), len(given_ids)) for g, o in zip(given, other)]
        f_col = [family_ids.setdefault((f or "", o) if o else (f or "", ()), len(family_ids)) for f, o in zip(family, other)]
        dob_ids = {}
        d_col = [dob_ids.setdefault(d, len(dob_ids)) for d in dob]
        day_numbers = np.array([_day_number(d) for d in dob_ids], dtype=np.int64)
        sex_code = {"M": 1, "F": 2}
        s_col = [sex_code.get(x, 0) for x in sex]
        pcs, addrs, nhss, upns = (_Interner({"": 0, None: 0}) for _ in range(4))
        p_col = [pcs.setdefault(x, len(pcs) - 1) for x in postcode]
        a_col = [addrs.setdefault(x, len(addrs) - 1) for x in line]
        # Identifiers by their characters alone, so "401 023 2137" and "4010232137" share an id.
        n_col = [nhss.setdefault(_compact(x), len(nhss) - 1) for x in nhs]
        u_col = [upns.setdefault(_compact(x), len(upns) - 1) for x in upn]
        cols = cls(
            n=len(g_col),
            given_profile=np.array(g_col, dtype=np.int64), family_profile=np.array(f_col, dtype=np.int64),
            dob=day_numbers[np.array(d_col, dtype=np.int64)] if d_col else np.zeros(0, np.int64),
            sex=np.array(s_col, dtype=np.int8),
            postcode=np.array(p_col, dtype=np.int64), address=np.array(a_col, dtype=np.int64),
            nhs=np.array(n_col, dtype=np.int64), upn=np.array(u_col, dtype=np.int64),
        )
        cols._prepare_names(_values(given_ids), _values(family_ids))
        cols._prepare_postcodes(_values(pcs))
        cols.addresses = [""] + _values(addrs)
        content = [False] + [bool(_ADDRESS_CONTENT.search(x.lower())) for x in cols.addresses[1:]]
        cols.address_content = np.array(content, dtype=bool)
        cols.nhs_values = [""] + _values(nhss)
        cols.upn_values = [""] + _values(upns)
        return cols

    def _prepare_names(self, given_ids: list, family_ids: list) -> None:
        codes, initials = _Interner(), _Interner()
        token_codes: dict[str, set] = {}
        token_initials: dict[str, tuple] = {}
        part_codes: dict[str, int] = {}
        self.given_views, self.given_codes, self.initial_ids = [None], [()], [()]
        for given, other in given_ids:
            parts = name_parts(given)
            other_given = []
            for g, _ in other:
                p = name_parts(g)
                if p:
                    other_given.append(p[0])
            other_given = tuple(other_given)
            self.given_views.append((parts, other_given))
            found = set()
            for token in parts[:1] + other_given + parts[1:]:
                if len(token) >= 2:
                    got = token_codes.get(token)
                    if got is None:
                        got = token_codes[token] = {codes.id(phonetic(name)) for name in canonical_names(token)}
                    found |= got
            self.given_codes.append(tuple(sorted(found)))
            if parts:
                token = parts[0]
                got = token_initials.get(token)
                if got is None:
                    letters = {token[0]} | {name[0] for name in canonical_names(token)}
                    got = token_initials[token] = tuple(sorted(initials.id(x) for x in letters))
                self.initial_ids.append(got)
            else:
                self.initial_ids.append(())
        self.family_views, self.family_codes = [()], [()]
        for family, other in family_ids:
            names = [f for f in (_family_name(family, False),) if f]
            for _, fam in other:
                o = _family_name(fam, True)
                if o and all(o.joined != f.joined for f in names):
                    names.append(o)
            names = tuple(names)
            self.family_views.append(names)
            found = set()
            for f in names:
                for part in f.significant:
                    if len(part) >= 2:
                        got = part_codes.get(part)
                        if got is None:
                            got = part_codes[part] = codes.id(phonetic(part))
                        found.add(got)
            self.family_codes.append(tuple(sorted(found)))
        if len(codes) >= 2 ** _PHONETIC_BITS or len(initials) >= 2 ** 16:
            raise ValueError("too many distinct names for the key layout")

    def _prepare_postcodes(self, pcs: list) -> None:
        full, sector, district, area, inward = _Interner(), _Interner(), _Interner(), _Interner(), _Interner()
        k = len(pcs) + 1
        self.postcodes = [""] + list(pcs)
        self.pc_full, self.pc_sector = np.zeros(k, np.int64), np.zeros(k, np.int64)
        self.pc_district, self.pc_area = np.zeros(k, np.int64), np.zeros(k, np.int64)
        self.pc_inward = np.zeros(k, np.int64)
        self.pc_valid = np.zeros(k, bool)
        self.pc_chars, self.pc_len = np.zeros((k, 8), np.uint8), np.zeros(k, np.int64)
        for i, raw in enumerate(self.postcodes[1:], start=1):
            p = parse_postcode(raw)
            if p is None:
                continue
            self.pc_valid[i] = True
            self.pc_area[i] = area.id(p.area)
            self.pc_district[i] = district.id(p.district)
            if p.sector:
                self.pc_sector[i] = sector.id(p.sector)
            if p.full:
                self.pc_full[i] = full.id(p.full)
                self.pc_inward[i] = inward.id(p.full.rsplit(" ", 1)[-1])
                compact = p.full.replace(" ", "").encode()[:8]
                self.pc_chars[i, : len(compact)] = np.frombuffer(compact, np.uint8)
                self.pc_len[i] = len(compact)
        if len(full) >= 2 ** _PC_BITS:
            raise ValueError("too many distinct postcodes for the key layout")


_ADDRESS_CONTENT = re.compile(r"[a-z0-9]")
# A word of a normalised address line holding a digit (normalise_address splits on anything but
# a-z and 0-9): its house and flat numbers.
_NUMBER_WORD = re.compile(r"[a-z0-9]*[0-9][a-z0-9]*")


def _compact(value: str | None) -> str:
    return value.replace(" ", "").replace("-", "").upper() if value else ""


def _values(interner: dict) -> list:
    """The values of an interner with its "none" entries left out, in id order (ids 1, 2, …): the
    ids were given in order of insertion, which a dict keeps."""
    return [v for v, i in interner.items() if i > 0]


def _day_number(value) -> int:
    if value is None or value == "":
        return -1
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    elif isinstance(value, dt.datetime):
        value = value.date()
    return value.toordinal() - _EPOCH


# ------------------------------------------------------------------ blocking

_KINDS = {kind: number for number, kind in enumerate(("n", "y", "m", "p", "i", "a", "am", "g", "f", "nn", "nhs", "upn"), start=1)}
# The batch's own kinds, built here in memory (not in keys.py, so not in PersonKey: a search does
# not need them). Measured on training seed 6003 (1,000,000 records): of the true pairs no key of
# keys.py held, ~1,000 would score above the threshold once paired — mostly one record at the same
# house with a typo in its postcode, or no date of birth, or names a Metaphone code does not keep.
# * `ao` / `ai`: the address line (as typed) + the postcode's outward / inward code. A one-character
#   postcode typo keeps one of the two; a postcode cut to its sector keeps the outward code. Kept only for pairs whose full postcodes differ, or where one
#   record has no date of birth or only an initial: the rest of a household is paired by other keys
#   when it is one person, and left alone when it is a family (`f` above).
# * `d`: date of birth + the first letters of the given and family names, unordered: a typo in both
#   names, or an initial and a typo, changes every name code but rarely a first letter.
_KINDS.update({kind: number for number, kind in enumerate(("ao", "ai", "d"), start=len(_KINDS) + 1)})


def _explode(owner: np.ndarray, lists: list) -> tuple[np.ndarray, np.ndarray]:
    """(record index, value) for every value in lists[owner[record]]."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    offsets = np.zeros(len(lists) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.fromiter((v for x in lists for v in x), dtype=np.int64, count=int(offsets[-1]))
    counts = lengths[owner]
    total = int(counts.sum())
    rows = np.repeat(np.arange(len(owner), dtype=np.int64), counts)
    # index within each record's run: 0, 1, … counts[r]-1
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    within = np.arange(total, dtype=np.int64) - run_start
    return rows, flat[offsets[owner][rows] + within]


def _key(kind: str, payload: np.ndarray) -> np.ndarray:
    return (np.int64(_KINDS[kind]) << np.int64(58)) | payload


def record_keys(cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """(record index, packed key) for every blocking key of every record, as
    `matching.keys.blocking_keys` files them, search-only kinds left out."""
    out_rows, out_keys = [], []

    def add(kind, rows, payload):
        if kind in SEARCH_ONLY_KINDS or kind in BATCH_SKIP_KINDS:
            return
        out_rows.append(rows)
        out_keys.append(_key(kind, payload))

    has_dob = cols.dob >= 0
    dob = np.where(has_dob, cols.dob, 0)
    dates = _calendar(cols.dob)
    year = np.where(has_dob, dates[2] - 1800, 0).astype(np.int64)
    low = np.minimum(dates[0], dates[1])
    high = np.maximum(dates[0], dates[1])
    day_month = (low * 13 + high).astype(np.int64)
    pc_full = cols.pc_full[cols.postcode]
    pc_district = cols.pc_district[cols.postcode]
    has_pc = cols.pc_valid[cols.postcode]

    g_rows, g_code = _explode(cols.given_profile, cols.given_codes)
    f_rows, f_code = _explode(cols.family_profile, cols.family_codes)
    # Names: given and family codes together (a code in both is filed once per record: duplicates
    # of a (record, key) are harmless, the pairs are made unique afterwards).
    n_rows = np.concatenate([g_rows, f_rows])
    n_code = np.concatenate([g_code, f_code])
    keep = has_dob[n_rows]
    add("n", n_rows[keep], (n_code[keep] << 18) | dob[n_rows[keep]])

    # Pairs of (given code, family code), unordered, equal codes left out.
    pair_rows, pair_g, pair_f = _products(cols.given_profile, cols.family_profile, cols.given_codes, cols.family_codes)
    ok = pair_g != pair_f
    pair_rows, pair_g, pair_f = pair_rows[ok], pair_g[ok], pair_f[ok]
    pair = (np.minimum(pair_g, pair_f) << _PHONETIC_BITS) | np.maximum(pair_g, pair_f)
    keep = has_dob[pair_rows]
    add("y", pair_rows[keep], (pair[keep] << 12) | year[pair_rows[keep]])
    add("m", pair_rows[keep], (pair[keep] << 8) | day_month[pair_rows[keep]])
    keep = has_pc[pair_rows]
    add("p", pair_rows[keep], (pair[keep] << 16) | pc_district[pair_rows[keep]])

    i_rows, i_init, i_fam = _products(cols.given_profile, cols.family_profile, cols.initial_ids, cols.family_codes)
    keep = has_dob[i_rows]
    add("i", i_rows[keep], (i_init[keep] << 32) | (i_fam[keep] << 12) | year[i_rows[keep]])

    rows = np.arange(cols.n, dtype=np.int64)
    full = pc_full > 0
    keep = full & has_dob
    add("a", rows[keep], (pc_full[keep] << 12) | year[keep])
    add("am", rows[keep], (pc_full[keep] << 8) | day_month[keep])
    keep = full[g_rows]
    add("g", g_rows[keep], (g_code[keep] << _PC_BITS) | pc_full[g_rows[keep]])
    keep = full[f_rows]
    add("f", f_rows[keep], (f_code[keep] << _PC_BITS) | pc_full[f_rows[keep]])

    # The batch's own kinds (see _KINDS).
    line = cols.address
    keep = (pc_district > 0) & (line > 0) & cols.address_content[line]
    add("ao", rows[keep], (line[keep] << 22) | pc_district[keep])
    keep &= full
    add("ai", rows[keep], (line[keep] << 22) | cols.pc_inward[cols.postcode][keep])
    letters = _first_letters(cols)
    keep = has_dob & (letters > 0)
    add("d", rows[keep], (dob[keep] << 16) | letters[keep])

    # Identifiers, as stored (validated on the way in; an invalid one only adds a candidate pair,
    # which the scorer weighs as missing).
    for kind, column in (("nhs", cols.nhs), ("upn", cols.upn)):
        keep = column > 0
        add(kind, rows[keep], column[keep])
    return np.concatenate(out_rows), np.concatenate(out_keys)


def _first_letters(cols: Columns) -> np.ndarray:
    """Per record, the first letters of its first given name and its own family name as one
    number, the smaller first (0 when either is unknown)."""
    given = np.array([0] + [ord(v[0][0][0]) if v[0] else 0 for v in cols.given_views[1:]], np.int64)
    family = np.array([0] + [ord(v[0].joined[0]) if v and not v[0].is_other else 0
                             for v in cols.family_views[1:]], np.int64)
    g, f = given[cols.given_profile] & 0xFF, family[cols.family_profile] & 0xFF
    out = (np.minimum(g, f) << 8) | np.maximum(g, f)
    return np.where((g > 0) & (f > 0), out, 0)


def _products(owner_a, owner_b, lists_a, lists_b):
    """(record, x, y) for x in lists_a[owner_a[record]], y in lists_b[owner_b[record]]."""
    a_rows, a_val = _explode(owner_a, lists_a)
    b_rows, b_val = _explode(owner_b, lists_b)
    b_len = np.bincount(b_rows, minlength=len(owner_b)).astype(np.int64)
    b_start = np.cumsum(b_len) - b_len
    reps = b_len[a_rows]
    rows = np.repeat(a_rows, reps)
    x = np.repeat(a_val, reps)
    run_start = np.repeat(np.cumsum(reps) - reps, reps)
    within = np.arange(len(rows), dtype=np.int64) - run_start
    y = b_val[b_start[rows] + within]
    return rows, x, y


def candidate_pairs(cols: Columns, *, max_block: int = MAX_BLOCK) -> np.ndarray:
    """Every pair of records sharing a blocking key, once: an array of codes lo * n + hi (lo < hi)."""
    rows, keys = record_keys(cols)
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    boundaries = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate([[0], boundaries])
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    first_len = np.array([0] + [len(v[0][0]) if v[0] else 0 for v in cols.given_views[1:]], np.int64)
    initial = first_len[cols.given_profile] == 1
    initial_or_no_dob = initial | (cols.dob < 0)
    pc_full = cols.pc_full[cols.postcode]
    # Kinds whose pairs are kept only where `keeps(lo, hi)` (see BATCH_INITIAL_ONLY_KINDS, _KINDS).
    narrowing = {_KINDS[k]: lambda lo, hi: initial[lo] | initial[hi] for k in BATCH_INITIAL_ONLY_KINDS}
    narrowing.update({_KINDS[k]: lambda lo, hi: initial_or_no_dob[lo] | initial_or_no_dob[hi]
                      for k in BATCH_INITIAL_OR_NO_DOB_KINDS})
    narrowing.update({_KINDS[k]: lambda lo, hi: initial_or_no_dob[lo] | initial_or_no_dob[hi] | (pc_full[lo] != pc_full[hi])
                      for k in ("ao", "ai")})
    chunks = []
    for size in _unique(sizes):
        if size < 2 or size > max_block:
            continue
        block_starts = starts[sizes == size]
        u, v = np.triu_indices(int(size), k=1)
        a = rows[block_starts[:, None] + u[None, :]].ravel()
        b = rows[block_starts[:, None] + v[None, :]].ravel()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keep = lo != hi
        kind = np.repeat(keys[block_starts] >> np.int64(58), len(u))
        for number, keeps in narrowing.items():
            sel = np.flatnonzero(kind == number)
            if len(sel):
                keep[sel] &= keeps(lo[sel], hi[sel])
        chunks.append(lo[keep] * cols.n + hi[keep])
    if not chunks:
        return np.zeros(0, np.int64)
    return _unique(np.concatenate(chunks))


def _unique(values: np.ndarray) -> np.ndarray:
    """np.unique for integers by sorting: the same sorted array, several times faster on millions
    of values than the hash table numpy 2 uses."""
    ordered = np.sort(values)
    keep = np.empty(len(ordered), bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


# ------------------------------------------------------------------ scoring

DOB_DETAILS = ("missing", "exact", "swapped", "one_day", "digit", "transposed", "year_one", "year_ten", "generation",
               "differ")
PC_DETAILS = ("missing", "full", "typo", "sector", "district", "area", "differ")
ADDR_DETAILS = ("missing", "exact", "close", "differ")
_D = {name: i for i, name in enumerate(DOB_DETAILS)}
_P = {name: i for i, name in enumerate(PC_DETAILS)}
_A = {name: i for i, name in enumerate(ADDR_DETAILS)}


def _table(field_name: str, details) -> np.ndarray:
    """weights[together, detail] for one identity field."""
    return np.array([[W.weight(field_name, d, together=t) for d in details] for t in (False, True)])


_DOB_W = _table("date_of_birth", DOB_DETAILS)
_SEX_W = _table("sex", ("missing", "exact", "differ"))
_PC_W = np.array([W.weight("postcode", d, together=False) for d in PC_DETAILS])
# address weight given [postcode detail, address detail]
_ADDR_W = np.array([[W.address_weight(a, postcode_detail=p) for a in ADDR_DETAILS] for p in PC_DETAILS])
_NHS_W = np.array([0.0, W.weight("nhs_number", "exact", together=False), W.weight("nhs_number", "differ", together=False)])
_UPN_W = np.array([0.0, W.weight("upn", "exact", together=False), W.weight("upn", "differ", together=False)])
_GIVEN_DETAILS = ("exact", "variant", "middle", "typo", "initial", "swapped", "differ", "missing")
_FAMILY_DETAILS = ("exact", "other", "part", "typo", "swapped", "differ", "missing")
def _calendar(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, month, year) arrays from day numbers (unknown dates give 0, 0, 0)."""
    known = days >= 0
    as_dates = (np.where(known, days, 0) + (_EPOCH - dt.date(1970, 1, 1).toordinal())).astype("datetime64[D]")
    years = as_dates.astype("datetime64[Y]")
    months = as_dates.astype("datetime64[M]")
    day = (as_dates - months).astype(np.int64) + 1
    month = (months - years).astype(np.int64) + 1
    year = years.astype(np.int64) + 1970
    return np.where(known, day, 0), np.where(known, month, 0), np.where(known, year, 0)


@dataclass
class _RecordCalendar:
    day: np.ndarray
    month: np.ndarray
    year: np.ndarray
    digits: np.ndarray  # (n, 8) DDMMYYYY


def _record_calendar(cols: Columns) -> _RecordCalendar:
    day, month, year = _calendar(cols.dob)
    digits = np.stack([day // 10, day % 10, month // 10, month % 10,
                       year // 1000, year // 100 % 10, year // 10 % 10, year % 10], axis=1).astype(np.int8)
    return _RecordCalendar(day, month, year, digits)


def _dob_detail(cols: Columns, cal: _RecordCalendar, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`compare_dates_of_birth` as arrays (same order of tests)."""
    da, db = cols.dob[a], cols.dob[b]
    out = np.full(len(a), _D["differ"], np.int8)
    missing = (da < 0) | (db < 0)
    exact = ~missing & (da == db)
    rest = ~missing & ~exact
    ia, ib = a[rest], b[rest]
    day_a, day_b, mon_a, mon_b = cal.day[ia], cal.day[ib], cal.month[ia], cal.month[ib]
    yr_a, yr_b = cal.year[ia], cal.year[ib]
    detail = np.full(len(ia), _D["differ"], np.int8)
    decided = np.zeros(len(ia), bool)

    def take(mask, name):
        nonlocal decided
        m = mask & ~decided
        detail[m] = _D[name]
        decided |= m

    take((yr_a == yr_b) & (day_a == mon_b) & (mon_a == day_b), "swapped")
    take(np.abs(da[rest] - db[rest]) == 1, "one_day")
    same_dm = (day_a == day_b) & (mon_a == mon_b)
    gap = np.abs(yr_a - yr_b)
    take(same_dm & (gap == 1), "year_one")
    take(same_dm & (gap == 10), "year_ten")
    dig_a, dig_b = cal.digits[ia], cal.digits[ib]
    diff = dig_a != dig_b
    count = diff.sum(axis=1)
    take(count == 1, "digit")
    first = np.argmax(diff, axis=1)
    two = count == 2
    nxt = np.minimum(first + 1, 7)
    rows = np.arange(len(ia))
    adjacent = two & diff[rows, nxt] & (first < 7)
    crossed = (dig_a[rows, first] == dig_b[rows, nxt]) & (dig_a[rows, nxt] == dig_b[rows, first])
    take(adjacent & crossed, "transposed")
    take(gap >= GENERATION_YEARS, "generation")
    out[missing] = _D["missing"]
    out[exact] = _D["exact"]
    out[rest] = detail
    return out


def _postcode_detail(cols: Columns, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`compare_postcodes` as arrays, the one-character test (Damerau–Levenshtein 1 on the full
    postcodes without their space) included."""
    pa, pb = cols.postcode[a], cols.postcode[b]
    out = np.full(len(a), _P["differ"], np.int8)
    missing = ~cols.pc_valid[pa] | ~cols.pc_valid[pb]
    fa, fb = cols.pc_full[pa], cols.pc_full[pb]
    full = ~missing & (fa > 0) & (fa == fb)
    both_full = ~missing & (fa > 0) & (fb > 0) & ~full
    typo = np.zeros(len(a), bool)
    if both_full.any():
        idx = np.flatnonzero(both_full)
        typo[idx] = _one_edit(cols.pc_chars[pa[idx]], cols.pc_len[pa[idx]], cols.pc_chars[pb[idx]], cols.pc_len[pb[idx]])
    sa, sb = cols.pc_sector[pa], cols.pc_sector[pb]
    sector = (sa > 0) & (sa == sb)
    district = cols.pc_district[pa] == cols.pc_district[pb]
    area = cols.pc_area[pa] == cols.pc_area[pb]
    out[area] = _P["area"]
    out[district] = _P["district"]
    out[sector] = _P["sector"]
    out[typo] = _P["typo"]
    out[full] = _P["full"]
    out[missing] = _P["missing"]
    return out


def _one_edit(x: np.ndarray, lx: np.ndarray, y: np.ndarray, ly: np.ndarray) -> np.ndarray:
    """Damerau–Levenshtein distance exactly 1 between byte strings (rows of 8, 0-padded)."""
    out = np.zeros(len(x), bool)
    pos = np.arange(8)[None, :]
    same_len = lx == ly
    if same_len.any():
        xs, ys, ls = x[same_len], y[same_len], lx[same_len]
        diff = (xs != ys) & (pos < ls[:, None])
        count = diff.sum(axis=1)
        first = np.argmax(diff, axis=1)
        rows = np.arange(len(xs))
        nxt = np.minimum(first + 1, 7)
        swap = (count == 2) & diff[rows, nxt] & (xs[rows, first] == ys[rows, nxt]) & (xs[rows, nxt] == ys[rows, first])
        out[same_len] = (count == 1) | swap
    one_apart = np.abs(lx - ly) == 1
    if one_apart.any():
        longer_first = lx[one_apart] > ly[one_apart]
        xs, ys = x[one_apart], y[one_apart]
        long_ = np.where(longer_first[:, None], xs, ys)
        short = np.where(longer_first[:, None], ys, xs)
        ls = np.minimum(lx[one_apart], ly[one_apart])
        # The shorter is the longer with one character removed at the first place they differ.
        prefix = _first_false(short == long_, ls)
        shifted = np.zeros_like(long_)
        shifted[:, :7] = long_[:, 1:]
        tail = (short == shifted) | (pos >= ls[:, None]) | (pos < prefix[:, None])
        out[one_apart] = tail.all(axis=1)
    return out


def _first_false(matches: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Index of the first position < length where `matches` is False (length when none)."""
    pos = np.arange(matches.shape[1])[None, :]
    miss = ~matches & (pos < length[:, None])
    return np.where(miss.any(axis=1), np.argmax(miss, axis=1), length)


class _Cleaned:
    """Per raw identifier id, the id of its cleaned value (0: not valid), kept for the whole run."""

    def __init__(self, cleaner):
        self.cleaner, self.of, self.seen = cleaner, {}, _Interner()

    def __call__(self, values: list, ids: np.ndarray) -> np.ndarray:
        of, seen, cleaner = self.of, self.seen, self.cleaner
        out = []
        for i in ids.tolist():
            got = of.get(i)
            if got is None:
                try:
                    value = cleaner(values[i])
                except ValueError:
                    value = ""
                got = of[i] = seen.id(value) if value else 0
            out.append(got)
        return np.array(out, dtype=np.int64)


def _identifier_weights(cols: Columns, a, b, column, values, cleaner, table) -> np.ndarray:
    """Both present → cleaned (lazily, only the values that meet, each once: `cleaner` is a
    `_Cleaned`) and compared; invalid = missing."""
    ra, rb = column[a], column[b]
    both = (ra > 0) & (rb > 0)
    out = np.zeros(len(a))
    if not both.any():
        return out
    ids = np.unique(np.concatenate([ra[both], rb[both]]))
    cleaned = cleaner(values, ids)
    ca = np.zeros(len(a), np.int64)
    cb = np.zeros(len(a), np.int64)
    ca[both] = cleaned[np.searchsorted(ids, ra[both])]
    cb[both] = cleaned[np.searchsorted(ids, rb[both])]
    valid = both & (ca > 0) & (cb > 0)
    out[valid & (ca == cb)] = table[1]
    out[valid & (ca != cb)] = table[2]
    return out


class _Memo:
    """Per distinct pair of ids, a value computed in Python once for the whole run."""

    def __init__(self, fn, width: int):
        self.fn, self.width, self.values = fn, width, {}

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        codes = (x.astype(np.int64) << np.int64(32)) | y.astype(np.int64)
        unique, inverse = np.unique(codes, return_inverse=True)
        got = np.empty((len(unique), self.width))
        values, fn = self.values, self.fn
        for k, code in enumerate(unique.tolist()):
            v = values.get(code)
            if v is None:
                v = values[code] = fn(code >> 32, code & 0xFFFFFFFF)
            got[k] = v
        return got[inverse.reshape(-1)]


class Scorer:
    """Scores pairs of one `Columns` as `compare()` would (see the module docstring)."""

    def __init__(self, cols: Columns, frequencies: W.NameFrequencies | None = None):
        """`frequencies`: term-frequency weights for exact names, as `compare(..., frequencies=)`
        has them (`name_frequencies(cols)` for the records themselves); None for the fixed weights."""
        self.cols = cols
        self.frequencies = frequencies
        self.calendar = _record_calendar(cols)
        # One id per distinct (given profile, family profile): the names of a record.
        width = int(cols.family_profile.max(initial=0)) + 1
        combined = cols.given_profile * width + cols.family_profile
        unique, self.name_profile = np.unique(combined, return_inverse=True)
        self.name_profile = self.name_profile.reshape(-1)
        self._profiles = [(int(c) // width, int(c) % width) for c in unique.tolist()]
        # Equal profiles compare exact when there is a name (a family name of the record's own, not
        # only a previous one, which compares as "other").
        self._given_known = np.array([False] + [bool(v[0] or v[1]) for v in cols.given_views[1:]])
        self._family_own = np.array([False] + [bool(v) and not v[0].is_other for v in cols.family_views[1:]])
        self._given_any = np.array([False] + [bool(v[0] or v[1]) for v in cols.given_views[1:]])
        self._family_any = np.array([False] + [bool(v) for v in cols.family_views[1:]])
        self._swap_given, self._swap_family = _swap_features(cols)
        # For the bound: names compare exact when the first given names (or the record's own family
        # names) are equal, or — given names — possibly through another name on record.
        firsts, joined = {}, {}
        self._given_first = np.array([0] + [firsts.setdefault(v[0][0], len(firsts) + 1) if v[0] else 0
                                            for v in cols.given_views[1:]])
        self._given_other = np.array([False] + [bool(v[1]) for v in cols.given_views[1:]])
        self._family_first = np.array([0] + [joined.setdefault(v[0].joined, len(joined) + 1) if v and not v[0].is_other else 0
                                             for v in cols.family_views[1:]])
        # Exact names between records apart: the weight of each first given name and own family
        # name (by the ids above), the fixed weight where there is no frequency.
        fixed_g, fixed_f = _GIVEN_W[0, _G["exact"]], _FAMILY_W[0, _F["exact"]]
        self._tf_given = np.full(len(firsts) + 1, fixed_g)
        self._tf_family = np.full(len(joined) + 1, fixed_f)
        if frequencies is not None:
            for token, i in firsts.items():
                w = frequencies.given_weight(token)
                self._tf_given[i] = fixed_g if w is None else w
            for token, i in joined.items():
                w = frequencies.family_weight(token)
                self._tf_family[i] = fixed_f if w is None else w
        self._clean_nhs, self._clean_upn = _Cleaned(clean_nhs_number), _Cleaned(clean_upn)
        self.given = _Memo(self._given_detail, 1)
        self.family = _Memo(self._family_detail, 1)
        self.swapped = _Memo(self._swapped, 1)
        self.address = _Memo(self._address_detail, 1)
        self.near = _Memo(self._near, 1)
        # Per address id, an id of its house and flat numbers (as compare_addresses reads them:
        # the words of the normalised line that hold a digit), for all lines at once, before the
        # scoring processes fork.
        numbers: dict[tuple, int] = {}
        self.house_numbers = np.array(
            [-1] + [numbers.setdefault(tuple(_NUMBER_WORD.findall(line.lower())), len(numbers)) for line in cols.addresses[1:]],
            dtype=np.int64)

    def clean_identifiers(self, codes: np.ndarray) -> None:
        """Clean, once and before the scoring processes fork, every identifier that meets another
        in `codes` (each process would otherwise clean them again)."""
        a, b = codes // self.cols.n, codes % self.cols.n
        for column, values, cleaner in ((self.cols.nhs, self.cols.nhs_values, self._clean_nhs),
                                        (self.cols.upn, self.cols.upn_values, self._clean_upn)):
            ca, cb = column[a], column[b]
            both = (ca > 0) & (cb > 0)
            if both.any():
                cleaner(values, np.unique(np.concatenate([ca[both], cb[both]])))

    def _view(self, profile: int) -> _NameView:
        given_profile, family_profile = self._profiles[profile]
        given, other_given = self.cols.given_views[given_profile]
        return _NameView(given, other_given, self.cols.family_views[family_profile])

    def _name_bound(self, a: np.ndarray, b: np.ndarray, together: np.ndarray) -> np.ndarray:
        cols = self.cols
        t = together.astype(np.int64)
        ga, gb = cols.given_profile[a], cols.given_profile[b]
        fa, fb = cols.family_profile[a], cols.family_profile[b]
        g_missing = ~self._given_any[ga] | ~self._given_any[gb]
        f_missing = ~self._family_any[fa] | ~self._family_any[fb]
        first_a, first_b = self._given_first[ga], self._given_first[gb]
        g_exact = ((first_a > 0) & (first_a == first_b)) | self._given_other[ga] | self._given_other[gb]
        own_a, own_b = self._family_first[fa], self._family_first[fb]
        f_exact = (own_a > 0) & (own_a == own_b)
        apart = ~together
        # Equal first given names are exact, and weigh by frequency between records apart.
        first_same = (first_a > 0) & (first_a == first_b)
        g_exact_w = np.where(first_same & apart, self._tf_given[first_a], _GIVEN_W[t, _G["exact"]])
        f_exact_w = np.where(f_exact & apart, self._tf_family[own_a], _FAMILY_W[t, _F["exact"]])
        g = np.where(g_missing, 0.0, np.where(g_exact, g_exact_w, _GIVEN_CLOSE_MAX[t]))
        f = np.where(f_missing, 0.0, np.where(f_exact, f_exact_w, _FAMILY_CLOSE_MAX[t]))
        plain = g + f
        swap = _GIVEN_W[t, _G["swapped"]] + _FAMILY_W[t, _F["swapped"]]
        plausible = self._swap_plausible(a, b) & self._swap_plausible(b, a)
        return np.where(plausible, np.maximum(plain, swap), plain)

    def _swap_plausible(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Could a's first given name be b's family name, exactly or spelt alike? A filter before
        the real test (`compare._swapped`): the same first letter, the same Metaphone code, or at
        least half their letters shared — which every typing slip of a name of three or more
        distinct letters keeps."""
        mask, first, code = (x[self.cols.given_profile[a]] for x in self._swap_given)
        out = np.zeros(len(a), bool)
        for f_mask, f_first, f_code in self._swap_family:
            fm, ff, fc = (x[self.cols.family_profile[b]] for x in (f_mask, f_first, f_code))
            shared = np.bitwise_count(mask & fm).astype(np.int64)
            union = np.bitwise_count(mask | fm).astype(np.int64)
            out |= (fm != 0) & (mask != 0) & ((first == ff) | (code == fc) | (2 * shared >= union))
        return out

    def _given_detail(self, x: int, y: int) -> int:
        gx, gy = self.cols.given_views[x], self.cols.given_views[y]
        return _G[_given(_NameView(gx[0], gx[1], ()), _NameView(gy[0], gy[1], ())).detail]

    def _family_detail(self, x: int, y: int) -> int:
        fx, fy = self.cols.family_views[x], self.cols.family_views[y]
        return _F[_family(_NameView((), (), fx), _NameView((), (), fy)).detail]

    def _swapped(self, profile_a: int, profile_b: int) -> bool:
        return _swapped(self._view(profile_a), self._view(profile_b))

    def _names(self, a: np.ndarray, b: np.ndarray, together: np.ndarray):
        """Given and family weights as compare() has them, the swapped reading included, and
        their details (indices into _GIVEN_DETAILS, _FAMILY_DETAILS)."""
        cols = self.cols
        ga, gb = cols.given_profile[a], cols.given_profile[b]
        fa, fb = cols.family_profile[a], cols.family_profile[b]
        given = np.full(len(a), _G["exact"], np.int64)
        family = np.full(len(a), _F["exact"], np.int64)
        # Equal profiles: exact, unless the name is empty (then missing; _given/_family decide).
        g_same = (ga == gb) & self._given_known[ga]
        f_same = (fa == fb) & self._family_own[fa]
        if (~g_same).any():
            given[~g_same] = self.given(ga[~g_same], gb[~g_same])[:, 0].astype(np.int64)
        if (~f_same).any():
            family[~f_same] = self.family(fa[~f_same], fb[~f_same])[:, 0].astype(np.int64)
        t = together.astype(np.int64)
        g = _GIVEN_W[t, given]
        f = _FAMILY_W[t, family]
        if self.frequencies is not None:
            apart = ~together
            first_a, first_b = self._given_first[ga], self._given_first[gb]
            tf = apart & (given == _G["exact"]) & (first_a > 0) & (first_a == first_b)
            g[tf] = self._tf_given[first_a[tf]]
            own_a, own_b = self._family_first[fa], self._family_first[fb]
            tf = apart & (family == _F["exact"]) & (own_a > 0) & (own_a == own_b)
            f[tf] = self._tf_family[own_a[tf]]
        check = ~np.isin(given, _NO_SWAP_GIVEN) | ~np.isin(family, _NO_SWAP_FAMILY)
        sw = _GIVEN_W[t, _G["swapped"]] + _FAMILY_W[t, _F["swapped"]]
        check &= sw > g + f
        check[check] = self._swap_plausible(a[check], b[check]) & self._swap_plausible(b[check], a[check])
        if check.any():
            idx = np.flatnonzero(check)
            hit = self.swapped(self.name_profile[a[idx]], self.name_profile[b[idx]])[:, 0] > 0
            idx = idx[hit]
            g[idx] = _GIVEN_W[t[idx], _G["swapped"]]
            f[idx] = _FAMILY_W[t[idx], _F["swapped"]]
            given[idx] = _G["swapped"]
            family[idx] = _F["swapped"]
        return g, f, given, family

    def _address_detail(self, x: int, y: int) -> float:
        line_x, line_y = self.cols.addresses[x], self.cols.addresses[y]
        return _A[compare_addresses(normalise_address(line_x), normalise_address(line_y)).detail]

    def score(self, codes: np.ndarray, threshold: float, prior: float = W.PRIOR_LOG2_ODDS, *,
              together_threshold: float | None = None, household: bool = False):
        """Pairs (codes lo * n + hi) scoring at least `threshold` (log2 odds): (lo, hi, score).

        With the finder's options (off by default; every pair returned still carries compare()'s
        score, only which pairs are returned changes):
        * `together_threshold`: pairs at one house (compare's "together") are kept from this lower
          score instead (DEFAULT_TOGETHER_THRESHOLD).
        * `household`: the household rules. Within a household, Fellegi–Sunter's independence does
          not hold: its members differ from each other in given name *and* date of birth (twins:
          same date, another first name, same surname; a parent: a generation apart), while a
          duplicate keeps most of its fields. So at one house, with sexes not differing and no
          identifier differing, a pair is kept whatever its score when
          - "renamed": both names differ outright and the date of birth is the same or one slip
            away (a short form the variant table does not know and a new surname);
          - "one name": the same first given name and an agreeing family name, with a date of
            birth beyond a slip but not a generation apart (a date typed twice wrong);
          - "near": the same or next-day date of birth, agreeing family names, and first given
            names compare() calls different that are one edit apart or one the start of the other
            (Lin / Linh, Fin / Finley: a slip in a short name, or a short form);
          and, between records apart, first given names that agree only through a middle name
          ("middle") must not carry a pair: it must reach the threshold without that weight. At
          a million records (training seed 6003) "middle" pairs apart were one in three right.
        Measured on training seed 6003 (1,000,000 records): see docs/adr/0012-person-matching.md.
        """
        if together_threshold is None or together_threshold > threshold:
            together_threshold = threshold
        cols = self.cols
        a, b = codes // cols.n, codes % cols.n
        dob = _dob_detail(cols, self.calendar, a, b)
        pc = _postcode_detail(cols, a, b)
        sa, sb = cols.sex[a], cols.sex[b]
        sex = np.where((sa == 0) | (sb == 0), 0, np.where(sa == sb, 1, 2))
        # Identifiers at their best for the bound (the same number typed alike: exact; otherwise
        # nothing), checked properly for the pairs left.
        na, nb, ua, ub = cols.nhs[a], cols.nhs[b], cols.upn[a], cols.upn[b]
        nhs = np.where((na > 0) & (na == nb), _NHS_W[1], 0.0)
        upn = np.where((ua > 0) & (ua == ub), _UPN_W[1], 0.0)
        ra, rb = cols.address[a], cols.address[b]
        content = cols.address_content[ra] & cols.address_content[rb]
        addr = np.where(~content, _A["missing"], np.where(ra == rb, _A["exact"], _A["differ"])).astype(np.int8)
        unresolved = content & (ra != rb)

        # The household rules (no bound on the names): sexes not differing, and the date of birth
        # the same or one slip away with first names not equal, or beyond a slip with first names
        # that may be equal.
        if household:
            ga, gb = cols.given_profile[a], cols.given_profile[b]
            first_a, first_b = self._given_first[ga], self._given_first[gb]
            may_be_exact = ((first_a > 0) & (first_a == first_b)) | self._given_other[ga] | self._given_other[gb]
            same_birth = (sex != 2) & ((np.isin(dob, _HOUSEHOLD_DOB) & (first_a != first_b)) |
                                       ((dob == _D["differ"]) & may_be_exact))
        else:
            same_birth = np.zeros(len(a), bool)

        # 0. A first, coarse bound: the most any names could add. Most candidate pairs (strangers
        # sharing a name and a birth year) end here, before the names are looked at.
        keep = np.zeros(len(a), bool)
        for option in ("exact", "close", "differ"):
            trial = np.where(unresolved, _A[option], addr)
            together, known = self._partial(dob, pc, sex, trial, nhs, upn, prior)
            need = np.where(together, together_threshold, threshold)
            keep |= (known + _NAME_MAX[together.astype(np.int64)] >= need - 1e-9) | (together & same_birth)
        a, b, dob, pc, sex, ra, rb, addr, unresolved, same_birth, nhs, upn = (
            x[keep] for x in (a, b, dob, pc, sex, ra, rb, addr, unresolved, same_birth, nhs, upn))

        # 1. A bound: the fields compared so far, the address line at its best where the lines
        # are not compared yet, identifiers at their best, and the most the names could add.
        name_bound = (self._name_bound(a, b, np.zeros(len(a), bool)), self._name_bound(a, b, np.ones(len(a), bool)))
        keep = np.zeros(len(a), bool)
        for option in ("exact", "close", "differ"):
            trial = np.where(unresolved, _A[option], addr)
            together, known = self._partial(dob, pc, sex, trial, nhs, upn, prior)
            need = np.where(together, together_threshold, threshold)
            keep |= known + np.where(together, name_bound[1], name_bound[0]) >= need - 1e-9
            keep |= together & same_birth
        a, b, dob, pc, sex, ra, rb, addr, unresolved = (
            x[keep] for x in (a, b, dob, pc, sex, ra, rb, addr, unresolved))
        name_bound = (name_bound[0][keep], name_bound[1][keep])
        # 2. Identifiers and address lines compared for the pairs left, then the bound again.
        nhs = _identifier_weights(cols, a, b, cols.nhs, cols.nhs_values, self._clean_nhs, _NHS_W)
        upn = _identifier_weights(cols, a, b, cols.upn, cols.upn_values, self._clean_upn, _UPN_W)
        if unresolved.any():
            # Different house or flat numbers: differ, without comparing the streets.
            idx = np.flatnonzero(unresolved)
            numbers_a, numbers_b = self.house_numbers[ra[idx]], self.house_numbers[rb[idx]]
            same = numbers_a == numbers_b
            addr[idx[~same]] = _A["differ"]
            idx = idx[same]
            if len(idx):
                addr[idx] = self.address(ra[idx], rb[idx])[:, 0].astype(np.int8)
        together, known, parts = self._partial(dob, pc, sex, addr, nhs, upn, prior, detail=True)
        need = np.where(together, together_threshold, threshold)
        rule = together & (sex != 2) & (nhs >= 0) & (upn >= 0) if household else np.zeros(len(a), bool)
        same_birth = rule & np.isin(dob, _SAME_BIRTH)
        one_slip = rule & np.isin(dob, _ONE_SLIP)
        other_date = rule & (dob == _D["differ"])
        rule = same_birth | one_slip | other_date
        keep = (known + np.where(together, name_bound[1], name_bound[0]) >= need - 1e-9) | rule
        a, b, together, need = a[keep], b[keep], together[keep], need[keep]
        same_birth, one_slip, other_date = same_birth[keep], one_slip[keep], other_date[keep]
        parts = [p[keep] for p in parts]
        # 4. Names, once per distinct pair of values.
        g, f, given, family = self._names(a, b, together)
        dob_w, sex_w, pc_w, addr_w, nhs_w, upn_w = parts
        # Summed in compare()'s order, so the scores are the same to the last bit.
        total = (((((((g + f) + dob_w) + sex_w) + pc_w) + addr_w) + nhs_w) + upn_w)
        score = prior + total
        keep = score >= need
        if household:
            # Between records apart, first names that agree only through a middle name must not
            # carry the pair: it must reach the threshold without that name's weight.
            middle = ~together & (given == _G["middle"])
            keep[middle] &= (score - g)[middle] >= need[middle]
        family_agrees = np.isin(family, _NEAR_FAMILY)
        # Renamed: both names differ outright, the date the same or one slip away.
        keep |= (same_birth | one_slip) & (given == _G["differ"]) & (family == _F["differ"])
        # One name: the same first given name and family name, the date beyond one slip (not a
        # generation apart: a father and son of one name).
        keep |= other_date & (given == _G["exact"]) & family_agrees
        # Near: the first given names one edit apart or one the beginning of the other.
        near = same_birth & ~keep & (given == _G["differ"]) & family_agrees
        if near.any():
            idx = np.flatnonzero(near)
            near[idx] = self.near(self.cols.given_profile[a[idx]], self.cols.given_profile[b[idx]])[:, 0] > 0
            keep |= near
        return a[keep], b[keep], score[keep]

    def _near(self, x: int, y: int) -> bool:
        """First given names one edit apart, or one the beginning of the other (two letters or more)."""
        gx, gy = self.cols.given_views[x][0], self.cols.given_views[y][0]
        if not gx or not gy:
            return False
        short, long_ = sorted((gx[0], gy[0]), key=len)
        return (len(short) >= 2 and long_.startswith(short)) or edit_distance(short, long_) <= 1

    def _partial(self, dob, pc, sex, addr, nhs, upn, prior, detail=False):
        together = ((pc == _P["full"]) & (addr != _A["differ"])) | (
            ((addr == _A["exact"]) | (addr == _A["close"])) & np.isin(pc, _TOGETHER_PC))
        t = together.astype(np.int64)
        dob_w = _DOB_W[t, dob]
        sex_w = _SEX_W[t, sex]
        pc_w = _PC_W[pc]
        addr_w = _ADDR_W[pc, addr]
        known = prior + dob_w + sex_w + pc_w + addr_w + nhs + upn
        if detail:
            return together, known, (dob_w, sex_w, pc_w, addr_w, nhs, upn)
        return together, known


_G = {name: i for i, name in enumerate(_GIVEN_DETAILS)}
_F = {name: i for i, name in enumerate(_FAMILY_DETAILS)}
_GIVEN_W = _table("given_name", _GIVEN_DETAILS)
_FAMILY_W = _table("family_name", _FAMILY_DETAILS)
_NO_SWAP_GIVEN = np.array([_G["exact"], _G["missing"]])
_NO_SWAP_FAMILY = np.array([_F["exact"], _F["other"]])


def name_frequencies(cols: Columns) -> W.NameFrequencies:
    """How many of the records hold each first given name and each family name of their own (the
    term-frequency table for `compare(..., frequencies=)` and `Scorer`)."""
    given_count = np.bincount(cols.given_profile, minlength=len(cols.given_views))
    family_count = np.bincount(cols.family_profile, minlength=len(cols.family_views))
    given: dict[str, int] = {}
    for view, k in zip(cols.given_views[1:], given_count[1:].tolist()):
        if view[0] and k:
            given[view[0][0]] = given.get(view[0][0], 0) + k
    family: dict[str, int] = {}
    for names, k in zip(cols.family_views[1:], family_count[1:].tolist()):
        if names and not names[0].is_other and k:
            family[names[0].joined] = family.get(names[0].joined, 0) + k
    return W.NameFrequencies(given, family, cols.n)


# The most two names could weigh, apart and together (any given detail with any family detail).
_NAME_MAX = np.array([_GIVEN_W[t].max() + _FAMILY_W[t].max() + 2 * max(W.TF_MAX_GAIN, 0.0) for t in (0, 1)])
_GIVEN_CLOSE_MAX = np.array([max(W.weight("given_name", d, together=t) for d in _GIVEN_DETAILS
                                   if d not in ("exact", "swapped")) for t in (False, True)])
_FAMILY_CLOSE_MAX = np.array([max(W.weight("family_name", d, together=t) for d in _FAMILY_DETAILS
                                    if d not in ("exact", "swapped")) for t in (False, True)])
_SWAP_PARTS = 3  # family-name parts looked at by the swapped-names filter


def _letters(token: str) -> tuple[int, int]:
    mask = 0
    for c in token:
        mask |= 1 << (ord(c) % 63)
    return mask, ord(token[0]) if token else 0


def _swap_features(cols: Columns):
    """Per given profile: (letters of the first given name as a bit mask, its first letter, its
    Metaphone code id); per family profile, for each of the first parts of its own family name, the
    same. Zero masks where there is no name."""
    codes = {}
    g_mask, g_first, g_code = (np.zeros(len(cols.given_views), np.uint64) for _ in range(3))
    for i, view in enumerate(cols.given_views[1:], start=1):
        if view[0]:
            token = view[0][0]
            mask, first = _letters(token)
            g_mask[i], g_first[i] = mask, first
            g_code[i] = codes.setdefault(phonetic(token), len(codes) + 1)
    family = []
    for k in range(_SWAP_PARTS):
        f_mask, f_first, f_code = (np.zeros(len(cols.family_views), np.uint64) for _ in range(3))
        for i, names in enumerate(cols.family_views[1:], start=1):
            if names and len(names[0].significant) > k:
                token = names[0].significant[k]
                mask, first = _letters(token)
                f_mask[i], f_first[i] = mask, first
                f_code[i] = codes.setdefault(phonetic(token), len(codes) + 1)
        family.append((f_mask, f_first, f_code))
    return (g_mask, g_first, g_code), family


# Dates of birth that count as the same birth for the household rules (`Scorer.score`).
_SAME_BIRTH = np.array([_D["exact"], _D["one_day"]], np.int8)
_ONE_SLIP = np.array([_D[d] for d in ("swapped", "digit", "transposed", "year_one", "year_ten")], np.int8)
_HOUSEHOLD_DOB = np.concatenate([_SAME_BIRTH, _ONE_SLIP])
_NEAR_FAMILY = np.array([_F["exact"], _F["other"], _F["part"], _F["typo"]])
_TOGETHER_PC = np.array([_P[d] for d in ("full", "typo", "sector", "district", "missing")], np.int8)


def probability(score: np.ndarray) -> np.ndarray:
    """1 / (1 + 2^-score), as compare() has it."""
    clipped = np.clip(score, -60, 60)
    out = 1.0 / (1.0 + np.power(2.0, -clipped))
    return np.where(score > 60, 1.0, np.where(score < -60, 0.0, out))


def score_threshold(probability_threshold: float) -> float:
    """The log2 odds at which the probability reaches `probability_threshold`."""
    if not 0 < probability_threshold < 1:
        raise ValueError("the threshold must be a probability between 0 and 1")
    return math.log2(probability_threshold / (1 - probability_threshold))


# ------------------------------------------------------------------ the whole run

# Defaults, chosen on training seeds only (docs/adr/0012-person-matching.md, "The duplicate finder").
# A pair is queued when it is about as likely as not one person. Lower thresholds gain recall on
# small populations but not at scale: strangers who share a common name and a birth year and differ
# by one digit of the date (−3.0) grow with the square of the index, true pairs with it. On training
# seed 6003 (1,000,000 records, with the household rules and the middle-name rule): 0.5 → precision
# 0.960 / recall 0.949; 0.47 → 0.956 / 0.950; 0.45 → 0.955 / 0.950; 0.4 → 0.949 / 0.952.
DEFAULT_THRESHOLD = 0.47
# Two records each queued with a third (A≈B, A≈C) are queued together (B–C) when their own score
# is at least this: two duplicates of one person often carry different errors, so they look less
# alike than either does to the original. It was 0.0002 (−12.3 log2 odds), when a twin (−4.6) could
# be joined this way; with twins and a generation apart left out (`_closure_skips`) the bar could
# go lower: on training seed 6003 (1,000,000 records) 0.0002 → precision 0.956 / recall 0.950,
# 0.00005 → 0.955 / 0.951, 0.00001 → 0.954 / 0.952, 0.000001 → 0.954 / 0.953, none → 0.953 / 0.953.
DEFAULT_CLOSURE_THRESHOLD = 0.000001
# Pairs at one house (compare's "together") are queued from this lower probability. Their number
# grows with the index, not with its square (a house holds a household, however many people the
# index holds), so the bar that keeps strangers out at a million need not apply to them. Twins score
# about −4.7 log2 odds (p 0.037) and a father and son of one name about −5.2: this bar (−4.25) stays
# above both. On training seed 6003 (1,000,000 records) the pairs it added were 2,549 true, 188 false.
DEFAULT_TOGETHER_THRESHOLD = 0.05
# Largest group of records closed over; a real person rarely has more than three or four records.
CLOSURE_MAX_GROUP = 4
CHUNK = 400_000
# Processes scoring candidate pairs: the machines this runs on have two cores.
WORKERS = min(2, os.cpu_count() or 1)


@dataclass
class Found:
    """The pairs found (record indices lo < hi, scores in log2 odds) and what it took."""

    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    candidates: int
    closure_added: int
    seconds: dict

    @property
    def probability(self) -> np.ndarray:
        return probability(self.score)


def find_pairs(cols: Columns, *, threshold: float = DEFAULT_THRESHOLD,
               closure_threshold: float | None = DEFAULT_CLOSURE_THRESHOLD,
               together_threshold: float | None = DEFAULT_TOGETHER_THRESHOLD, household: bool = True,
               progress=None, workers: int | None = None, term_frequencies: bool = True) -> Found:
    """Block, score in chunks, then close over small groups (see DEFAULT_CLOSURE_THRESHOLD).

    A pair is found when compare() scores it at least `threshold`, or — at one house (compare's
    "together") — at least `together_threshold`, or when it meets a household rule
    (`Scorer.score`, `household`). Exact names weigh by how common they are among `cols`
    (`name_frequencies`) unless `term_frequencies` is False. Every pair found carries compare()'s
    score."""
    import time

    seconds = {}
    started = time.perf_counter()
    codes = candidate_pairs(cols)
    seconds["block"] = time.perf_counter() - started
    started = time.perf_counter()
    scorer = Scorer(cols, name_frequencies(cols) if term_frequencies else None)
    scorer.clean_identifiers(codes)
    limit = score_threshold(threshold)
    options = dict(together_threshold=score_threshold(together_threshold) if together_threshold else None,
                   household=household)
    parts = _score_chunks(scorer, codes, limit, options, workers if workers is not None else WORKERS, progress)
    if progress and not len(codes):
        progress(0, 0)
    a = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    b = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    score = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    seconds["score"] = time.perf_counter() - started
    started = time.perf_counter()
    added = 0
    if closure_threshold is not None and len(a):
        extra = _closure_pairs(cols.n, a, b)
        if len(extra):
            ea, eb, es = scorer.score(extra, score_threshold(closure_threshold))
            keep = ~_closure_skips(scorer, ea, eb)
            ea, eb, es = ea[keep], eb[keep], es[keep]
            added = len(ea)
            a, b, score = np.concatenate([a, ea]), np.concatenate([b, eb]), np.concatenate([score, es])
            order = np.argsort(a * cols.n + b, kind="stable")
            a, b, score = a[order], b[order], score[order]
    seconds["closure"] = time.perf_counter() - started
    return Found(a, b, score, len(codes), added, seconds)


def _closure_skips(scorer: "Scorer", a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs closure leaves out whatever their score: two people a household holds apart, joined
    only through a third record that was paired with each (a duplicate of one twin that carries
    the other's name, a son's record with his father's year of birth). Measured on training seed
    6003 (1,000,000 records): the closure's pairs were two-thirds right; these two kinds were half
    twins and almost all a parent and a child."""
    cols = scorer.cols
    detail = _dob_detail(cols, scorer.calendar, a, b)
    # A generation apart: a parent and a child of one name.
    skip = detail == _D["generation"]
    # Twins: one house (the same address line), one date of birth, two first names.
    first = scorer._given_first
    same_house = (cols.address[a] == cols.address[b]) & (cols.address[a] > 0)
    skip |= same_house & (detail == _D["exact"]) & (first[cols.given_profile[a]] != first[cols.given_profile[b]])
    return skip


_SCORER: "Scorer | None" = None  # the scorer a forked worker inherits


def _score_chunk(args):
    codes, limit, options = args
    return _SCORER.score(codes, limit, **options)


def _score_chunks(scorer: "Scorer", codes: np.ndarray, limit: float, options: dict, workers: int, progress) -> list:
    """Score `codes` in chunks: in this process, or — with several workers, where the system can
    fork — in that many processes that inherit the arrays (copy on write) and send back only the
    pairs found."""
    global _SCORER
    chunks = [codes[start:start + CHUNK] for start in range(0, len(codes), CHUNK)]
    parts = []
    done = 0
    if workers > 1 and len(chunks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _SCORER = scorer
        # The records' objects (names, views) moved out of the collector's sight before forking: a
        # collection in a worker would otherwise touch, and so copy, every page holding them.
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for chunk, part in zip(chunks, pool.imap(_score_chunk, [(c, limit, options) for c in chunks])):
                    parts.append(part)
                    done += len(chunk)
                    if progress:
                        progress(done, len(codes))
        finally:
            _SCORER = None
            gc.unfreeze()
        return parts
    for chunk in chunks:
        parts.append(scorer.score(chunk, limit, **options))
        done += len(chunk)
        if progress:
            progress(done, len(codes))
    return parts


def _closure_pairs(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs (codes) inside groups of up to CLOSURE_MAX_GROUP records joined by found pairs, not
    found themselves."""
    parent = {}

    def find(x):
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[rx] = ry
    groups: dict[int, list[int]] = {}
    for x in set(a.tolist()) | set(b.tolist()):
        groups.setdefault(find(x), []).append(x)
    found = set((a * n + b).tolist())
    extra = []
    for members in groups.values():
        if 2 < len(members) <= CLOSURE_MAX_GROUP:
            members.sort()
            for i, x in enumerate(members):
                for y in members[i + 1:]:
                    if x * n + y not in found:
                        extra.append(x * n + y)
    return np.array(sorted(extra), dtype=np.int64)
