"""A training run as one self-contained HTML page: the chosen model, its segments, the k-sweep and its plots.

Logged to MLflow as ``training_report.html`` beside the plots, so the MLflow UI shows it in the
run's artifacts; images are embedded, so the file also reads on its own, offline.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from bankseg.dashboards import formatting as fmt

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2733; margin: 24px; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 10px; border-bottom: 1px solid #dde3ea; text-align: left; }
th { color: #5b6b7c; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.gates { padding: 8px 12px; border-radius: 6px; } .passed { background: #e4f4ea; } .failed { background: #fde8e8; }
figure { display: inline-block; margin: 8px 16px 8px 0; } img { max-width: 520px; border: 1px solid #dde3ea; }
"""
SWEEP_COLUMNS = (
    ("silhouette_sample", "silhouette (evaluation sample)", 3),
    ("wcss", "WCSS", 0),
    ("calinski_harabasz", "Calinski-Harabasz", 0),
    ("davies_bouldin", "Davies-Bouldin", 3),
    ("iterations", "iterations", 0),
)


def _cell(value: Any, places: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '<td class="number">–</td>'
    return f'<td class="number">{value:,.{places}f}</td>'


def _sweep_table(algorithm: str, results: dict[int, dict[str, float]], chosen_k: int | None) -> str:
    columns = [c for c in SWEEP_COLUMNS if any(c[0] in metrics for metrics in results.values())]
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title, _ in columns)
    rows = []
    for k in sorted(results):
        marker = " (chosen)" if k == chosen_k else ""
        cells = "".join(_cell(results[k].get(key), places) for key, _, places in columns)
        rows.append(f"<tr><td>{k}{marker}</td>{cells}</tr>")
    return f"<h3>{html.escape(algorithm)}</h3><table><tr><th>k</th>{head}</tr>{''.join(rows)}</table>"


def _segments_table(segments: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{s['segment_id']}</td><td>{html.escape(s['name'])}</td><td>{html.escape(s.get('description', ''))}</td>"
        f"<td class='number'>{fmt.count(s['customers'])}</td><td class='number'>{fmt.share(s['share'])}</td>"
        f"<td class='number'>{fmt.inr(s['median_balance'])}</td><td class='number'>{fmt.inr(s['median_spend'])}</td>"
        f"<td class='number'>{s['mean_frequency']:.2f}</td><td class='number'>{s['median_recency_days']:.0f}</td></tr>"
        for s in sorted(segments, key=lambda s: s["segment_id"])
    )
    return (
        "<table><tr><th>id</th><th>segment</th><th>description</th><th>customers</th><th>share</th><th>median balance</th>"
        f"<th>median spend per txn</th><th>mean txns</th><th>median days since last txn</th></tr>{rows}</table>"
    )


def render(summary: dict[str, Any], segments: list[dict[str, Any]], sweep: dict[str, dict[int, dict[str, float]]], plots: Path) -> str:
    """``summary`` holds snapshot_date, customers, sample_customers, chosen_k, silhouette_sample,
    stability_ari (worst refit), stability_ari_mean, stability_refits and gate_failures; ``sweep`` maps
    algorithm to k to metrics."""
    failures = summary["gate_failures"]
    gates = (
        '<p class="gates passed">Quality gates passed: this model becomes the champion.</p>'
        if not failures
        else f'<p class="gates failed">Quality gates failed, not champion: {html.escape("; ".join(failures))}</p>'
    )
    figures = "".join(
        f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}">'
        f"<figcaption>{html.escape(path.stem.replace('_', ' '))}</figcaption></figure>"
        for path in sorted(plots.glob("*.png"))
    )
    sweeps = "".join(
        _sweep_table(algorithm, results, summary["chosen_k"] if algorithm == "kmeans" else None)
        for algorithm, results in sweep.items()
        if results  # an algorithm left out of the comparison has no table
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Training report {html.escape(summary['snapshot_date'])}</title><style>{STYLE}</style></head>
<body>
<h1>Customer segmentation: training on snapshot {html.escape(summary['snapshot_date'])}</h1>
<p>KMeans with k={summary['chosen_k']}, fitted on a sample of {fmt.count(summary['sample_customers'])} of
{fmt.count(summary['customers'])} customers; its centroids segment every customer.
Silhouette {summary['silhouette_sample']:.3f} exact on the evaluation sample; stability (adjusted Rand index
between the chosen model's segments and a refit's on a bootstrap sample) {summary['stability_ari']:.3f} at worst over {summary['stability_refits']} refits,
{summary['stability_ari_mean']:.3f} on average.</p>
{gates}
<h2>Segments</h2>
{_segments_table(segments)}
<h2>k-sweep</h2>
{sweeps}
<h2>Plots</h2>
{figures}
</body></html>
"""
