#!/usr/bin/env python
"""Benchmark: OpenMASH person matching side by side with Splink (DuckDB backend), in one run.

Generates N people (default 1,000,000) with `openmash.people.generator.generate_population` in
memory, with the truth (which records are the same real person) kept aside, then:

(a) ours — `openmash.people.duplicates.find_duplicate_pairs(records)`: pairwise precision, recall
    and F1 against the truth (every pair of records of one real person), and the wall time, at its
    default threshold; with --ours-best also at the threshold chosen with the truth, as Splink's is;
(b) Splink 5 with DuckDB, set up carefully: cleaned columns; name comparisons with term-frequency
    adjustments; date of birth; location (postcode and address line as one comparison, so that one
    house is not counted twice); sex, NHS number and UPN; ten blocking rules (first name or surname
    + date of birth, date of birth + postcode, first name or surname + postcode, names + birth year,
    names + postcode district, swapped names, NHS number, UPN); the prior from deterministic rules,
    u by random sampling, m by expectation maximisation on two blocking rules; then `predict` at a
    low threshold. Splink's threshold is then chosen *with the truth* to maximise its F1 — an
    advantage no real deployment has. A second Splink model, its m re-estimated from the true labels
    (`estimate_m_from_label_column`, a supervised upper bound), is scored the same way;
(c) single lookups: `generate_queries` (a seed of its own) against the same N records — Splink's
    `predict_between(existing, new record)` (Splink 5's replacement of `find_matches_to_new_records`)
    and ours, median and p95 seconds per lookup, and recall@10 of the true person for both.
    Ours is, by default, `match_people` over a scratch SQLite database of the same records, loaded
    with `manage.py generate_people` as scripts/bench_people_search.py does (`--ours-search db`), or
    an in-memory lookup (`--ours-search memory`): `keys.search_keys` → the records filed under
    those keys (blocks over `SEARCH_BLOCK_LIMIT` skipped, as the search does) → `compare` → the best 10.

    scripts/bench-setup.sh                                   # installs Splink, DuckDB (requirements/bench.txt)
    .venv/bin/python scripts/bench_splink.py --count 50000   # develop small
    .venv/bin/python scripts/bench_splink.py                 # 1,000,000 people

Results go in docs/benchmarks.md. It is a benchmark, not a test: nothing fails, whatever the numbers.
Nothing here is tuned on the measuring data: the seeds default to ones no code or test uses.
"""

import argparse
import datetime as dt
import gc
import heapq
import math
import os
import platform
import re
import statistics
import tempfile
import sys
import threading
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Seeds that code, tests or earlier measurements used: a benchmark must not measure on them.
FORBIDDEN_SEEDS = {1, 5, 8, 9, 10, 11, 21, 31, 42, 43, 101, 202, 303, 777, 4242}


# ------------------------------------------------------------------ truth and scores


def true_pairs(entities: list[int]) -> set[int]:
    """Every pair (i < j) of records of one real person, each encoded as i * n + j."""
    n = len(entities)
    by_entity: dict[int, list[int]] = defaultdict(list)
    for i, e in enumerate(entities):
        by_entity[e].append(i)
    pairs = set()
    for rows in by_entity.values():
        for x in range(len(rows)):
            for y in range(x + 1, len(rows)):
                i, j = sorted((rows[x], rows[y]))
                pairs.add(i * n + j)
    return pairs


def encode(i: int, j: int, n: int) -> int:
    return min(i, j) * n + max(i, j)


def scores(predicted: set[int], truth: set[int]) -> dict:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(pairs=len(predicted), true_positives=tp, precision=precision, recall=recall, f1=f1)


def best_threshold(probabilities, is_true, total_true: int) -> dict:
    """The threshold on `probabilities` that maximises F1 against the truth (pairs at or above it
    are predicted matches); with the precision, recall and F1 there."""
    import numpy as np

    p = np.asarray(probabilities, dtype=float)
    t = np.asarray(is_true, dtype=bool)
    if len(p) == 0:
        return dict(threshold=1.0, pairs=0, true_positives=0, precision=0.0, recall=0.0, f1=0.0)
    order = np.argsort(-p, kind="stable")
    p, t = p[order], t[order]
    tp = np.cumsum(t)
    predicted = np.arange(1, len(p) + 1)
    # Only cut where the probability changes: ties are all in or all out.
    last_of_tie = np.append(p[1:] != p[:-1], True)
    precision = tp / predicted
    recall = tp / total_true if total_true else np.zeros_like(precision)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    f1 = np.where(last_of_tie, f1, -1.0)
    k = int(np.argmax(f1))
    return dict(threshold=float(p[k]), pairs=int(predicted[k]), true_positives=int(tp[k]),
                precision=float(precision[k]), recall=float(recall[k]), f1=float(f1[k]))


def at_threshold(probabilities, is_true, total_true: int, threshold: float) -> dict:
    import numpy as np

    p = np.asarray(probabilities, dtype=float)
    t = np.asarray(is_true, dtype=bool)
    keep = p >= threshold
    tp = int(t[keep].sum())
    n = int(keep.sum())
    precision = tp / n if n else 0.0
    recall = tp / total_true if total_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(threshold=threshold, pairs=n, true_positives=tp, precision=precision, recall=recall, f1=f1)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank on the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# ------------------------------------------------------------------ data for Splink


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def clean_name(value: str) -> str | None:
    """Lower case, accents and punctuation gone, hyphens and apostrophes dropped ("O'Brien-Smith"
    → "obriensmith"): the usual cleaning before Splink."""
    text = re.sub(r"[^a-z ]", "", _ascii(value or "").lower().replace("-", "").replace("'", ""))
    text = " ".join(text.split())
    return text or None


def clean_postcode(value: str) -> str | None:
    """Upper case, one space before the inward code ("se154tg" → "SE15 4TG"); a sector or district
    stays as given."""
    text = re.sub(r"[^A-Z0-9]", "", (value or "").upper())
    if not text:
        return None
    if len(text) >= 5 and re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}", text):
        return f"{text[:-3]} {text[-3:]}"
    spaced = " ".join((value or "").upper().split())
    return spaced or None


def _district(postcode: str | None) -> str | None:
    if not postcode:
        return None
    m = re.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]?", postcode)
    return m.group(0) if m else None


def _sector(postcode: str | None) -> str | None:
    if not postcode:
        return None
    m = re.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]", postcode)
    return m.group(0) if m else None


def splink_row(uid: int, record) -> dict:
    """A PersonRecord as a row for Splink: cleaned first name (the first given name), other given
    names, surname, date of birth (a date), birth year, sex, postcode, its district, address line,
    NHS number, UPN."""
    given = clean_name(record.given_name) or ""
    parts = given.split()
    postcode = clean_postcode(record.postcode)
    dob = record.date_of_birth
    return dict(
        unique_id=uid,
        first_name=parts[0] if parts else None,
        middle_names=" ".join(parts[1:]) or None,
        surname=(clean_name(record.family_name) or "").replace(" ", "") or None,
        dob=dob,
        birth_year=dob.year if dob else None,
        sex=record.sex if record.sex in ("M", "F") else None,
        postcode=postcode,
        sector=_sector(postcode),
        district=_district(postcode),
        address_line=" ".join(_ascii(record.address_line or "").lower().replace(",", " ").split()) or None,
        nhs_number=re.sub(r"\D", "", record.nhs_number or "") or None,
        upn=(record.upn or "").strip().upper() or None,
    )


def splink_frame(records: list) -> "pandas.DataFrame":  # noqa: F821
    import pandas as pd

    frame = pd.DataFrame([splink_row(i, r) for i, r in enumerate(records)])
    frame["dob"] = pd.to_datetime(frame["dob"]).dt.date
    frame["birth_year"] = frame["birth_year"].astype("Int64")
    return frame


# ------------------------------------------------------------------ Splink


def splink_settings():
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            # Postcode and address line as one comparison: they are not independent (the same
            # house implies the same postcode), and weighing them as two would count one fact twice.
            cl.CustomComparison(
                output_column_name="location",
                comparison_levels=[
                    {"sql_condition": "(postcode_l IS NULL AND address_line_l IS NULL) OR "
                                      "(postcode_r IS NULL AND address_line_r IS NULL)",
                     "label_for_charts": "not known on one record", "is_null_level": True},
                    {"sql_condition": "postcode_l = postcode_r AND address_line_l = address_line_r",
                     "label_for_charts": "same postcode and address line"},
                    {"sql_condition": "postcode_l = postcode_r AND "
                                      "jaro_winkler_similarity(address_line_l, address_line_r) >= 0.9",
                     "label_for_charts": "same postcode, address line alike"},
                    {"sql_condition": "postcode_l = postcode_r", "label_for_charts": "same postcode"},
                    {"sql_condition": "address_line_l = address_line_r", "label_for_charts": "same address line"},
                    {"sql_condition": "sector_l = sector_r", "label_for_charts": "same postcode sector"},
                    {"sql_condition": "district_l = district_r", "label_for_charts": "same postcode district"},
                    {"sql_condition": "ELSE", "label_for_charts": "different places"},
                ],
            ),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("upn"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "dob"),
            block_on("surname", "dob"),
            block_on("dob", "postcode"),
            block_on("first_name", "postcode"),
            block_on("surname", "postcode"),
            block_on("first_name", "surname", "birth_year"),
            block_on("first_name", "surname", "district"),
            "l.first_name = r.surname and l.surname = r.first_name",  # given and family names swapped
            block_on("nhs_number"),
            block_on("upn"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


class Timeout(Exception):
    pass


class Watchdog:
    """Interrupts DuckDB's running query once `seconds` have passed (a Python signal would wait
    for the query to return); `check()` then turns the interrupted query's error into `Timeout`."""

    def __init__(self, connection, seconds: int):
        self.connection, self.seconds, self.fired = connection, seconds, False
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True

    def _fire(self):
        self.fired = True
        self.connection.interrupt()

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.timer.cancel()
        if self.fired:
            raise Timeout(f"gave up after {self.seconds} s (--splink-timeout)") from exc
        return False


def train_splink(db_api, frame, *, seed: int, u_pairs: float):
    """A Splink linker over `frame`, trained: prior from deterministic rules, u by random sampling,
    m by EM on first name + surname and on date of birth (each trains the comparisons its blocking
    rule does not fix)."""
    from splink import Linker, block_on

    sdf = db_api.register(frame, dataset_display_name="people")
    linker = Linker(sdf, splink_settings(), log_level=os.environ.get("SPLINK_LOG_LEVEL", "WARNING"))
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("nhs_number")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    return db_api, sdf, linker


def _evaluate(pairs, n: int, truth: set[int]) -> dict:
    """Splink's scored pairs against the truth: the best F1 over every threshold on the match weight
    (finer than the probability, which rounds to 1.0 for strong pairs), and at probability 0.5 / 0.9."""
    import numpy as np

    left = pairs["unique_id_l"].to_numpy().astype("int64")
    right = pairs["unique_id_r"].to_numpy().astype("int64")
    codes = np.minimum(left, right) * n + np.maximum(left, right)
    is_true = np.fromiter((int(c) in truth for c in codes), dtype=bool, count=len(codes))
    best = best_threshold(pairs["match_weight"].to_numpy(), is_true, len(truth))
    best["threshold_probability"] = 1.0 / (1.0 + 2.0 ** -best["threshold"])
    return dict(
        candidate_pairs=len(pairs),
        best=best,
        at_0_5=at_threshold(pairs["match_probability"].to_numpy(), is_true, len(truth), 0.5),
        at_0_9=at_threshold(pairs["match_probability"].to_numpy(), is_true, len(truth), 0.9),
    )


def run_splink(db_api, records, entities: list[int], truth: set[int], args) -> dict:
    """Splink trained unsupervised (prior, u by sampling, m by EM), predicted and scored; then, with
    `--splink-labels`, m re-estimated from the true labels (a supervised upper bound no deployment
    has) and predicted and scored again. Timings: preparing the frame, training, predicting."""
    n = len(records)
    t0 = time.perf_counter()
    frame = splink_frame(records)
    frame["true_entity"] = entities  # read only by estimate_m_from_label_column, never compared
    t_frame = time.perf_counter()
    db_api, sdf, linker = train_splink(db_api, frame, seed=args.seed, u_pairs=args.splink_u_pairs)
    t_train = time.perf_counter()
    columns = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    pairs = linker.inference.predict(threshold_match_probability=args.splink_floor).as_pandas_dataframe()[columns]
    t_predict = time.perf_counter()
    out = dict(
        floor=args.splink_floor,
        seconds_prepare=t_frame - t0,
        seconds_train=t_train - t_frame,
        seconds_predict=t_predict - t_train,
        seconds_total=t_predict - t0,
        em=_evaluate(pairs, n, truth),
    )
    del pairs
    gc.collect()
    if args.splink_labels:
        t = time.perf_counter()
        linker.training.estimate_m_from_label_column("true_entity")
        pairs = linker.inference.predict(threshold_match_probability=args.splink_floor).as_pandas_dataframe()[columns]
        out["labels"] = _evaluate(pairs, n, truth)
        out["labels"]["seconds"] = time.perf_counter() - t
        del pairs
        gc.collect()
    out["_linker"] = (db_api, sdf, linker)
    return out


def splink_lookups(linker_parts, queries, entities: list[int], *, limit: int = 10) -> dict:
    """Each query as a new one-row table, matched against every record with `predict_between`
    (the trained model, its blocking rules, term frequencies computed over the N records)."""
    db_api, sdf, linker = linker_parts
    for column in ("first_name", "surname"):
        linker.table_management.compute_tf_table(column)

    def one(uid: int, query):
        row = splink_frame([query])
        row["unique_id"] = uid
        new = db_api.register(row)
        result = linker.inference.predict_between(sdf, new, warning_mode="never").as_pandas_dataframe()
        new.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        if len(result) == 0:
            return []
        result = result.sort_values("match_probability", ascending=False).head(limit)
        other = [int(l if r == uid else r) for l, r in zip(result["unique_id_l"], result["unique_id_r"])]
        return other

    warm = len(entities) + 10_000_000
    one(warm, queries[0][0])  # the first call compiles and caches; not timed
    times, found = [], 0
    for k, (query, entity, _errors) in enumerate(queries):
        t = time.perf_counter()
        ids = one(len(entities) + 1 + k, query)
        times.append(time.perf_counter() - t)
        found += any(entities[i] == entity for i in ids)
    return dict(queries=len(queries), median=statistics.median(times), p95=percentile(times, 95),
                max=max(times), recall_at_10=found / len(queries))


# ------------------------------------------------------------------ ours


def run_ours(records, truth: set[int], *, best: bool = False) -> dict:
    """find_duplicate_pairs at its default threshold, scored and timed; with `best`, run again at each
    threshold of OURS_GRID and the one that maximises F1 against the truth kept, as Splink's is (a
    grid of whole runs, not one sweep: the finder's closure step depends on its threshold)."""
    from openmash.people.duplicates import find_duplicate_pairs

    n = len(records)
    gc.collect()
    t = time.perf_counter()
    found = find_duplicate_pairs(records)
    seconds = time.perf_counter() - t
    predicted = {encode(i, j, n) for i, j, _p in found}
    out = dict(seconds_total=seconds, **scores(predicted, truth))
    if best:
        del found, predicted
        t = time.perf_counter()
        grid = []
        for threshold in OURS_GRID:
            gc.collect()
            got = {encode(i, j, n) for i, j, _p in find_duplicate_pairs(records, threshold=threshold)}
            grid.append(dict(threshold=threshold, **scores(got, truth)))
        out["best_seconds"] = time.perf_counter() - t
        out["best"] = max(grid, key=lambda r: r["f1"])
    return out


# Thresholds tried for ours at its best (each a whole run of the duplicate finder).
OURS_GRID = (0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


class MemoryIndex:
    """The search in memory: every record filed under its blocking keys, queried with search_keys."""

    def __init__(self, records):
        from openmash.people.matching.compare import prepare
        from openmash.people.matching.keys import blocking_keys

        self.prepared = []
        self.blocks: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            p = prepare(r)
            self.prepared.append(p)
            for key in blocking_keys(p):
                self.blocks[key].append(i)

    def search(self, query, limit: int = 10) -> list[int]:
        from openmash.people.matching.compare import compare, prepare
        from openmash.people.matching.keys import SEARCH_BLOCK_LIMIT, search_keys

        q = prepare(query)
        ids: set[int] = set()
        for key in search_keys(q):
            block = self.blocks.get(key)
            if block and len(block) <= SEARCH_BLOCK_LIMIT:
                ids.update(block)
        scored = [(compare(q, self.prepared[i]).score, i) for i in ids]
        return [i for _s, i in heapq.nlargest(limit, scored)]


def ours_lookups_memory(records, queries, entities: list[int]) -> dict:
    t = time.perf_counter()
    index = MemoryIndex(records)
    build = time.perf_counter() - t
    index.search(queries[0][0])  # warm the caches once, as Splink's first call is
    times, found = [], 0
    for query, entity, _errors in queries:
        t = time.perf_counter()
        ids = index.search(query)
        times.append(time.perf_counter() - t)
        found += any(entities[i] == entity for i in ids)
    return dict(how="in memory: keys.search_keys → blocks (≤ SEARCH_BLOCK_LIMIT) → compare → best 10",
                index_seconds=build, queries=len(queries), median=statistics.median(times),
                p95=percentile(times, 95), max=max(times), recall_at_10=found / len(queries))


def ours_lookups_db(args, generated, queries) -> dict:
    """match_people over a scratch SQLite database holding the same records (the real search path:
    PersonKey index, candidates, scoring, households, the audit write), loaded with
    `manage.py generate_people` with the same count and seed — the same records in the same order.
    With --data-dir the database is kept there and reused by the next run with the same count and
    seed; without it, it lives in a temporary directory removed at the end."""
    tmp = None
    if args.data_dir:
        data_dir = Path(args.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="openmash-bench-splink-")
        data_dir = Path(tmp.name)
    marker = data_dir / "loading"
    if not args.prepare_db and marker.exists():
        print(f"ours: waiting for the scratch database in {data_dir} to finish loading …", flush=True)
        while marker.exists():
            time.sleep(5)
    os.environ["OPENMASH_VAR_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "openmash.config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = ""
    truth = data_dir / f"truth-{len(generated)}-{args.seed}.csv"

    import django

    django.setup()
    from django.core.management import call_command

    from openmash.accounts.models import User
    from openmash.core.demo import ensure_agencies_and_users
    from openmash.people.generator import generate_queries, read_truth
    from openmash.people.models import Person
    from openmash.people.search import match_people
    from openmash.people.selectors import SearchCriteria

    try:
        t = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        ensure_agencies_and_users()
        people = Person.objects.count()
        reused = people == len(generated) and truth.exists()
        if not reused:
            if people:
                raise RuntimeError(f"the scratch database in {data_dir} holds other people: use another --data-dir")
            call_command("generate_people", "--count", str(len(generated)), "--seed", str(args.seed), "--truth", str(truth))
        load_seconds = time.perf_counter() - t
        entity_of = {int(r["person_id"]): int(r["entity_id"]) for r in read_truth(truth)}
        user = User.objects.get(username="practitioner")

        def criteria(q):
            return SearchCriteria(
                given_name=q.given_name, family_name=q.family_name, date_of_birth=q.date_of_birth,
                sex=q.sex if q.sex in ("M", "F") else "", postcode=q.postcode, address_line=q.address_line,
                nhs_number=q.nhs_number, upn=q.upn, other_names=[f"{g} {f}".strip() for g, f in q.other_names],
            )

        # Warm-up queries from another seed, not measured (caches, SQLite pages).
        for q, _e, _errors in generate_queries(generated, 20, args.query_seed + 1):
            match_people(user=user, criteria=criteria(q), limit=10, audit_context="benchmark warm-up")
        times, found = [], 0
        for q, entity, _errors in queries:
            c = criteria(q)
            t = time.perf_counter()
            results = match_people(user=user, criteria=c, limit=10, audit_context="benchmark")
            times.append(time.perf_counter() - t)
            found += any(entity_of.get(r.person.pk) == entity for r in results)
    finally:
        if tmp is not None:
            from django.db import connections

            connections.close_all()
            tmp.cleanup()
    return dict(how=f"match_people over a scratch SQLite database ({'reused' if reused else 'loaded'} in {load_seconds:.0f} s)",
                queries=len(queries), median=statistics.median(times), p95=percentile(times, 95), max=max(times),
                recall_at_10=found / len(queries))


# ------------------------------------------------------------------ the run


def _fmt(s: dict) -> str:
    return (f"precision {s['precision']:.4f}  recall {s['recall']:.4f}  F1 {s['f1']:.4f}  "
            f"({s['true_positives']:,} of {s['pairs']:,} predicted pairs true)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="people records to generate (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=8101, help="population seed (default 8101)")
    parser.add_argument("--query-seed", type=int, default=9101, help="seed of the lookup queries (default 9101)")
    parser.add_argument("--queries", type=int, default=50, help="single lookups to time (default 50)")
    parser.add_argument("--skip-ours", action="store_true", help="do not run OpenMASH's duplicate finder")
    parser.add_argument("--skip-splink", action="store_true", help="do not run Splink")
    parser.add_argument("--ours-best", action="store_true",
                        help="also run ours at each threshold of a grid and keep the best F1 against the truth")
    parser.add_argument("--skip-lookups", action="store_true", help="do not time single lookups")
    parser.add_argument("--ours-search", choices=("db", "memory"), default="db",
                        help="our single lookup: match_people over a scratch SQLite database (default), or in memory")
    parser.add_argument("--data-dir", default="",
                        help="keep the scratch SQLite database here and reuse it on the next run (default: a temporary directory)")
    parser.add_argument("--splink-timeout", type=int, default=1800,
                        help="give up on Splink's training and prediction after this many seconds (default 1800)")
    parser.add_argument("--splink-floor", type=float, default=0.01,
                        help="Splink predicts pairs at or above this probability; its best threshold is searched above it")
    parser.add_argument("--no-splink-labels", dest="splink_labels", action="store_false",
                        help="skip the second Splink model whose m comes from the true labels")
    parser.add_argument("--splink-u-pairs", type=float, default=1e7,
                        help="max_pairs for Splink's u estimation by random sampling (default 1e7)")
    parser.add_argument("--prepare-db", action="store_true",
                        help="only load the scratch database into --data-dir (for a later run to reuse) and stop")
    args = parser.parse_args(argv)
    if args.prepare_db and not args.data_dir:
        parser.error("--prepare-db needs --data-dir")
    for seed in (args.seed, args.query_seed):
        if seed in FORBIDDEN_SEEDS:
            parser.error(f"seed {seed} has been used by code, tests or an earlier measurement: pick another")
    if args.seed == args.query_seed:
        parser.error("--query-seed must differ from --seed")

    from openmash.people.generator import generate_population, generate_queries

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    t = time.perf_counter()
    generated = generate_population(args.count, args.seed)
    records = [g.record for g in generated]
    entities = [g.entity for g in generated]
    truth = true_pairs(entities)
    print(f"generated {len(records):,} records (seed {args.seed}) of {len(set(entities)):,} people in "
          f"{time.perf_counter() - t:.1f} s; {len(truth):,} true duplicate pairs")

    if args.prepare_db:
        marker = Path(args.data_dir) / "loading"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()  # a run started meanwhile with the same --data-dir waits for it to go
        try:
            result = ours_lookups_db(args, generated, generate_queries(generated, 1, args.query_seed))
        finally:
            marker.unlink(missing_ok=True)
        print(f"scratch database ready in {args.data_dir}: {result['how']}")
        return 0

    ours = splink = None
    if not args.skip_ours:
        print("ours: find_duplicate_pairs …", flush=True)
        ours = run_ours(records, truth, best=args.ours_best)
        print(f"ours:   default threshold: {_fmt(ours)}  in {ours['seconds_total']:.1f} s")
        if "best" in ours:
            print(f"ours:   best threshold, probability {ours['best']['threshold']:.4g}: {_fmt(ours['best'])} "
                  f"(best of {len(OURS_GRID)} runs at thresholds {', '.join(map(str, OURS_GRID))}: {ours['best_seconds']:.1f} s)")

    if not args.skip_splink:
        import splink
        import duckdb

        from splink import DuckDBAPI

        print(f"splink {splink.__version__}, duckdb {duckdb.__version__}: training and predicting …", flush=True)
        db_api = DuckDBAPI()
        try:
            with Watchdog(db_api.duckdb_con, args.splink_timeout):
                splink = run_splink(db_api, records, entities, truth, args)
        except Timeout as exc:
            print(f"splink: {exc}; no Splink numbers from this run")
            splink = None
        if splink:
            for name, label in (("em", "EM (unsupervised)"), ("labels", "m from the true labels")):
                if name not in splink:
                    continue
                r = splink[name]
                b = r["best"]
                print(f"splink {label}: best threshold, match weight {b['threshold']:.2f} "
                      f"(probability {b['threshold_probability']:.6f}): {_fmt(b)}")
                print(f"splink {label}: at probability 0.5: {_fmt(r['at_0_5'])}")
                print(f"splink {label}: at probability 0.9: {_fmt(r['at_0_9'])}")
                print(f"splink {label}: {r['candidate_pairs']:,} scored pairs at probability ≥ {splink['floor']}")
            print(f"splink: {splink['seconds_total']:.1f} s (prepare {splink['seconds_prepare']:.1f}, "
                  f"train {splink['seconds_train']:.1f}, predict {splink['seconds_predict']:.1f})"
                  + (f"; m from labels and predicting again {splink['labels']['seconds']:.1f} s" if "labels" in splink else ""))

    ours_lookup = splink_lookup = None
    if not args.skip_lookups and args.queries > 0:
        queries = generate_queries(generated, args.queries, args.query_seed)
        if splink:
            print(f"splink: {len(queries)} single lookups …", flush=True)
            try:
                with Watchdog(db_api.duckdb_con, args.splink_timeout):
                    splink_lookup = splink_lookups(splink["_linker"], queries, entities)
            except Timeout as exc:
                print(f"splink lookups: {exc}")
            if splink_lookup:
                print(f"splink: lookup median {splink_lookup['median'] * 1000:.1f} ms, p95 {splink_lookup['p95'] * 1000:.1f} ms, "
                      f"max {splink_lookup['max'] * 1000:.1f} ms; recall@10 {splink_lookup['recall_at_10']:.3f}")
        if splink:
            splink.pop("_linker", None)
            gc.collect()
        print(f"ours: {len(queries)} single lookups ({args.ours_search}) …", flush=True)
        if args.ours_search == "db":
            ours_lookup = ours_lookups_db(args, generated, queries)
        else:
            ours_lookup = ours_lookups_memory(records, queries, entities)
        print(f"ours:   lookup median {ours_lookup['median'] * 1000:.1f} ms, p95 {ours_lookup['p95'] * 1000:.1f} ms, "
                  f"max {ours_lookup['max'] * 1000:.1f} ms; recall@10 {ours_lookup['recall_at_10']:.3f} — {ours_lookup['how']}")

    if ours and splink:
        for name, label in (("em", "EM (unsupervised)"), ("labels", "m from the true labels")):
            if name in splink and splink[name]["best"]["f1"]:
                print(f"ratio F1 ours (default threshold) / Splink {label} at its best threshold: "
                      f"{ours['f1'] / splink[name]['best']['f1']:.3f}")
                if "best" in ours:
                    print(f"ratio F1 ours / Splink {label}, both at their best thresholds: "
                          f"{ours['best']['f1'] / splink[name]['best']['f1']:.3f}")
        print(f"ratio batch time ours / Splink (train + predict): {ours['seconds_total'] / splink['seconds_total']:.3f}")
    if ours_lookup and splink_lookup:
        print(f"ratio single lookup p95 ours / Splink: {ours_lookup['p95'] / splink_lookup['p95']:.4f}; "
              f"median: {ours_lookup['median'] / splink_lookup['median']:.4f}")
    print(f"load average at end {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[2]:.1f} (15 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
