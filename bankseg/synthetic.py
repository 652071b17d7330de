"""Synthetic ``bank_transactions.csv`` in the exact format of the public Kaggle file.

The public Kaggle file "Bank Customer Segmentation (1M+ Transactions)" cannot be downloaded on
the build machines, so the project generates stand-in data with the same schema, value formats,
distributions and dirt. The calibration targets, figures of the public Kaggle file, live in
``bankseg.synthetic_calibration``; this module holds the logic. Formats of dates, times and
decimals follow the real file's first 7,000 rows. Counts are given for the full file of 1,048,567
rows and are scaled in proportion to the requested number of rows.

How the data is built
- Customers first. The number of customers with 2..6 transactions is scaled from the real file;
  the rest have one transaction, which reproduces both the customers-per-row ratio (0.8433) and
  the 84.6% share of one-transaction customers. The customers are shuffled once (a small int8
  array) and then consumed in chunks of about ``CHUNK_ROWS`` rows; all transactions of a customer
  land in the same chunk, so a customer keeps its birth date, gender and location everywhere.
- Each chunk has its own random stream derived from ``(seed, chunk number)`` and the chunk layout
  depends only on the row count, so the output is byte-identical for the same ``(rows, seed)``
  and memory stays bounded by the chunk size whatever the row count.
- CustomerIDs are an affine permutation of the customer index (``C`` + 7 digits, more only when
  the customers cannot fit), so they look scattered but never collide.
- Rows are shuffled inside each chunk, so the file is not sorted by date or customer.

Known simplification: in the real file a CustomerID that appears twice often carries two
different birth dates, genders or locations (the IDs collide); here a customer is one person.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bankseg import synthetic_calibration as calibration

DEFAULT_ROWS = calibration.REAL_ROWS
HEADER = (
    "TransactionID,CustomerID,CustomerDOB,CustGender,CustLocation,CustAccountBalance,"
    "TransactionDate,TransactionTime,TransactionAmount (INR)"
)

# Output layout.
CHUNK_ROWS = 200_000
CUSTOMER_ID_DIGITS = 7
CUSTOMER_ID_MULTIPLIER = 4_256_233  # not divisible by 2, 3 or 5: coprime with 9 * 10**k
DOB_SENTINEL_TEXT = "1/1/1800"
DOB_MISSING_TEXT = "nan"


# ---------------------------------------------------------------------------------------------
# Counts and lookup tables derived from the targets.
# ---------------------------------------------------------------------------------------------
def _scaled(real_count: float, rows: int) -> float:
    """A count of the real file scaled to ``rows`` rows."""
    return real_count * rows / calibration.REAL_ROWS


def transactions_per_customer(rows: int) -> dict[int, int]:
    """How many customers have 1, 2, .. 6 transactions in a file of ``rows`` rows.

    Customers with two or more transactions are scaled from the real file; one-transaction
    customers fill the remaining rows, so the counts always add up to exactly ``rows``.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    counts: dict[int, int] = {}
    rows_left = rows
    for size in sorted(calibration.CUSTOMERS_WITH_TRANSACTIONS, reverse=True):
        customers = min(round(_scaled(calibration.CUSTOMERS_WITH_TRANSACTIONS[size], rows)), rows_left // size)
        counts[size] = customers
        rows_left -= customers * size
    counts[1] = rows_left
    return dict(sorted(counts.items()))


def customer_id_digits(customers: int) -> int:
    """Seven digits (C1000000..C9999999) unless the customers cannot fit in them."""
    digits = CUSTOMER_ID_DIGITS
    while 9 * 10 ** (digits - 1) < customers:
        digits += 1
    return digits


def _date_text(day: dt.date, four_digit_year: bool = False) -> str:
    year = f"{day.year}" if four_digit_year else f"{day.year % 100:02d}"
    return f"{day.day}/{day.month}/{year}"


@functools.cache
def _transaction_dates() -> tuple[tuple[dt.date, ...], np.ndarray]:
    """The 55 transaction dates and the probability of each."""
    dates, probabilities = [], []
    for month, days in calibration.TRANSACTION_DAYS.items():
        for day in days:
            if month == 10:
                day_share = calibration.OCTOBER_DAY_WEIGHTS[day]
            else:
                day_share = 1 / len(days)
            dates.append(dt.date(calibration.TRANSACTION_YEAR, month, day))
            probabilities.append(calibration.MONTH_SHARES[month] * day_share)
    probabilities = np.array(probabilities)
    return tuple(dates), probabilities / probabilities.sum()


@functools.cache
def _birth_date_table() -> tuple[dt.date, np.ndarray, np.ndarray]:
    """Every possible birth date as text, two-digit and four-digit year, indexed by day number."""
    oldest_age, youngest_age = calibration.AGE_LIMITS[1], calibration.AGE_LIMITS[0]
    first = calibration.AGE_REFERENCE_DATE - dt.timedelta(days=math.ceil(oldest_age * 365.25) + 1)
    last = calibration.AGE_REFERENCE_DATE - dt.timedelta(days=math.floor(youngest_age * 365.25) - 1)
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    two_digit = np.array([_date_text(day) for day in days], dtype=object)
    four_digit = np.array([_date_text(day, four_digit_year=True) for day in days], dtype=object)
    return first, two_digit, four_digit


# Fractional part of a decimal in paise (0..99) as written by the real file: "", ".5", ".05".
_PAISE_TEXT = np.array([""] + [f".{paise:02d}".rstrip("0") for paise in range(1, 100)], dtype=object)


def _add_location(weights: dict[str, float], text: str, share: float) -> None:
    weights[text] = weights.get(text, 0.0) + share


def _expand(template: str, city: str, numbers: range) -> list[str]:
    """Every text a template can produce for a city."""
    localities = calibration.LOCALITIES_BY_CITY[city] if "{locality}" in template else ("",)
    landmarks = calibration.LANDMARKS if "{landmark}" in template else ("",)
    numbers = numbers if "{number}" in template else (0,)
    return [
        template.format(city=city, locality=locality, landmark=landmark, number=number)
        for locality in localities
        for landmark in landmarks
        for number in numbers
    ]


def _address_forms(city: str) -> dict[str, float]:
    """Every street-address form of a city, each with its share of the city's addresses."""
    templates = dict(calibration.ADDRESS_TEMPLATES)
    if city in calibration.SECTOR_ADDRESSES:
        templates = {template: share * (1 - calibration.SECTOR_ADDRESS_SHARE) for template, share in templates.items()}
    forms: dict[str, float] = {}
    for template, template_share in templates.items():
        expansions = _expand(template, city, range(1, calibration.HOUSE_NUMBERS + 1))
        for text in expansions:
            _add_location(forms, text, template_share / len(expansions))
    if city in calibration.SECTOR_ADDRESSES:
        expansions = _expand(calibration.SECTOR_ADDRESSES[city], city, range(1, calibration.SECTOR_NUMBERS + 1))
        for text in expansions:
            _add_location(forms, text, calibration.SECTOR_ADDRESS_SHARE / len(expansions))
    return forms


@functools.cache
def location_table() -> tuple[np.ndarray, np.ndarray]:
    """All location strings and the share of customers written with each (summing to 1)."""
    weights: dict[str, float] = {}
    for city, percent in calibration.CITY_SHARES.items():
        share = percent / 100
        plain_share = share
        if city in calibration.LOCALITIES_BY_CITY:
            for text, form_share in _address_forms(city).items():
                _add_location(weights, text, share * calibration.ADDRESS_SHARE * form_share)
            plain_share -= share * calibration.ADDRESS_SHARE
        if city in calibration.PIN_CODES_BY_CITY:
            prefix, highest = calibration.PIN_CODES_BY_CITY[city]
            for suffix in range(1, highest + 1):
                _add_location(weights, f"{prefix}{suffix:03d}", share * calibration.PIN_CODE_SHARE / highest)
            plain_share -= share * calibration.PIN_CODE_SHARE
        if city in calibration.OTHER_SPELLINGS:
            spellings = calibration.OTHER_SPELLINGS[city]
            for text in spellings:
                _add_location(weights, text, share * calibration.OTHER_SPELLING_SHARE / len(spellings))
            plain_share -= share * calibration.OTHER_SPELLING_SHARE
        _add_location(weights, city, plain_share)

    comma_share = calibration.QUOTED_LOCATION_ROWS / calibration.REAL_ROWS
    for text in calibration.COMMA_LOCATIONS:
        _add_location(weights, text, comma_share / len(calibration.COMMA_LOCATIONS))

    town_share = 1.0 - sum(weights.values())
    town_weights = 1.0 / (np.arange(len(calibration.TOWNS)) + calibration.TOWN_ZIPF_OFFSET)
    for town, weight in zip(calibration.TOWNS, town_weights / town_weights.sum()):
        _add_location(weights, town, town_share * weight)

    texts = np.array(list(weights), dtype=object)
    shares = np.array(list(weights.values()))
    return texts, shares / shares.sum()


# ---------------------------------------------------------------------------------------------
# Generation.
# ---------------------------------------------------------------------------------------------
def _draw_ages(rng: np.random.Generator, size: int) -> np.ndarray:
    """Customer ages in years at calibration.AGE_REFERENCE_DATE (see the AGE_* targets)."""
    ages = calibration.AGE_CORE_MEDIAN * np.exp(calibration.AGE_CORE_LOG_SIGMA * rng.standard_normal(size))
    group = rng.random(size)
    older = group < calibration.AGE_OLDER_SHARE
    ages[older] = rng.normal(calibration.AGE_OLDER_MEAN, calibration.AGE_OLDER_SD, older.sum())
    minor = (group >= calibration.AGE_OLDER_SHARE) & (group < calibration.AGE_OLDER_SHARE + calibration.AGE_MINOR_SHARE)
    ages[minor] = rng.uniform(*calibration.AGE_MINOR_RANGE, minor.sum())
    very_old_start = calibration.AGE_OLDER_SHARE + calibration.AGE_MINOR_SHARE
    very_old = (group >= very_old_start) & (group < very_old_start + calibration.AGE_VERY_OLD_SHARE)
    ages[very_old] = rng.uniform(*calibration.AGE_VERY_OLD_RANGE, very_old.sum())
    return np.clip(ages, *calibration.AGE_LIMITS)


def _birth_date_texts(rng: np.random.Generator, size: int, four_digit_year_share: float) -> np.ndarray:
    """CustomerDOB text per customer, with the file's sentinel and missing markers."""
    first_day, two_digit, four_digit = _birth_date_table()
    reference_day_number = (calibration.AGE_REFERENCE_DATE - first_day).days
    day_numbers = reference_day_number - np.round(_draw_ages(rng, size) * 365.25).astype(np.int64)
    # Some birth dates are a default 1 January of the birth year.
    january_first = rng.random(size) < calibration.JANUARY_FIRST_DOB_SHARE
    years = (np.datetime64(first_day, "D") + day_numbers).astype("datetime64[Y]")
    year_start_numbers = (years.astype("datetime64[D]") - np.datetime64(first_day, "D")).astype(np.int64)
    day_numbers = np.where(january_first & (year_start_numbers >= 0), year_start_numbers, day_numbers)

    texts = two_digit[day_numbers]
    if four_digit_year_share > 0:
        four_digit_year = rng.random(size) < four_digit_year_share
        texts = np.where(four_digit_year, four_digit[day_numbers], texts)
    marker = rng.random(size)
    sentinel_share = calibration.DOB_SENTINEL_ROWS / calibration.REAL_ROWS
    missing_share = calibration.DOB_MISSING_ROWS / calibration.REAL_ROWS
    texts = np.where(marker < sentinel_share, DOB_SENTINEL_TEXT, texts)
    return np.where(
        (marker >= sentinel_share) & (marker < sentinel_share + missing_share), DOB_MISSING_TEXT, texts
    )


def _decimal_texts(paise: np.ndarray) -> np.ndarray:
    """Amounts in paise written like the real file: 25, 1762.5, 17819.05."""
    return (paise // 100).astype(str).astype(object) + _PAISE_TEXT[paise % 100]


def _draw_amount_paise(rng: np.random.Generator, log_shift: np.ndarray) -> np.ndarray:
    size = len(log_shift)
    log_amount = rng.normal(calibration.AMOUNT_LOG_MEDIAN, calibration.AMOUNT_LOG_SIGMA, size)
    large = rng.random(size) < calibration.LARGE_PAYMENT_SHARE
    log_amount[large] = rng.normal(calibration.LARGE_PAYMENT_LOG_MEDIAN, calibration.LARGE_PAYMENT_LOG_SIGMA, large.sum())
    rupees = np.exp(log_amount + log_shift)

    whole = rng.random(size) < calibration.WHOLE_RUPEE_AMOUNT_SHARE
    whole_rupees = np.maximum(np.round(rupees), 1.0)
    # People pay round sums: 100, 500, 2000 rather than 113, 487, 2130.
    round_number = whole & (rng.random(size) < calibration.ROUND_NUMBER_AMOUNT_SHARE)
    magnitude = 10.0 ** np.floor(np.log10(whole_rupees))
    whole_rupees = np.where(round_number, np.round(whole_rupees / magnitude) * magnitude, whole_rupees)

    paise = np.where(whole, whole_rupees * 100, np.maximum(np.round(rupees * 100), 1)).astype(np.int64)
    half_rupee = ~whole & (rng.random(size) < calibration.HALF_RUPEE_SHARE)
    paise = np.where(half_rupee, paise // 100 * 100 + 50, paise)
    return np.where(rng.random(size) < calibration.ZERO_AMOUNT_SHARE, 0, paise)


def _draw_customer_log_balances(rng: np.random.Generator, size: int) -> np.ndarray:
    log_balance = rng.normal(calibration.BALANCE_LOG_MEDIAN, calibration.BALANCE_LOG_SIGMA, size)
    group = rng.random(size)
    nearly_empty = group < calibration.NEARLY_EMPTY_ACCOUNT_SHARE
    low, high = np.log(calibration.NEARLY_EMPTY_BALANCE_RANGE)
    log_balance[nearly_empty] = rng.uniform(low, high, nearly_empty.sum())
    rich = (group >= calibration.NEARLY_EMPTY_ACCOUNT_SHARE) & (group < calibration.NEARLY_EMPTY_ACCOUNT_SHARE + calibration.RICH_CUSTOMER_SHARE)
    log_balance[rich] = rng.normal(calibration.RICH_BALANCE_LOG_MEDIAN, calibration.RICH_BALANCE_LOG_SIGMA, rich.sum())
    return log_balance


def _transaction_times(rng: np.random.Generator, size: int) -> np.ndarray:
    """TransactionTime as the integer HHMMSS (84706 = 08:47:06)."""
    hour_probabilities = np.array(calibration.HOUR_WEIGHTS) / sum(calibration.HOUR_WEIGHTS)
    hours = rng.choice(24, size=size, p=hour_probabilities)
    return hours * 10_000 + rng.integers(0, 60, size) * 100 + rng.integers(0, 60, size)


class _Plan:
    """Which customers exist, how many transactions each has, and how they split into chunks.

    Depends only on (rows, seed). ``transaction_counts`` is one int8 per customer: 8 MB for
    ten million rows, the only state that grows with the row count.
    """

    def __init__(self, rows: int, seed: int):
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        self.seed = seed
        counts = transactions_per_customer(rows)
        self.customers = sum(counts.values())
        transaction_counts = np.repeat(
            np.array(list(counts), dtype=np.int8), np.array(list(counts.values()))
        )
        layout_rng = np.random.default_rng([seed, 0])
        layout_rng.shuffle(transaction_counts)
        self.transaction_counts = transaction_counts

        self.id_digits = customer_id_digits(self.customers)
        self.id_range = 9 * 10 ** (self.id_digits - 1)
        self.id_offset = int(layout_rng.integers(self.id_range))
        # One row per million has gender "T" (at least one in a file of the real size): spread
        # evenly over the customers so that every chunk layout finds them by index.
        t_customers = round(_scaled(calibration.GENDER_T_ROWS, rows))
        self.gender_t_customers = (
            (np.arange(t_customers) + 0.5) * self.customers / max(t_customers, 1)
        ).astype(np.int64)

    def customer_ids(self, customer_indexes: np.ndarray) -> np.ndarray:
        """``C`` + digits: an affine permutation of the index, so distinct and scattered."""
        multiplier = CUSTOMER_ID_MULTIPLIER % self.id_range
        permuted = (customer_indexes * multiplier + self.id_offset) % self.id_range
        numbers = 10 ** (self.id_digits - 1) + permuted
        return "C" + numbers.astype(str).astype(object)

    def chunks(self) -> Iterator[tuple[int, int, int, np.ndarray]]:
        """(chunk number, first row, first customer, transaction counts) of each chunk."""
        first_row, first_customer, number = 0, 0, 0
        while first_customer < self.customers:
            # Every customer has at least one row, so CHUNK_ROWS customers always fill a chunk.
            window = self.transaction_counts[first_customer : first_customer + CHUNK_ROWS]
            rows_so_far = np.cumsum(window, dtype=np.int64)
            customers_in_chunk = int(np.searchsorted(rows_so_far, CHUNK_ROWS)) + 1
            customers_in_chunk = min(customers_in_chunk, len(window))
            counts = window[:customers_in_chunk]
            yield number, first_row, first_customer, counts
            first_row += int(rows_so_far[customers_in_chunk - 1])
            first_customer += customers_in_chunk
            number += 1

    def frames(self, four_digit_year_share: float, delivery: Delivery | None = None) -> Iterator[pd.DataFrame]:
        for chunk_number, first_row, first_customer, counts in self.chunks():
            yield _chunk_frame(self, chunk_number, first_row, first_customer, counts, four_digit_year_share, delivery or Delivery())


@dataclass(frozen=True)
class Delivery:
    """What sets one delivery apart from the Kaggle file: a single transaction date for every row (a
    day's extract), and TransactionIDs that start after those of earlier deliveries."""

    transaction_date: dt.date | None = None
    first_transaction_id: int = 1


def _chunk_frame(
    plan: _Plan, chunk_number: int, first_row: int, first_customer: int, counts: np.ndarray,
    four_digit_year_share: float, delivery: Delivery,
) -> pd.DataFrame:
    """The rows of one chunk as output text, in file order."""
    rng = np.random.default_rng([plan.seed, 1, chunk_number])
    customers = len(counts)
    rows = int(counts.sum(dtype=np.int64))

    # Per customer: fixed across all of the customer's transactions.
    customer_indexes = first_customer + np.arange(customers, dtype=np.int64)
    customer_ids = plan.customer_ids(customer_indexes)
    birth_dates = _birth_date_texts(rng, customers, four_digit_year_share)

    gender_draw = rng.random(customers)
    known_gender_share = 1 - calibration.GENDER_MISSING_ROWS / calibration.REAL_ROWS
    male_share = calibration.GENDER_MALE_ROWS / (calibration.GENDER_MALE_ROWS + calibration.GENDER_FEMALE_ROWS) * known_gender_share
    genders = np.where(gender_draw < male_share, "M", np.where(gender_draw < known_gender_share, "F", ""))
    genders = genders.astype(object)
    genders[np.isin(customer_indexes, plan.gender_t_customers)] = "T"

    location_texts, location_shares = location_table()
    locations = location_texts[rng.choice(len(location_texts), size=customers, p=location_shares)]
    locations = np.where(rng.random(customers) < calibration.LOCATION_MISSING_ROWS / calibration.REAL_ROWS, "", locations)
    customer_log_balances = _draw_customer_log_balances(rng, customers)

    # Per transaction: the customer's rows are spread over the chunk in random order.
    row_customers = np.repeat(np.arange(customers), counts)[rng.permutation(rows)]
    dates, date_probabilities = _transaction_dates()
    date_texts = np.array([_date_text(day) for day in dates], dtype=object)
    date_numbers = rng.choice(len(dates), size=rows, p=date_probabilities)
    row_dates = date_texts[date_numbers] if delivery.transaction_date is None else np.full(rows, _date_text(delivery.transaction_date), dtype=object)

    row_genders = genders[row_customers]
    log_shift = np.where(row_genders == "M", calibration.MALE_LOG_AMOUNT_SHIFT, 0.0)
    log_shift = np.where(row_genders == "F", calibration.FEMALE_LOG_AMOUNT_SHIFT, log_shift)
    amounts = _decimal_texts(_draw_amount_paise(rng, log_shift))

    log_balances = customer_log_balances[row_customers] + rng.normal(
        0, calibration.BALANCE_LOG_SIGMA_BETWEEN_TRANSACTIONS, rows
    )
    balance_paise = np.round(np.exp(log_balances) * 100).astype(np.int64)
    balance_paise = np.where(rng.random(rows) < calibration.ZERO_BALANCE_SHARE, 0, balance_paise)
    balances = _decimal_texts(balance_paise)
    balances[rng.random(rows) < calibration.BALANCE_MISSING_ROWS / calibration.REAL_ROWS] = ""

    transaction_numbers = np.arange(first_row, first_row + rows) + delivery.first_transaction_id
    return pd.DataFrame(
        {
            "TransactionID": "T" + transaction_numbers.astype(str).astype(object),
            "CustomerID": customer_ids[row_customers],
            "CustomerDOB": birth_dates[row_customers],
            "CustGender": row_genders,
            "CustLocation": locations[row_customers],
            "CustAccountBalance": balances,
            "TransactionDate": row_dates,
            "TransactionTime": _transaction_times(rng, rows),
            "TransactionAmount (INR)": amounts,
        }
    )


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    # QUOTE_MINIMAL (the default) quotes exactly the locations that contain a comma.
    return frame.to_csv(header=False, index=False, lineterminator="\n").encode()


def generate_csv(
    path: str | Path, rows: int = DEFAULT_ROWS, seed: int = 42, compress: str | None = None,
    four_digit_year_share: float = 0.0, delivery: Delivery | None = None,
) -> dict:
    """Write one synthetic ``bank_transactions.csv`` (gzip if asked or if the name ends in .gz);
    ``delivery`` makes it one day's extract instead of the Kaggle file's 55 days."""
    if compress not in (None, "gzip"):
        raise ValueError(f"unsupported compression {compress!r}; use None or 'gzip'")
    plan = _Plan(rows, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw:
        output = raw
        if compress == "gzip" or path.name.endswith(".gz"):
            # No file name and a zero time stamp in the gzip header: same bytes on every run.
            # Level 6 compresses nearly as well as 9 in half the time.
            output = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        with output:
            output.write((HEADER + "\n").encode())
            for frame in plan.frames(four_digit_year_share, delivery):
                output.write(_csv_bytes(frame))
    return {"rows": rows, "customers": plan.customers, "path": str(path), "bytes": path.stat().st_size}


def generate_daily_files(
    landing_dir: str | Path, rows: int = DEFAULT_ROWS, seed: int = 42, four_digit_year_share: float = 0.0
) -> dict:
    """The rows of ``generate_csv`` split by transaction date, for backfills:
    ``landing_dir/<YYYY-MM-DD>/bank_transactions.csv``, each with the header, rows in file order."""
    plan = _Plan(rows, seed)
    landing_dir = Path(landing_dir)
    dates, _ = _transaction_dates()
    iso_date_by_text = {_date_text(day): day.isoformat() for day in dates}
    paths: dict[str, Path] = {}
    outputs = {}
    rows_by_date: dict[str, int] = {}
    try:
        for frame in plan.frames(four_digit_year_share):
            for date_text, day_frame in frame.groupby("TransactionDate", sort=False):
                iso_date = iso_date_by_text[date_text]
                if iso_date not in outputs:
                    paths[iso_date] = landing_dir / iso_date / "bank_transactions.csv"
                    paths[iso_date].parent.mkdir(parents=True, exist_ok=True)
                    outputs[iso_date] = open(paths[iso_date], "wb")
                    outputs[iso_date].write((HEADER + "\n").encode())
                    rows_by_date[iso_date] = 0
                outputs[iso_date].write(_csv_bytes(day_frame))
                rows_by_date[iso_date] += len(day_frame)
    finally:
        for output in outputs.values():
            output.close()
    return {
        "rows": rows,
        "customers": plan.customers,
        "landing_dir": str(landing_dir),
        "files": len(paths),
        "rows_by_date": dict(sorted(rows_by_date.items())),
        "bytes": sum(path.stat().st_size for path in paths.values()),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m bankseg.synthetic",
        description="Generate synthetic bank_transactions.csv in the format of the public Kaggle file.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of transactions")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    parser.add_argument(
        "--out", required=True, help="output file (.csv or .csv.gz), or the landing dir with --daily"
    )
    parser.add_argument("--daily", action="store_true", help="one file per transaction date under --out")
    parser.add_argument("--transaction-date", type=dt.date.fromisoformat, default=None,
                        help="one day's delivery: every row on this date (YYYY-MM-DD)")
    parser.add_argument("--first-transaction-id", type=int, default=1, help="number of the first TransactionID (T<n>)")
    parser.add_argument(
        "--four-digit-year-share", type=float, default=0.0,
        help="share of customers whose DOB is written with a 4-digit year (some copies of the file)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.daily:
        summary = generate_daily_files(args.out, args.rows, args.seed, args.four_digit_year_share)
        print(
            f"wrote {summary['rows']} rows ({summary['customers']} customers) into {summary['files']} "
            f"daily files under {summary['landing_dir']} ({summary['bytes']} bytes)"
        )
    else:
        summary = generate_csv(
            args.out, args.rows, args.seed, four_digit_year_share=args.four_digit_year_share,
            delivery=Delivery(args.transaction_date, args.first_transaction_id),
        )
        print(
            f"wrote {summary['rows']} rows ({summary['customers']} customers) to {summary['path']} "
            f"({summary['bytes']} bytes)"
        )
    return summary


if __name__ == "__main__":
    main()
