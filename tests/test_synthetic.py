"""Tests of the synthetic Kaggle-format generator (bankseg.synthetic).

Every expected value is written by hand from the description of the public Kaggle file
(/work/shared/DATASET.md): 1,048,567 rows, 884,265 customers, null and sentinel counts,
quartiles, month shares, age profile. Counts of the real file are scaled to the test size.
The format regexes are also run on the real file's first 7,000 rows, so they describe the
real format rather than whatever the generator happens to write.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bankseg import synthetic

REAL_ROWS = 1_048_567
TEST_ROWS = 200_000
SCALE = TEST_ROWS / REAL_ROWS

EXPECTED_HEADER = (
    "TransactionID,CustomerID,CustomerDOB,CustGender,CustLocation,CustAccountBalance,"
    "TransactionDate,TransactionTime,TransactionAmount (INR)"
)

DAY_MONTH = r"([1-9]|[12][0-9]|3[01])/([1-9]|1[0-2])"
FIELD_FORMATS = {
    "TransactionID": r"T[1-9][0-9]*",
    "CustomerID": r"C[0-9]{7}",
    "CustomerDOB": rf"{DAY_MONTH}/[0-9]{{2}}|nan|1/1/1800",
    "CustGender": r"M|F|T|",
    "CustLocation": r"[A-Z0-9 .,()/&'-]*",
    "CustAccountBalance": r"([0-9]+(\.[0-9]{1,2})?)?",
    "TransactionDate": rf"{DAY_MONTH}/16",
    "TransactionTime": r"0|[1-9][0-9]{0,5}",
    "TransactionAmount (INR)": r"[0-9]+(\.[0-9]{1,2})?",
}


def read_as_text(path: Path) -> pd.DataFrame:
    """Every field exactly as written (no NaN conversion, no number parsing)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def format_violations(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Up to five offending values per column."""
    violations = {}
    for column, pattern in FIELD_FORMATS.items():
        bad = frame.loc[~frame[column].str.fullmatch(pattern), column]
        if len(bad):
            violations[column] = bad.head().tolist()
    times = frame["TransactionTime"].astype(int)
    invalid = (times // 10_000 > 23) | (times // 100 % 100 > 59) | (times % 100 > 59)
    bad_times = frame.loc[invalid, "TransactionTime"]
    if len(bad_times):
        violations["TransactionTime (HHMMSS)"] = bad_times.head().tolist()
    return violations


def parse_day_first(texts: pd.Series) -> pd.Series:
    return pd.to_datetime(texts, format="%d/%m/%y")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict, pd.DataFrame]:
    path = tmp_path_factory.mktemp("synthetic") / "bank_transactions.csv"
    summary = synthetic.generate_csv(path, rows=TEST_ROWS, seed=42)
    return path, summary, read_as_text(path)


@pytest.fixture(scope="module")
def frame(generated) -> pd.DataFrame:
    return generated[2]


# --- file layout --------------------------------------------------------------------------------


def test_header_and_line_endings_are_exact(generated):
    path, _, _ = generated
    data = path.read_bytes()
    assert data.split(b"\n", 1)[0].decode() == EXPECTED_HEADER
    assert b"\r" not in data
    assert data.endswith(b"\n")
    assert synthetic.HEADER == EXPECTED_HEADER


def test_summary_describes_the_file(generated):
    path, summary, frame = generated
    assert summary["rows"] == TEST_ROWS == len(frame)
    assert summary["customers"] == frame["CustomerID"].nunique()
    assert summary["path"] == str(path)
    assert summary["bytes"] == path.stat().st_size


def test_every_field_matches_the_file_format(frame):
    assert format_violations(frame) == {}


def test_real_sample_matches_the_same_formats(real_sample):
    real = read_as_text(real_sample)
    assert list(real.columns) == EXPECTED_HEADER.split(",")
    assert len(real) == 7_000
    assert format_violations(real) == {}


def test_transaction_ids_run_from_one_in_file_order(frame):
    assert frame["TransactionID"].tolist() == [f"T{number}" for number in range(1, TEST_ROWS + 1)]


def test_customer_ids_are_scattered_not_sequential(frame):
    numbers = frame["CustomerID"].drop_duplicates().str[1:].astype(int)
    assert numbers.between(1_000_000, 9_999_999).all()
    assert not numbers.is_monotonic_increasing
    # Spread over the whole seven-digit range, not a dense block.
    assert numbers.min() < 1_500_000 and numbers.max() > 9_500_000


def test_dates_are_real_calendar_dates(frame):
    # Day first, and every text a date that exists: 31/2/16 would not parse.
    transaction_dates = pd.to_datetime(frame["TransactionDate"], format="%d/%m/%y", errors="coerce")
    assert transaction_dates.notna().all(), frame.loc[transaction_dates.isna(), "TransactionDate"].head().tolist()
    assert set(transaction_dates.dt.year) == {2016}
    dob = frame.loc[~frame["CustomerDOB"].isin(["nan", "1/1/1800"]), "CustomerDOB"]
    birth_dates = pd.to_datetime(dob, format="%d/%m/%y", errors="coerce")
    assert birth_dates.notna().all(), dob[birth_dates.isna()].head().tolist()


@pytest.mark.parametrize("rows", [1, 2, 7, 1_001])
def test_any_row_count_gives_exactly_that_many_rows(tmp_path, rows):
    path = tmp_path / "small.csv"
    summary = synthetic.generate_csv(path, rows=rows, seed=3)
    written = read_as_text(path)
    assert len(written) == rows == summary["rows"]
    assert written["TransactionID"].iloc[-1] == f"T{rows}"
    assert format_violations(written) == {}


# --- transaction dates and times ----------------------------------------------------------------


def test_55_dates_from_august_1_to_october_21(frame):
    dates = parse_day_first(frame["TransactionDate"])
    assert dates.nunique() == 55
    assert dates.min() == pd.Timestamp("2016-08-01")
    assert dates.max() == pd.Timestamp("2016-10-21")


def test_month_shares(frame):
    shares = parse_day_first(frame["TransactionDate"]).dt.month.value_counts(normalize=True)
    assert shares[8] == pytest.approx(0.62, abs=0.015)
    assert shares[9] == pytest.approx(0.37, abs=0.015)
    assert shares[10] == pytest.approx(0.003, abs=0.0015)


def test_rows_are_not_sorted_by_date(frame):
    dates = parse_day_first(frame["TransactionDate"])
    assert not dates.is_monotonic_increasing
    assert not dates.is_monotonic_decreasing


def test_times_cover_the_whole_day(frame):
    hours = frame["TransactionTime"].astype(int) // 10_000
    assert hours.nunique() == 24
    # Unpadded: times before 10:00 have five digits or fewer, like "84706".
    assert (frame["TransactionTime"].str.len() <= 5).any()


# --- amounts and balances -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "column, real_quartiles",
    [
        ("TransactionAmount (INR)", (161, 459, 1_200)),
        ("CustAccountBalance", (4_722, 16_792, 57_657)),
    ],
)
def test_quartiles_within_15_percent_of_the_real_file(frame, column, real_quartiles):
    values = pd.to_numeric(frame[column].replace("", np.nan)).dropna()
    quartiles = values.quantile([0.25, 0.5, 0.75]).to_numpy()
    assert quartiles == pytest.approx(real_quartiles, rel=0.15)


@pytest.mark.parametrize(
    "column, real_median, real_mean",
    [
        ("TransactionAmount (INR)", 459, 1_574),
        ("CustAccountBalance", 16_792, 115_404),
    ],
)
def test_heavy_tails(frame, column, real_median, real_mean):
    values = pd.to_numeric(frame[column].replace("", np.nan)).dropna()
    assert values.mean() == pytest.approx(real_mean, rel=0.3)
    # Heavy-tailed like the real file: the maximum is hundreds of medians away.
    assert values.max() > 300 * real_median


def test_zero_amounts_and_zero_balances_exist_but_are_rare(frame):
    amounts = frame["TransactionAmount (INR)"].astype(float)
    balances = pd.to_numeric(frame["CustAccountBalance"].replace("", np.nan))
    assert 0 < (amounts == 0).mean() < 0.005
    assert 0 < (balances == 0).mean() < 0.005


def test_decimals_written_like_the_real_file(frame):
    amounts = frame["TransactionAmount (INR)"]
    balances = frame["CustAccountBalance"]
    # Most amounts are whole rupees ("25", "27999"); balances mostly carry paise ("17819.05").
    assert (~amounts.str.contains(".", regex=False)).mean() == pytest.approx(0.88, abs=0.03)
    assert balances.str.fullmatch(r"[0-9]+\.[0-9]{2}").mean() > 0.8
    # Trailing zeros are dropped: "1762.5", never "1762.50" or "25.0".
    assert not amounts.str.contains(r"\.[0-9]?0$").any()
    assert not balances.str.contains(r"\.[0-9]?0$").any()


# --- dirt ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column, missing_text, real_count, tolerance",
    [
        ("CustomerDOB", "nan", 3_397, 0.2),
        ("CustGender", "", 1_100, 0.3),
        ("CustLocation", "", 151, 0.6),
        ("CustAccountBalance", "", 2_369, 0.2),
    ],
)
def test_missing_values_at_the_real_rate(frame, column, missing_text, real_count, tolerance):
    missing = (frame[column] == missing_text).sum()
    assert missing == pytest.approx(real_count * SCALE, rel=tolerance)


def test_sentinel_birth_date_at_the_real_rate(frame):
    assert (frame["CustomerDOB"] == "1/1/1800").mean() == pytest.approx(57_335 / REAL_ROWS, abs=0.004)
    assert frame["CustomerDOB"].value_counts().index[0] == "1/1/1800"


def test_gender_shares(frame):
    shares = frame["CustGender"].value_counts(normalize=True)
    assert shares["M"] == pytest.approx(765_530 / REAL_ROWS, abs=0.01)
    assert shares["F"] == pytest.approx(281_936 / REAL_ROWS, abs=0.01)


def test_spending_share_by_gender(frame):
    amounts = frame["TransactionAmount (INR)"].astype(float)
    spend = amounts.groupby(frame["CustGender"]).sum() / amounts.sum()
    assert spend["M"] == pytest.approx(0.69, abs=0.03)
    assert spend["F"] == pytest.approx(0.31, abs=0.03)


def test_gender_t_appears_once_in_a_file_of_the_real_size():
    # Checked through the customer plan: generating a million rows here would be too slow.
    plan = synthetic._Plan(REAL_ROWS, seed=42)
    assert len(plan.gender_t_customers) == 1


# --- customers ----------------------------------------------------------------------------------


def test_customers_per_row_and_transactions_per_customer(frame):
    transactions = frame["CustomerID"].value_counts()
    assert len(transactions) / len(frame) == pytest.approx(884_265 / REAL_ROWS, abs=0.003)
    assert (transactions == 1).mean() == pytest.approx(0.846, abs=0.005)
    assert transactions.max() <= 6
    with_four = (transactions == 4).sum()
    assert with_four == pytest.approx(1_300 * SCALE, rel=0.2)


def test_a_customer_keeps_dob_gender_location_but_not_balance(frame):
    repeated = frame[frame["CustomerID"].duplicated(keep=False)].groupby("CustomerID")
    assert repeated.ngroups > 10_000
    for column in ["CustomerDOB", "CustGender", "CustLocation"]:
        assert (repeated[column].nunique() == 1).all(), column
    assert (repeated["CustAccountBalance"].nunique() > 1).mean() > 0.95


def test_customer_ids_get_an_extra_digit_only_when_needed():
    assert synthetic.customer_id_digits(884_265) == 7
    assert synthetic.customer_id_digits(9_000_000) == 7
    assert synthetic.customer_id_digits(44_000_000) == 8


def test_transactions_per_customer_add_up_for_any_size():
    for rows in [1, 2, 5, 1_000, REAL_ROWS, 52_428_350]:
        counts = synthetic.transactions_per_customer(rows)
        assert sum(size * customers for size, customers in counts.items()) == rows
    real = synthetic.transactions_per_customer(REAL_ROWS)
    assert sum(real.values()) == 884_265
    assert (real[4], real[5], real[6]) == (1_300, 108, 6)


# --- ages ---------------------------------------------------------------------------------------


def birth_dates_with_century_rule(dob_texts: pd.Series) -> pd.Series:
    """Two-digit years up to 16 are 20xx, later ones 19xx (nobody is born after 2016)."""
    parts = dob_texts.str.split("/", expand=True).astype(int)
    years = np.where(parts[2] <= 16, 2000 + parts[2], 1900 + parts[2])
    return pd.to_datetime(pd.DataFrame({"year": years, "month": parts[1], "day": parts[0]}))


def test_age_profile(frame):
    known = frame[~frame["CustomerDOB"].isin(["nan", "1/1/1800"])]
    born = birth_dates_with_century_rule(known["CustomerDOB"])
    transacted = parse_day_first(known["TransactionDate"])
    assert (born < transacted).all()
    ages = (transacted - born).dt.days.to_numpy() / 365.25
    assert ages.mean() == pytest.approx(30.8, abs=1.0)
    assert ages.std() == pytest.approx(8.7, abs=1.0)
    assert np.percentile(ages, [25, 50, 75]) == pytest.approx([25, 29, 34], abs=1.5)
    # Some minors and some very old customers: a naive two-digit-year parse gets both wrong.
    assert (ages < 18).sum() > 0
    assert (ages > 70).sum() > 0
    two_digit_years = known["CustomerDOB"].str.split("/").str[2].astype(int)
    assert two_digit_years.between(0, 7).any()
    assert two_digit_years.between(20, 57).any()


def test_four_digit_birth_years_only_when_asked(tmp_path, frame):
    assert not frame["CustomerDOB"].str.fullmatch(rf"{DAY_MONTH}/(19|20)[0-9]{{2}}").any()
    path = tmp_path / "four_digit.csv"
    synthetic.generate_csv(path, rows=5_000, seed=1, four_digit_year_share=0.5)
    dob = read_as_text(path)["CustomerDOB"]
    four_digit = dob.str.fullmatch(rf"{DAY_MONTH}/(19|20)[0-9]{{2}}") & (dob != "1/1/1800")
    assert four_digit.mean() == pytest.approx(0.5 * 0.94, abs=0.05)


# --- locations ----------------------------------------------------------------------------------


def test_location_dirt_is_present(generated):
    path, _, frame = generated
    locations = frame["CustLocation"]
    # Commas only inside quoted fields, e.g. "JORHAT, ASSAM" (443 rows in the real file).
    with_comma = locations[locations.str.contains(",")]
    assert len(with_comma) == pytest.approx(443 * SCALE, rel=0.5)
    raw_text = path.read_text()
    assert all(f'"{text}"' in raw_text for text in with_comma.unique())
    # Bare PIN codes whose postal prefix matches a big city.
    pin_codes = locations[locations.str.fullmatch(r"[0-9]{6}")]
    assert len(pin_codes) > 0
    assert set(pin_codes.str[:3]) <= {"110", "400", "560", "600", "700", "500", "411", "122"}
    present = set(locations)
    assert {"NAVI MUMBAI", "DELHI", "NEW DELHI", "MUMBAI", "SOUTH 24 PARGANAS"} <= present
    # Street-address forms such as "NO 3 KALYANI NAGAR PUNE" and "NOIDA SEC 77".
    assert locations.str.fullmatch(r"NO [0-9]+ .+ [A-Z]+").any()
    assert locations.str.fullmatch(r"NOIDA SEC [0-9]+").any()
    assert locations.str.fullmatch(r"SECTOR [0-9]+ [A-Z ]+ NAVI MUMBAI").any()


def test_location_long_tail(frame):
    # 9,355 distinct strings in the real 1,048,567 rows; several thousand at this size.
    assert frame["CustLocation"].nunique() > 3_000


def test_customers_per_city(frame):
    customers = frame.drop_duplicates("CustomerID")["CustLocation"]
    total = len(customers)
    delhi = customers.str.contains(r"\bDELHI\b") | customers.str.fullmatch(r"110[0-9]{3}")
    mumbai_text = customers.str.contains(r"\bMUMBAI\b") & ~customers.str.contains("NAVI MUMBAI")
    mumbai = mumbai_text | customers.str.fullmatch(r"400[0-9]{3}")
    # Delhi ~130k and Mumbai ~114k of 884,265 customers in the real file.
    assert delhi.sum() / total == pytest.approx(130_000 / 884_265, abs=0.01)
    assert mumbai.sum() / total == pytest.approx(114_000 / 884_265, abs=0.01)
    plain = customers.value_counts()
    assert plain.index[0] == "MUMBAI"
    assert plain["NEW DELHI"] > plain["NOIDA"] and plain["DELHI"] > plain["NOIDA"]


# --- determinism, compression, daily files, CLI -------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    synthetic.generate_csv(first, rows=20_000, seed=7)
    synthetic.generate_csv(second, rows=20_000, seed=7)
    synthetic.generate_csv(other, rows=20_000, seed=8)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_gzip_output_is_readable_and_identical_to_plain(tmp_path):
    plain, by_name, by_argument = tmp_path / "plain.csv", tmp_path / "named.csv.gz", tmp_path / "argument.csv"
    synthetic.generate_csv(plain, rows=5_000, seed=11)
    synthetic.generate_csv(by_name, rows=5_000, seed=11)
    synthetic.generate_csv(by_argument, rows=5_000, seed=11, compress="gzip")
    for compressed in (by_name, by_argument):
        assert compressed.read_bytes()[:2] == b"\x1f\x8b"
        with gzip.open(compressed, "rb") as handle:
            assert handle.read() == plain.read_bytes()
    assert by_name.read_bytes() == by_argument.read_bytes()
    assert len(read_as_text(by_name)) == 5_000


def test_daily_files_split_the_same_rows_by_date(tmp_path):
    rows = 30_000
    whole = tmp_path / "whole.csv"
    synthetic.generate_csv(whole, rows=rows, seed=5)
    summary = synthetic.generate_daily_files(tmp_path / "landing", rows=rows, seed=5)

    files = sorted((tmp_path / "landing").glob("*/bank_transactions.csv"))
    assert len(files) == summary["files"] == len(summary["rows_by_date"])
    assert sum(summary["rows_by_date"].values()) == rows
    daily_rows = []
    for path in files:
        assert re.fullmatch(r"2016-(08|09|10)-[0-9]{2}", path.parent.name)
        assert path.read_text().split("\n", 1)[0] == EXPECTED_HEADER
        day = read_as_text(path)
        assert len(day) == summary["rows_by_date"][path.parent.name]
        assert (parse_day_first(day["TransactionDate"]) == pd.Timestamp(path.parent.name)).all()
        daily_rows.extend(path.read_text().splitlines()[1:])
    assert sorted(daily_rows) == sorted(whole.read_text().splitlines()[1:])


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli.csv"
    summary = synthetic.main(["--rows", "1000", "--seed", "9", "--out", str(out)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "1000 rows" in printed[0] and str(out) in printed[0]
    assert summary["rows"] == 1000 and len(read_as_text(out)) == 1000

    landing = tmp_path / "landing"
    synthetic.main(["--rows", "1000", "--seed", "9", "--out", str(landing), "--daily"])
    assert "daily files" in capsys.readouterr().out
    assert sum(len(read_as_text(path)) for path in landing.glob("*/bank_transactions.csv")) == 1000


def test_a_days_delivery_has_one_date_and_ids_after_the_history(tmp_path):
    path = tmp_path / "day.csv"
    synthetic.generate_csv(path, rows=500, seed=7, delivery=synthetic.Delivery(dt.date(2016, 10, 22), first_transaction_id=1_048_568))
    day = read_as_text(path)
    assert set(day["TransactionDate"]) == {"22/10/16"}
    assert day["TransactionID"].tolist() == [f"T{number}" for number in range(1_048_568, 1_048_568 + 500)]
    assert format_violations(day) == {}
