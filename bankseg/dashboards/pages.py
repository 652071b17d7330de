"""What each dashboard shows: the seed's four Tableau dashboards, answered from the marts, plus segments.

A page is a list of KPI cards and panels; each panel is a chart (or table) with a note that says
what is counted, so a reader never has to guess whether a figure is a sum or a mean.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from bankseg.dashboards import charts
from bankseg.dashboards import formatting as fmt
from bankseg.dashboards.data import AGE_BAND_ORDER, AMOUNT_CATEGORY_ORDER, WEEKDAYS, Filters, Snapshot, summary
from bankseg.definitions import AMOUNT_CATEGORIES, NOT_SCORED, TOP_AMOUNT_CATEGORY

TOP_N = 10
TREEMAP_CITIES = 25
# Population stability index bands as risk teams read them.
PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25


@dataclass
class Panel:
    title: str
    body: str
    note: str = ""
    wide: bool = False


@dataclass
class Page:
    slug: str
    title: str
    summary: str
    kpis: list[tuple[str, str, str]] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    message: str = ""


DASHBOARDS = {
    "overview": ("Overview", "How much was spent, by how many customers: by gender, age group and day."),
    "transactions": ("Detailed transactions", "Day by day spend and customers, age groups per month, amount categories and the top locations."),
    "cities": ("City and age group", "Where customers spend and what they hold: cities, days of the week and age groups."),
    "monthly": ("Monthly and category", "Balances and transactions per month, spend per amount category, the weekly rhythm of each month."),
    "segments": ("Segments", "Who the segments are, how they move between runs, and how the model behind them is doing."),
}


def amount_category_note() -> str:
    (low, low_upper), (medium, medium_upper) = AMOUNT_CATEGORIES
    return (
        f"Amount categories per transaction: {low} under {fmt.inr(low_upper)}, {medium} {fmt.inr(low_upper)} to under "
        f"{fmt.inr(medium_upper)}, {TOP_AMOUNT_CATEGORY} {fmt.inr(medium_upper)} and more."
    )


def _ordered(frame: pd.DataFrame, order: tuple[str, ...]) -> pd.DataFrame:
    return frame.reindex([value for value in order if value in frame.index])


def _months(frame: pd.DataFrame) -> pd.Series:
    return frame["txn_date"].dt.to_period("M")


def _month_label(period: pd.Period) -> str:
    return period.strftime("%b %Y")


def _series(frame: pd.DataFrame, column: str) -> list[float]:
    """Values as floats; an unknown value (a mean with nothing to average) stays NaN and is not drawn."""
    return [float(v) for v in frame[column].tolist()]


def _daily(frame: pd.DataFrame) -> pd.DataFrame:
    """Per transaction date, with days that had no transactions shown as zero, not left out."""
    per_day = summary(frame, ["txn_date"])
    if per_day.empty:
        return per_day
    every_day = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D", name="txn_date")
    return per_day.reindex(every_day).fillna({"transactions": 0, "amount": 0.0, "customers": 0})


def kpis(activity: pd.DataFrame) -> list[tuple[str, str, str]]:
    totals = summary(activity)
    mean_amount = totals["amount"] / totals["transactions"] if totals["transactions"] else float("nan")
    return [
        ("Total amount", fmt.inr_short(totals["amount"]), fmt.inr(totals["amount"])),
        ("Transactions", fmt.count_short(totals["transactions"]), fmt.count(totals["transactions"])),
        ("Customers", fmt.count_short(totals["customers"]), fmt.count(totals["customers"])),
        ("Mean amount", fmt.inr(mean_amount), "per transaction"),
        ("Mean balance", fmt.inr_short(totals["balance_mean"]), "account balance at the transaction"),
    ]


def overview(snapshot: Snapshot, activity: pd.DataFrame) -> list[Panel]:
    by_gender = summary(activity, ["gender"]).sort_values("amount", ascending=False)
    by_age = _ordered(summary(activity, ["age_band"]), AGE_BAND_ORDER)
    per_day = _daily(activity)
    days = [d.strftime("%d %b") for d in per_day.index]
    return [
        Panel("Spend by gender", charts.hbar("spend-by-gender", list(by_gender.index), {"Amount": _series(by_gender, "amount")}, fmt.inr_short),
              "Sum of transaction amounts; gender as recorded on the transaction (unknown when missing or unreadable)."),
        Panel("Customers by gender", charts.hbar("customers-by-gender", list(by_gender.index), {"Customers": _series(by_gender, "customers")}, fmt.count_short),
              "Distinct customers with a transaction in the selection."),
        Panel("Customers by age group", charts.vbar("customers-by-age", list(by_age.index), {"Customers": _series(by_age, "customers")}, fmt.count_short),
              "Age at the transaction; unknown when the birth date is missing or a placeholder."),
        Panel("Spend by age group", charts.vbar("spend-by-age", list(by_age.index), {"Amount": _series(by_age, "amount")}, fmt.inr_short),
              "Sum of transaction amounts per age group."),
        Panel("Transactions per day", charts.line("transactions-per-day", days, {"Transactions": _series(per_day, "transactions")}, fmt.count_short),
              "Number of transactions on each transaction date.", wide=True),
    ]


def transactions(snapshot: Snapshot, activity: pd.DataFrame) -> list[Panel]:
    per_day = _daily(activity)
    days = [d.strftime("%d %b") for d in per_day.index]
    age_month = activity.assign(month=_months(activity)).groupby(["age_band", "month"], observed=True)["amount"].sum().unstack("month")
    age_month = age_month.reindex([band for band in AGE_BAND_ORDER if band in age_month.index])
    categories = _ordered(summary(activity, ["amount_category"]), AMOUNT_CATEGORY_ORDER)
    top_cities = summary(activity, ["city"]).nlargest(TOP_N, "amount").index
    city_gender = (
        activity[activity["city"].isin(top_cities)].groupby(["city", "gender"], observed=True)["amount"].sum().unstack("gender", fill_value=0.0)
    ).reindex(top_cities)
    return [
        Panel("Amount per day", charts.line("amount-per-day", days, {"Amount": _series(per_day, "amount")}, fmt.inr_short),
              "Sum of transaction amounts per transaction date."),
        Panel("Customers per day", charts.line("customers-per-day", days, {"Customers": _series(per_day, "customers")}, fmt.count_short),
              "Distinct customers transacting on each date."),
        Panel("Spend per age group and month",
              charts.heatmap("age-spend-per-month", list(age_month.index), [_month_label(m) for m in age_month.columns],
                             age_month.values.tolist(), fmt.inr_short),
              "Sum of transaction amounts; darker is more.", wide=True),
        Panel("Customers per amount category",
              charts.vbar("customers-per-amount-category", list(categories.index),
                          {"Customers": _series(categories, "customers"), "Transactions": _series(categories, "transactions")}, fmt.count_short),
              amount_category_note() + " A customer with transactions in two categories counts in both."),
        Panel("Top 10 locations by spend, by gender",
              charts.hbar("top-locations-by-gender", list(city_gender.index), {g: _series(city_gender, g) for g in city_gender.columns}, fmt.inr_short),
              "Sum of transaction amounts in the ten cities with the highest spend, split by gender."),
    ]


def cities(snapshot: Snapshot, activity: pd.DataFrame) -> list[Panel]:
    by_city = summary(activity, ["city"])
    top_amount = by_city.nlargest(TOP_N, "amount")
    top_customers = by_city.nlargest(TOP_N, "customers")
    weekday = summary(activity.assign(weekday=activity["txn_date"].dt.day_name()), ["weekday"]).reindex(WEEKDAYS).dropna(how="all")
    by_age = _ordered(summary(activity, ["age_band"]), AGE_BAND_ORDER)
    tiles = by_city["customers"].sort_values(ascending=False)
    treemap_labels = list(tiles.index[:TREEMAP_CITIES])
    treemap_values = [float(v) for v in tiles.iloc[:TREEMAP_CITIES]]
    if len(tiles) > TREEMAP_CITIES:
        treemap_labels.append(f"{len(tiles) - TREEMAP_CITIES} other cities")
        treemap_values.append(float(tiles.iloc[TREEMAP_CITIES:].sum()))
    return [
        Panel("Top 10 cities by amount", charts.hbar("top-cities-by-amount", list(top_amount.index), {"Amount": _series(top_amount, "amount")}, fmt.inr_short),
              "Sum of transaction amounts per city."),
        Panel("Mean balance in the 10 largest cities", charts.hbar("balance-by-city", list(top_customers.index), {"Mean balance": _series(top_customers, "balance_mean")}, fmt.inr_short),
              "Mean account balance at the transaction, in the ten cities with the most customers."),
        Panel("Amount by day of the week", charts.vbar("amount-by-weekday", [d[:3] for d in weekday.index], {"Amount": _series(weekday, "amount")}, fmt.inr_short),
              "Sum of transaction amounts per day of the week."),
        Panel("Mean balance by day of the week", charts.vbar("balance-by-weekday", [d[:3] for d in weekday.index], {"Mean balance": _series(weekday, "balance_mean")}, fmt.inr_short),
              "Mean account balance at the transaction."),
        Panel("Customers per city", charts.treemap("customers-per-city", treemap_labels, treemap_values, fmt.count_short),
              f"Distinct customers; the {TREEMAP_CITIES} largest cities, the rest together. Tiles are in proportion to customers.", wide=True),
        Panel("Mean balance by age group", charts.vbar("balance-by-age", list(by_age.index), {"Mean balance": _series(by_age, "balance_mean")}, fmt.inr_short),
              "Mean account balance at the transaction, per age group at the transaction."),
    ]


def monthly(snapshot: Snapshot, activity: pd.DataFrame) -> list[Panel]:
    months = _months(activity)
    per_month = summary(activity.assign(month=months), ["month"])
    labels = [_month_label(m) for m in per_month.index]
    categories = _ordered(summary(activity, ["amount_category"]), AMOUNT_CATEGORY_ORDER)
    rhythm = (
        activity.assign(month=months, weekday=activity["txn_date"].dt.day_name())
        .groupby(["month", "weekday"], observed=True)["transactions"].sum().unstack("weekday")
    )
    rhythm = rhythm.reindex(columns=[d for d in WEEKDAYS if d in rhythm.columns])
    return [
        Panel("Mean balance per month", charts.vbar("balance-per-month", labels, {"Mean balance": _series(per_month, "balance_mean")}, fmt.inr_short),
              "Mean account balance at the transaction."),
        Panel("Transactions per month", charts.vbar("transactions-per-month", labels, {"Transactions": _series(per_month, "transactions")}, fmt.count_short),
              "Number of transactions."),
        Panel("Amount per amount category", charts.vbar("amount-per-category", list(categories.index), {"Amount": _series(categories, "amount")}, fmt.inr_short),
              amount_category_note()),
        Panel("Weekly rhythm of each month",
              charts.heatmap("weekday-per-month", [_month_label(m) for m in rhythm.index], [d[:3] for d in rhythm.columns],
                             rhythm.values.tolist(), fmt.count_short),
              "Transactions per day of the week in each month; darker is more.", wide=True),
    ]


def segments(snapshot: Snapshot, activity: pd.DataFrame) -> list[Panel]:
    names = snapshot.segment_names()

    def label(segment_id: int) -> str:
        return f"{segment_id} · {names.get(segment_id, 'retired segment')}" if segment_id != NOT_SCORED else "not scored"

    scored = activity[activity["segment_id"] != NOT_SCORED]
    sizes = summary(scored, ["segment_id"]).sort_index()
    total = sizes["customers"].sum()
    top_cities = summary(scored, ["city"]).nlargest(8, "customers").index
    by_city = scored[scored["city"].isin(top_cities)].groupby(["segment_id", "city"], observed=True)["customer_key"].nunique().unstack("city")
    by_city = by_city.reindex(columns=top_cities)
    by_age = scored.groupby(["segment_id", "age_band"], observed=True)["customer_key"].nunique().unstack("age_band")
    by_age = by_age.reindex(columns=[band for band in AGE_BAND_ORDER if band in by_age.columns])
    by_gender = scored.groupby(["segment_id", "gender"], observed=True)["customer_key"].nunique().unstack("gender", fill_value=0)
    return [
        Panel("Segments at a glance", profile_table(snapshot), "Sizes and profiles of the whole snapshot (filters do not apply); "
              "medians per customer. Over-represented: the city or age group most typical of the segment against all customers "
              "(× how many times more likely), among those holding at least 1% of it. Names and ids stay with a segment across retrains.",
              wide=True),
        Panel("Customers per segment", charts.hbar("segment-sizes", [label(s) for s in sizes.index], {"Customers": _series(sizes, "customers")},
              lambda v: f"{fmt.count_short(v)} ({fmt.share(v / total if total else 0)})"),
              "Distinct customers of each segment among those in the selection, with their share.", wide=True),
        Panel("Profile on the model's inputs", profile_heatmap(snapshot, label),
              "Mean of each model input in standard deviations from all customers at training; red above, blue below. "
              "Whole snapshot: filters do not apply.", wide=True),
        Panel("Segments by city", _segment_heatmap("segment-by-city", by_city, label), "Customers in the eight cities with the most customers; a customer who transacted in two of them counts in both.", wide=True),
        Panel("Segments by age group", _segment_heatmap("segment-by-age", by_age, label), "Customers per age group at the transaction; a customer whose birthday fell between two transactions counts in both groups.", wide=True),
        Panel("Segments by gender", charts.hbar("segment-by-gender", [label(s) for s in by_gender.index], {g: _series(by_gender, g) for g in by_gender.columns}, fmt.count_short),
              "Customers per gender.", wide=True),
        Panel("Migration since the previous scoring", migration_heatmap(snapshot, label),
              f"Customers per (previous segment, segment now); previous scoring: {snapshot.migration_previous or 'none, so every customer is new'}. "
              "Whole snapshot: filters do not apply.", wide=True),
        Panel("Model versions", model_history_table(snapshot), "Every version of bank_customer_segmentation registered when the marts were built; "
              "the champion scores the daily runs. Filters do not apply.", wide=True),
        Panel("Silhouette by model version", silhouette_chart(snapshot), "Silhouette of the chosen k: exact on the training sample and by Spark on every customer. "
              "Filters do not apply."),
        Panel("Feature drift since training", drift_chart(snapshot),
              f"Population stability index of each model input, training snapshot vs now: under {PSI_MODERATE} stable, "
              f"{PSI_MODERATE} to {PSI_SIGNIFICANT} moderate, above {PSI_SIGNIFICANT} significant (retrain). Whole snapshot: filters do not apply."),
    ]


def _segment_heatmap(name: str, table: pd.DataFrame, label: Callable[[int], str]) -> str:
    return charts.heatmap(name, [label(s) for s in table.index], [str(c) for c in table.columns],
                          table.values.tolist(), fmt.count_short)


def profile_heatmap(snapshot: Snapshot, label: Callable[[int], str]) -> str:
    table = snapshot.segment_features.sort_values("segment_id").set_index("segment_id")
    columns = [c for c in table.columns if c not in ("segment_name", "customers")]
    return charts.heatmap("segment-profile", [label(s) for s in table.index], columns, table[columns].values.tolist(),
                          lambda v: f"{v:+.2f}", diverging=True)


def migration_heatmap(snapshot: Snapshot, label: Callable[[int], str]) -> str:
    moves = snapshot.segment_migration
    if moves.empty:
        return charts.heatmap("segment-migration", [], [], [], fmt.count_short)
    moves = moves.assign(source=moves["from_segment_id"].map(lambda s: "new customers" if pd.isna(s) else label(int(s))))
    table = moves.pivot_table(index="source", columns="to_segment_id", values="customers", aggfunc="sum")
    # Rows name the segment; columns are the ids it moved to, so the matrix stays readable.
    return charts.heatmap("segment-migration", list(table.index), [f"to {int(c)}" for c in table.columns],
                          table.values.tolist(), fmt.count_short)


def silhouette_chart(snapshot: Snapshot) -> str:
    history = snapshot.model_history
    labels = [f"v{v}" for v in history["version"]] if not history.empty else []
    return charts.line("silhouette-by-version", labels, {
        "silhouette (exact, evaluation sample)": _series(history, "silhouette") if labels else [],
        "stability ARI (worst bootstrap refit)": _series(history, "stability_ari") if labels else [],
    }, lambda v: f"{v:.3f}")


def drift_chart(snapshot: Snapshot) -> str:
    drift = snapshot.feature_drift.sort_values("psi", ascending=False)
    if drift.empty:
        return '<p class="empty">No drift figures: the features of the snapshot the model was trained on are not in the warehouse.</p>'
    return charts.hbar("feature-drift", list(drift["feature"]), {"PSI": _series(drift, "psi")}, lambda v: f"{v:.3f}")


def _table(name: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if cell is None else str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="data" data-table="{name}" data-rows="{len(rows)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def profile_table(snapshot: Snapshot) -> str:
    rows = [
        [str(r.segment_id), r.segment_name, r.segment_description or "", fmt.count(r.customers), fmt.share(r.share),
         fmt.inr(r.median_balance), fmt.inr(r.median_spend), fmt.decimal(r.mean_frequency, 1), fmt.count(r.median_recency_days),
         _distinctive(r.distinctive_city, r.distinctive_city_lift), _distinctive(r.distinctive_age_band, r.distinctive_age_band_lift)]
        for r in snapshot.segment_profiles.itertuples()
    ]
    return _table("segment-profiles", ["Id", "Segment", "Description", "Customers", "Share", "Median balance", "Median spend per txn",
                                       "Mean txns", "Median days since last txn", "Over-represented city", "Over-represented age group"], rows)


def _distinctive(value: str | None, lift: float | None) -> str:
    """``PUNE (×1.8)``: the value, and how many times more likely the segment's customers hold it than anyone."""
    return "" if value is None or pd.isna(value) else f"{value} (×{fmt.decimal(lift, 1)})"


def model_history_table(snapshot: Snapshot) -> str:
    scored_with = set(snapshot.segment_profiles["model_version"]) if snapshot.scored else set()
    rows = [
        [f"v{r.version}" + (" (champion)" if r.champion else "") + (" · scored this snapshot" if r.version in scored_with else ""), r.created_at.strftime("%Y-%m-%d %H:%M"), r.snapshot_date or "",
         fmt.decimal(r.chosen_k, 0), fmt.decimal(r.silhouette, 3), fmt.decimal(r.stability_ari, 3), fmt.decimal(r.stability_ari_mean, 3),
         fmt.share(r.min_share), r.quality_gates or ""]
        for r in snapshot.model_history.itertuples()
    ]
    return _table("model-history", ["Version", "Registered (UTC)", "Trained on", "k", "Silhouette (sample)", "Stability ARI (worst)",
                                    "Stability ARI (mean)", "Smallest segment", "Quality gates"], rows)


BUILDERS = {"overview": overview, "transactions": transactions, "cities": cities, "monthly": monthly, "segments": segments}


def build(slug: str, snapshot: Snapshot, filters: Filters) -> Page:
    title, description = DASHBOARDS[slug]
    page = Page(slug, title, description)
    activity = filters.apply(snapshot.activity)
    page.kpis = kpis(activity)
    if slug == "segments" and not snapshot.scored:
        page.message = (
            f"No segments for {snapshot.snapshot_date} yet: no model was champion when the daily run scored. "
            "Run the DAG bank_segmentation_training (make run does it), or promote a version with `make promote VERSION=n`."
        )
        return page
    page.panels = BUILDERS[slug](snapshot, activity)
    return page
