"""Dashboards: number formats, chart geometry, filters and exact sums, the marts job's transforms.

The pages in a real browser, against a real daily run, are in test_daily_dag_e2e.py.
"""

from __future__ import annotations

import itertools
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import Depends, HTTPException
from fastapi.testclient import TestClient

from bankseg.dashboards import charts, data, pages
from bankseg.dashboards.app import standalone_app
from bankseg.dashboards import formatting as fmt
from bankseg.dashboards.data import Filters, FilterError, Snapshot, summary
from bankseg.layout import REPOSITORY_ROOT, DataLayout
from bankseg import marts
from bankseg.definitions import AMOUNT_CATEGORIES, TOP_AMOUNT_CATEGORY


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (100000, "1,00,000"), (12345678, "1,23,45,678"), (-1234567.6, "-12,34,568"), (1e9, "1,00,00,00,000")],
)
def test_indian_digit_grouping(value, expected):
    assert fmt.indian_digits(value) == expected


def test_rupees_read_at_a_glance_in_lakh_and_crore():
    assert fmt.inr(12345678) == "₹1,23,45,678"
    assert fmt.inr_short(123456789) == "₹12.35 Cr"
    assert fmt.inr_short(450000) == "₹4.50 L"
    assert fmt.inr_short(12345) == "₹12,345"
    assert fmt.count_short(884265) == "8.84 L"
    assert fmt.share(0.2291) == "22.9%"
    assert fmt.inr(float("nan")) == fmt.inr(None) == "–"


def overlap(a, b) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(width, 0) * max(height, 0)


@pytest.mark.parametrize("values", [[6, 6, 4, 3, 2, 2, 1], [152455, 134601, 91290, 76501, 38523, 31501, 500], [5], [1] * 12])
def test_treemap_tiles_fill_the_area_in_proportion_without_overlapping(values):
    width, height = 560, 300
    tiles = charts.squarify(values, 0, 0, width, height)
    assert len(tiles) == len(values)
    for (x, y, w, h), value in zip(tiles, values, strict=True):
        assert w * h == pytest.approx(width * height * value / sum(values), rel=1e-9)
        assert x >= -1e-9 and y >= -1e-9 and x + w <= width + 1e-6 and y + h <= height + 1e-6
    assert all(overlap(a, b) < 1e-6 for a, b in itertools.combinations(tiles, 2))


def test_equal_values_give_near_square_tiles():
    tiles = charts.squarify([1] * 16, 0, 0, 400, 400)
    assert max(max(w / h, h / w) for _, _, w, h in tiles) < 1.5


def test_charts_draw_one_mark_per_value_with_a_tooltip():
    svg = charts.hbar("spend", ["DELHI", "MUMBAI"], {"F": [10.0, 20.0], "M": [5.0, 0.0]}, fmt.inr)
    assert 'data-marks="4"' in svg
    assert "<title>MUMBAI · F: ₹20</title>" in svg
    assert 'data-marks="3"' in charts.line("days", ["1", "2", "3"], {"n": [1.0, 2.0, 3.0]}, fmt.count)
    # Missing cells stay blank, whether None or pandas' NaN.
    assert 'data-marks="2"' in charts.heatmap("h", ["a"], ["x", "y", "z"], [[1.0, None, 2.0]], fmt.count)
    assert 'data-marks="1"' in charts.heatmap("h", ["a"], ["x", "y"], [[float("nan"), 2.0]], fmt.count)
    assert "No data for these filters" in charts.vbar("empty", [], {"n": []}, fmt.count)


def activity_frame() -> pd.DataFrame:
    """Three customers over two days; customer 1 transacts on both days and in two cities."""
    rows = [
        # customer_key, day, city, gender, age_band, amount_category, segment_id, transactions, amount, balance_sum, balance_count
        (1, "2016-08-01", "DELHI", "M", "25-34", "Low", 1, 2, 300.0, 2000.0, 2),
        (1, "2016-08-02", "MUMBAI", "M", "25-34", "High", 1, 1, 6000.0, 0.0, 0),
        (2, "2016-08-01", "DELHI", "F", "35-44", "Medium", 2, 1, 700.0, 500.0, 1),
        (3, "2016-08-02", "DELHI", "F", "unknown", "Low", -1, 3, 90.0, 600.0, 3),
    ]
    frame = pd.DataFrame(rows, columns=["customer_key", "txn_date", "city", "gender", "age_band", "amount_category", "segment_id",
                                        "transactions", "amount", "balance_sum", "balance_count"])
    frame["txn_date"] = pd.to_datetime(frame["txn_date"])
    for column in ("city", "gender", "age_band", "amount_category"):
        frame[column] = frame[column].astype("category")
    return frame


def test_totals_count_a_customer_once_however_many_days_and_cities():
    totals = summary(activity_frame())
    assert totals["transactions"] == 7
    assert totals["amount"] == 7090.0
    assert totals["customers"] == 3
    assert totals["balance_mean"] == pytest.approx(3100.0 / 6)
    per_city = summary(activity_frame(), ["city"])
    assert per_city.loc["DELHI", "customers"] == 3 and per_city.loc["MUMBAI", "customers"] == 1
    assert math.isnan(per_city.loc["MUMBAI", "balance_mean"])  # no balance known there


def test_filters_combine_and_change_the_numbers():
    frame = activity_frame()
    women = Filters.from_query({"gender": "F"}).apply(frame)
    assert summary(women)["customers"] == 2 and summary(women)["amount"] == 790.0
    day_two_delhi = Filters.from_query({"start": "2016-08-02", "end": "2016-08-02", "city": "DELHI"}).apply(frame)
    assert summary(day_two_delhi) == {"transactions": 3, "amount": 90.0, "customers": 1, "balance_mean": 200.0}
    assert summary(Filters.from_query({"segment": "1"}).apply(frame))["transactions"] == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [({"start": "21/10/2016"}, "start='21/10/2016' is not a date"), ({"segment": "gold"}, "segment='gold' is not a segment id"),
     ({"start": "2016-09-01", "end": "2016-08-01"}, "start 2016-09-01 is after end 2016-08-01")],
)
def test_bad_filter_values_are_refused_with_the_parameter_named(query, message):
    with pytest.raises(FilterError, match=re.escape(message)):
        Filters.from_query(query)


def snapshot_without_segments() -> Snapshot:
    empty = pd.DataFrame()
    return Snapshot("2016-08-02", activity_frame(), empty, empty, empty, empty, empty, None)


@pytest.mark.parametrize("slug", ["overview", "transactions", "cities", "monthly"])
def test_each_seed_dashboard_builds_its_panels_from_the_activity(slug):
    page = pages.build(slug, snapshot_without_segments(), Filters())
    assert dict((label, value) for label, value, _ in page.kpis)["Customers"] == "3"
    assert page.panels and all("data-marks" in panel.body for panel in page.panels), [p.title for p in page.panels]


def test_overview_answers_the_seed_questions():
    page = pages.build("overview", snapshot_without_segments(), Filters.from_query({"start": "2016-08-01", "end": "2016-08-01"}))
    kpis = {label: detail for label, _, detail in page.kpis}
    assert kpis["Total amount"] == "₹1,000" and kpis["Transactions"] == "3"
    gender = next(p for p in page.panels if p.title == "Spend by gender").body
    assert "<title>M: ₹300</title>" in gender and "<title>F: ₹700</title>" in gender


def write_marts(layout: DataLayout, snapshot: str, activity: pd.DataFrame) -> None:
    """An unscored snapshot as the jobs publish it: the batch's activity mart, empty segment tables."""
    batch = Path(layout.batch(snapshot).activity)
    batch.mkdir(parents=True)
    frame = activity.drop(columns=["segment_id"]).astype({c: "string" for c in ("city", "gender", "age_band", "amount_category")})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), batch / "part-0.parquet")
    folder = layout.snapshot(snapshot)
    empty = {
        folder.mart("segment_keys"): pa.schema([("customer_key", pa.int64()), ("segment_id", pa.int32()), ("computed_on", pa.date32())]),
        folder.mart("segment_features"): pa.schema([("segment_id", pa.int32()), ("segment_name", pa.string()), ("customers", pa.int64())]),
        folder.mart("feature_drift"): pa.schema([("feature", pa.string()), ("psi", pa.float64())]),
        folder.mart("model_history"): pa.schema([("version", pa.string()), ("champion", pa.bool_())]),
        folder.segment_profiles: pa.schema([("segment_id", pa.int32()), ("segment_name", pa.string()), ("model_version", pa.string())]),
        folder.segment_migration: pa.schema([("from_segment_id", pa.int32()), ("to_segment_id", pa.int32()), ("customers", pa.int64())]),
    }
    for table, schema in empty.items():
        Path(table).mkdir(parents=True)
        pq.write_table(schema.empty_table(), Path(table) / "part-0.parquet")


@pytest.fixture
def client(tmp_path):
    layout = DataLayout(str(tmp_path))
    activity = activity_frame()
    activity["city"] = activity["city"].cat.rename_categories({"MUMBAI": '<b id="x">MUMBAI</b>'})
    write_marts(layout, "2016-08-02", activity)
    return TestClient(standalone_app(layout))


@pytest.mark.parametrize("slug", list(pages.DASHBOARDS))
def test_every_page_answers_before_any_model_is_champion(client, slug):
    page = client.get(f"/bankseg/{slug}")
    assert page.status_code == 200, page.text[-2000:]
    assert '<span class="kpi-value">3</span>' in page.text  # three customers
    if slug == "segments":
        assert "no model was champion" in page.text


def test_a_filter_that_matches_nothing_shows_no_data_and_null_means(client):
    page = client.get("/bankseg/overview", params={"city": "NOWHERE"})
    assert page.status_code == 200 and "No data for these filters" in page.text
    assert client.get("/bankseg/api/summary", params={"city": "NOWHERE"}).json() | {"snapshot_date": None} == {
        "snapshot_date": None, "filters": {"city": "NOWHERE"}, "transactions": 0, "amount": 0.0, "customers": 0, "balance_mean": None,
    }


def test_data_values_are_escaped_in_charts_and_filters(client):
    page = client.get("/bankseg/cities").text
    assert '<b id="x">' not in page
    assert "&lt;b id=&#34;x&#34;&gt;MUMBAI&lt;/b&gt;" in page or "&lt;b id=&quot;x&quot;&gt;MUMBAI&lt;/b&gt;" in page


def test_bad_filters_and_unknown_pages_are_refused_with_the_reason(client):
    bad = client.get("/bankseg/overview", params={"start": "21/10/2016"})
    assert bad.status_code == 400 and "is not a date in the form YYYY-MM-DD" in bad.json()["detail"]
    assert client.get("/bankseg/nosuch").status_code == 404


def test_data_docs_are_served_from_their_folder_only_and_load_nothing_from_outside(client, tmp_path):
    docs = tmp_path / "quality" / "gx" / "uncommitted" / "data_docs" / "local_site"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html>validations</html>")
    (tmp_path / "secret.txt").write_text("not for the web")
    page = client.get("/bankseg/data-docs/index.html")
    assert page.status_code == 200 and "validations" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    for attempt in ("../../../../secret.txt", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt", str(tmp_path / "secret.txt"), "index.html%00.png"):
        answer = client.get(f"/bankseg/data-docs/{attempt}")
        assert answer.status_code == 404 and "not for the web" not in answer.text


def test_every_page_forbids_inline_scripts_and_anything_from_elsewhere(client):
    for path in [*(f"/bankseg/{slug}" for slug in pages.DASHBOARDS), "/bankseg/", "/bankseg/quality", "/bankseg/api/summary", "/bankseg/nosuch"]:
        policy = dict(
            directive.strip().split(" ", 1) for directive in client.get(path).headers["content-security-policy"].split(";")
        )
        assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'", path
        assert "unsafe-inline" not in policy["style-src"] and policy["frame-ancestors"] == "'self'", path
    # The browser tests (test_daily_dag_e2e.py) render every page under this policy: a violation
    # would be a console error there.


def test_the_standalone_server_answers_only_for_its_own_host_names(tmp_path):
    guarded = TestClient(standalone_app(DataLayout(str(tmp_path)), trusted_hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1")
    assert guarded.get("/bankseg/static/dashboard.css").status_code == 200
    rebound = guarded.get("/bankseg/static/dashboard.css", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "dashboards.example"])
def test_a_non_loopback_host_needs_an_explicit_flag(host, capsys):
    from bankseg.dashboards.__main__ import main

    with pytest.raises(SystemExit) as refused:
        main(["--host", host])
    assert refused.value.code == 2
    assert f"--host {host} would serve every dashboard, without a login, beyond this machine; add --allow-remote" in capsys.readouterr().err


def test_a_wildcard_remote_host_must_name_the_host_names_clients_use(capsys):
    from bankseg.dashboards.__main__ import main

    with pytest.raises(SystemExit) as refused:
        main(["--host", "0.0.0.0", "--allow-remote"])
    assert refused.value.code == 2
    assert "--host 0.0.0.0 listens on every address: name the host names clients use with --trusted-host" in capsys.readouterr().err


def quality_report(run_date: str, layer: str, failures: list[dict], warnings: list[dict]) -> dict:
    return {"layer": layer, "suite": f"{layer}_suite", "run_date": run_date, "success": not failures, "rows": 1000,
            "evaluated": 12, "passed": 12 - len(failures) - len(warnings), "critical_failures": failures, "warnings": warnings, "seconds": 9.5}


def test_the_quality_page_lists_each_gate_newest_first_and_explains_failures(client, tmp_path):
    from bankseg.run_records import write_run_record

    check = {"severity": "critical", "column": "amount", "expectation": "expect_column_approximate_quantile_values_to_be_between", "expected": "q0.5 in [100, 5,000]",
             "observed": "45,600", "sample": ["T1", "T2"], "notes": "decimal points lost upstream"}
    warning = {**check, "severity": "warning", "column": "city", "expectation": "expect_column_proportion_of_unique_values_to_be_between",
               "observed": "0.9", "sample": [], "notes": "city spelling drift"}
    reports = [("2016-10-20", "raw", [], []), ("2016-10-20", "curated", [], [warning]), ("2016-10-21", "raw", [], []),
               ("2016-10-21", "curated", [check], [])]
    for run_date, layer, failures, warnings in reports:
        write_run_record(str(tmp_path / "quality" / "results" / run_date / f"{layer}.json"), quality_report(run_date, layer, failures, warnings))
    page = client.get("/bankseg/quality")
    assert page.status_code == 200
    rows = re.findall(r"<tr class=\"(\w+)\">\s*<td>([\d-]+)</td><td>(\w+)</td>", page.text)
    assert rows == [("passed", "2016-10-21", "raw"), ("failed", "2016-10-21", "curated"), ("passed", "2016-10-20", "raw"),
                    ("warned", "2016-10-20", "curated")]
    assert "2016-10-21 · curated: FAILED" in page.text and "decimal points lost upstream" in page.text and "T1, T2" in page.text
    assert "2016-10-20 · curated: passed with warnings" in page.text and "city spelling drift" in page.text
    assert "http" not in page.text  # nothing to fetch from anywhere else


def test_without_marts_the_pages_say_how_to_get_them(tmp_path):
    page = TestClient(standalone_app(DataLayout(str(tmp_path)))).get("/bankseg/overview")
    assert page.status_code == 503 and "No dashboard data yet" in page.text and "make run" in page.text


def test_guards_protect_pages_and_api_but_not_the_stylesheet(tmp_path):
    def refuse():
        raise HTTPException(401, "log in to Airflow")

    from bankseg.dashboards import MOUNT_PATH
    from bankseg.dashboards.app import create_app
    from fastapi import FastAPI

    root = FastAPI()
    root.mount(MOUNT_PATH, create_app(DataLayout(str(tmp_path)), dependencies=[Depends(refuse)]))
    client = TestClient(root)
    for path in ("/bankseg/", "/bankseg/overview", "/bankseg/api/summary", "/bankseg/quality", "/bankseg/data-docs/index.html"):
        assert client.get(path).status_code == 401, path
    assert client.get("/bankseg/static/dashboard.css").status_code == 200


def test_segments_page_without_a_champion_says_how_to_get_one():
    page = pages.build("segments", snapshot_without_segments(), Filters())
    assert "no model was champion" in page.message and "make promote VERSION=n" in page.message
    assert page.panels == []


def test_amount_categories_agree_with_the_hive_view():
    view = (REPOSITORY_ROOT / "hive" / "views" / "10_v_transactions.hql").read_text()
    bounds = [(label, int(bound)) for bound, label in re.findall(r"WHEN amount < (\d+) THEN '(\w+)'", view)]
    assert bounds == list(AMOUNT_CATEGORIES)
    assert f"ELSE '{TOP_AMOUNT_CATEGORY}'" in view


def test_population_stability_index_by_hand():
    assert marts.population_stability([50, 50], [50, 50]) == 0.0
    # (0.2 - 0.8) ln(0.2 / 0.8) + (0.8 - 0.2) ln(0.8 / 0.2) = 1.2 ln 4
    assert marts.population_stability([80, 20], [20, 80]) == pytest.approx(1.2 * math.log(4))
    # An empty bin counts as a share of 1e-4 instead of dividing by zero.
    assert marts.population_stability([100, 0], [50, 50]) == pytest.approx(
        (0.5 - 1.0) * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    )


@pytest.mark.spark
def test_activity_mart_keeps_what_the_dashboards_filter_and_sum(spark):
    transactions = spark.createDataFrame(
        [
            ("C1", date(2016, 8, 1), "DELHI", "M", 30, 100.00, 1000.0),
            ("C1", date(2016, 8, 1), "DELHI", "M", 30, 200.00, None),
            ("C1", date(2016, 8, 1), "DELHI", "M", 30, 5000.00, 900.0),
            ("C2", date(2016, 8, 2), "PUNE", "F", None, 499.99, 50.0),
        ],
        "customer_id string, txn_date date, city string, gender string, age_at_txn int, amount double, account_balance double",
    )
    rows = sorted(
        (r["city"], r["age_band"], r["amount_category"], r["transactions"], r["amount"], r["balance_sum"], r["balance_count"])
        for r in marts.activity(transactions, "secret").collect()
    )
    # One row per transaction; a missing balance sums as 0 and is not counted.
    assert rows == [
        ("DELHI", "25-34", "High", 1, 5000.0, 900.0, 1),
        ("DELHI", "25-34", "Low", 1, 100.0, 1000.0, 1),
        ("DELHI", "25-34", "Low", 1, 200.0, 0.0, 0),
        ("PUNE", "unknown", "Low", 1, 499.99, 50.0, 1),
    ]


@pytest.mark.spark
def test_the_customer_key_is_a_keyed_hash_that_needs_the_secret(spark):
    import hashlib

    frame = spark.createDataFrame([("C1234567",)], "customer_id string")
    (key,) = frame.select(marts.customer_key(frame.customer_id, "s3cret")).first()
    # By hand: the first 15 hex digits of SHA-256 over "secret:id".
    assert key == int(hashlib.sha256(b"s3cret:C1234567").hexdigest()[:15], 16)
    (other,) = frame.select(marts.customer_key(frame.customer_id, "other")).first()
    assert other != key


def test_a_line_chart_never_prints_a_day_label_over_the_last_one():
    days = [f"day {day}" for day in range(1, 56)]  # 55 days: a label every 7th, and the 55th
    svg = charts.line("days", days, {"n": [1.0] * 55}, fmt.count)
    shown = re.findall(r'class="label">(day \d+)</text>', svg)
    assert shown[0] == "day 1" and shown[-1] == "day 55"
    positions = [days.index(label) for label in shown]
    assert all(b - a >= 4 for a, b in zip(positions, positions[1:])), shown


def test_a_customer_keyed_twice_counts_in_the_segment_of_its_newest_row_as_of_the_date():
    change = pa.struct([("changes_on", pa.date32()), ("segment_id", pa.int32())])
    keys = pa.table({
        "customer_key": pa.array([7, 8, 7, 9], pa.int64()),
        "segment_id": pa.array([1, 2, 3, 4], pa.int32()),
        "schedule": pa.array([[{"changes_on": date(2016, 10, 22), "segment_id": 5}],  # older row of key 7: ignored
                              [{"changes_on": date(2016, 10, 22), "segment_id": 5}, {"changes_on": date(2016, 10, 30), "segment_id": 6}],
                              [{"changes_on": date(2016, 10, 23), "segment_id": 9}],
                              []], pa.list_(change)),
        "computed_on": pa.array([date(2016, 10, 21), date(2016, 10, 21), date(2016, 10, 22), date(2016, 10, 21)]),
    })
    assert data.segments_as_of(keys, "2016-10-22").to_dict("list") == {"customer_key": [7, 8, 9], "segment_id": [3, 5, 4]}
    assert data.segments_as_of(keys, "2016-10-30").to_dict("list") == {"customer_key": [7, 8, 9], "segment_id": [9, 6, 4]}
    # Keys written before they carried a schedule: each in the segment it was scored in.
    unscheduled = keys.drop_columns(["schedule"])
    assert data.segments_as_of(unscheduled, "2016-10-30").to_dict("list") == {"customer_key": [7, 8, 9], "segment_id": [3, 2, 4]}
