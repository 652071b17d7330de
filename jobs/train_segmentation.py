"""Spark training: a seeded sample decides k and the centroids, then the centroids segment every customer.

    spark-submit jobs/train_segmentation.py --run-date 2016-10-21 --data-dir data [--chosen-k 6 ...]

``--run-date`` picks the features snapshot (the latest one on or before it); every other flag is a
field of ``bankseg.training_parameters.TrainingParameters``. The steps, as in docs/segmentation.md:

1. **Preprocessing** on every customer (Spark): imputation median, means and standard deviations.
2. **Sample**: a seeded uniform sample of ``sample_customers`` (600,000) customers, drawn by a hash
   of the customer id, so it does not depend on how Spark splits the files; seeded subsets of it for
   the k-sweep (``sweep_customers``) and for exact silhouettes and Ward clustering.
3. **k-sweep** on the sweep subset (scikit-learn): KMeans and bisecting KMeans for every k, Ward on
   the evaluation sample; silhouette, Davies-Bouldin, Calinski-Harabasz, WCSS per k.
4. **Chosen fit**: KMeans at the chosen k, best of ``restarts`` starts, run until its centres settle
   (``tolerance``) within ``max_iterations``; a fit that hits the budget is flagged.
5. **Stability**: the same procedure refitted on ``stability_seeds`` bootstrap samples of the sample;
   the gate takes the worst adjusted Rand index between the chosen model's segments of the sample
   and a refit's.
6. **Every customer** (Spark): the centroids as a native expression give each customer's segment,
   the segment sizes and profiles.
7. **Names and gates**, then **MLflow**: one parent run, a nested run per (algorithm, k), plots, a
   report; the model is logged as code with its parameters as plain data, registered, and made
   champion only if every gate passed.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bankseg import tracking, training_parameters, training_report
from bankseg.layout import DataLayout
from bankseg.features import features_digest, row_digest
from bankseg.model_spec import INPUT_COLUMNS, MODEL_INPUTS, REGISTERED_MODEL
from bankseg.run_records import write_run_record
from bankseg.snapshot import PublishedSnapshot
from bankseg.segmentation import GateEvidence, Preprocessing, SegmentationParameters, name_segments, nearest, quality_gate_failures
from bankseg.marts import DRIFT_BINS
from bankseg.spark import preload, run_job_from_command_line, timed
from bankseg.spark_model import nearest_centroid, scaled_columns
from bankseg.training_parameters import TrainingParameters

JOB_NAME = "train_segmentation"
# The run's self-contained HTML report, shown by the MLflow UI among the run's artifacts.
REPORT_FILE = "training_report.html"
PROFILE_COLUMNS = ("balance_latest", "monetary_mean", "recency_days")  # medians; frequency is a mean
# Sampling by hash: a customer is in the sample when its hash falls below fraction * HASH_RANGE.
HASH_RANGE = 1 << 40
MODEL_FILE = Path(__file__).resolve().parents[1] / "bankseg" / "segmentation_pyfunc.py"


class TrainingDataError(ValueError):
    """The snapshot cannot be trained on at all (no customers); the message says what to do."""


# ---------------------------------------------------------------- 1. snapshot and preprocessing


def latest_snapshot(layout: DataLayout, run_date: str) -> str:
    snapshot = layout.latest_snapshot_date(run_date)
    if snapshot is None:
        raise FileNotFoundError(f"no customer features snapshot on or before {run_date} under {layout.snapshots}: run the daily DAG first")
    return snapshot


@dataclass(frozen=True)
class SnapshotStatistics:
    customers: int
    digest: str
    preprocessing: Preprocessing


def content_hash(features: DataFrame, snapshot_date: str) -> str:
    """Order-independent digest of what the training reads (``bankseg.features.features_digest``)."""
    return snapshot_statistics(features, snapshot_date).digest


def snapshot_statistics(features: DataFrame, snapshot_date: str) -> SnapshotStatistics:
    """In one pass over every customer: the count, the digest (``content_hash``), and the
    preprocessing: the imputation median, then the means and standard deviations of the transformed
    inputs. An imputed input's moments come from its known values and the median that fills the
    rest: n * mean = sum(known) + missing * filled, and likewise for the squares."""
    aggregates = [F.count("*").alias("customers"), F.sum(row_digest(features)).alias("digest")]
    for spec in MODEL_INPUTS:
        value = F.col(spec.column).cast("double")
        value = F.log1p(value) if spec.log else value
        if spec.impute:
            aggregates += [F.percentile_approx(spec.column, 0.5).cast("double").alias(f"median_{spec.column}"),
                           F.count(spec.column).alias(f"known_{spec.column}")]
        aggregates += [F.sum(value).alias(f"sum_{spec.column}"), F.sum(value * value).alias(f"squares_{spec.column}")]
    row = features.agg(*aggregates).first()
    customers = int(row["customers"])
    medians, means, stds = {}, [], []
    for spec in MODEL_INPUTS:
        total, squares = float(row[f"sum_{spec.column}"] or 0.0), float(row[f"squares_{spec.column}"] or 0.0)
        if spec.impute:
            # A snapshot where the input is never known imputes 0: the feature then carries no information.
            median = row[f"median_{spec.column}"]
            medians[spec.column] = float(median) if median is not None else 0.0
            filled = math.log1p(medians[spec.column]) if spec.log else medians[spec.column]
            missing = customers - int(row[f"known_{spec.column}"])
            total, squares = total + missing * filled, squares + missing * filled * filled
        mean = total / max(customers, 1)
        means.append(mean)
        # A constant input (every customer alike) is left unscaled rather than divided by zero.
        stds.append(math.sqrt(max(squares / max(customers, 1) - mean * mean, 0.0)) or 1.0)
    digest = features_digest(row["digest"], snapshot_date)
    return SnapshotStatistics(customers, digest, Preprocessing(medians=medians, means=means, stds=stds))


# ---------------------------------------------------------------- 2. the sample


@dataclass(frozen=True)
class TrainingSample:
    points: np.ndarray  # scaled model inputs, one row per sampled customer, sorted by customer id
    sweep: np.ndarray  # a seeded subset of ``points`` for the k-sweep
    evaluation: np.ndarray  # a seeded subset of ``sweep`` for the exact, pairwise metrics
    customers: int  # every customer of the snapshot

    @property
    def distinct_points(self) -> int:
        return len(np.unique(self.points, axis=0)) if len(self.points) else 0


def draw_sample(features: DataFrame, preprocessing: Preprocessing, customers: int, parameters: TrainingParameters) -> TrainingSample:
    """A uniform sample of ``sample_customers``: a customer is in it when a seeded hash of its id is
    low enough, so the same snapshot and seed give the same sample on any cluster."""
    fraction = min(1.0, parameters.sample_customers / max(customers, 1))
    scaled = features.select("customer_id", *[column.alias(f"x{i}") for i, column in enumerate(scaled_columns(preprocessing))])
    if fraction < 1.0:
        bucket = F.pmod(F.xxhash64("customer_id", F.lit(parameters.seed)), F.lit(HASH_RANGE))
        scaled = scaled.where(bucket < F.lit(int(fraction * HASH_RANGE)))
    frame = scaled.toPandas().sort_values("customer_id", kind="stable")
    points = frame[[f"x{i}" for i in range(len(MODEL_INPUTS))]].to_numpy(dtype=float)
    order = np.random.default_rng(parameters.seed).permutation(len(points))
    sweep = points[order[: parameters.sweep_customers]]
    return TrainingSample(points=points, sweep=sweep, evaluation=sweep[: parameters.evaluation_customers], customers=customers)


# ---------------------------------------------------------------- 3.-5. fits on the sample


@dataclass(frozen=True)
class Fit:
    """One clustering of the sample: centroids (scaled space) and how it was found."""

    algorithm: str
    k: int
    points: np.ndarray  # what was fitted
    centroids: np.ndarray
    labels: np.ndarray  # of ``points``
    iterations: int | None  # None where the algorithm does not report them
    seconds: float
    converged: bool

    @property
    def wcss(self) -> float:
        return float(((self.points - self.centroids[self.labels]) ** 2).sum())


def fit_kmeans(points: np.ndarray, k: int, seed: int, parameters: TrainingParameters, restarts: int | None = None) -> Fit:
    """KMeans, best of ``restarts`` k-means++ starts (the parameters' by default), until the centres
    settle or the budget is spent."""
    from sklearn.cluster import KMeans

    started = time.monotonic()
    clusters = min(k, len(points))
    with warnings.catch_warnings():
        # Fewer distinct points than k (a tiny or degenerate snapshot): the gates say so.
        warnings.simplefilter("ignore")
        # On single precision: half the memory traffic of each Lloyd pass, and the scaled inputs
        # need no more than float32's seven digits.
        model = KMeans(
            n_clusters=clusters, n_init=restarts or parameters.restarts, max_iter=parameters.max_iterations,
            tol=parameters.tolerance, random_state=seed,
        ).fit(points.astype(np.float32))
    centroids = model.cluster_centers_.astype(float)
    if clusters < k:  # more segments asked for than customers: the extra centroids repeat the last one
        centroids = np.vstack([centroids, np.repeat(centroids[-1:], k - clusters, axis=0)])
    return Fit(
        "kmeans", k, points, centroids, model.labels_, int(model.n_iter_), time.monotonic() - started,
        converged=int(model.n_iter_) < parameters.max_iterations,
    )


def fit_bisecting(points: np.ndarray, k: int, seed: int, parameters: TrainingParameters) -> Fit:
    from sklearn.cluster import BisectingKMeans

    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BisectingKMeans(
            n_clusters=min(k, len(points)), n_init=1, max_iter=parameters.max_iterations, tol=parameters.tolerance,
            random_state=seed, bisecting_strategy="largest_cluster",
        ).fit(points)
    return Fit("bisecting_kmeans", k, points, model.cluster_centers_, model.labels_, None, time.monotonic() - started, True)


def silhouette_values(points: np.ndarray, labels: np.ndarray, chunk: int = 1_000) -> np.ndarray:
    """Each point's silhouette, (b - a) / max(a, b), as scikit-learn defines it (0 in a cluster of
    one), from Euclidean distances computed a block of rows at a time with matrix products: the
    evaluation sample's 25 million distances in a fraction of scikit-learn's time for 4 inputs."""
    clusters, index = np.unique(labels, return_inverse=True)
    members = np.zeros((len(points), len(clusters)))
    members[np.arange(len(points)), index] = 1.0
    sizes = members.sum(axis=0)
    squares = (points * points).sum(axis=1)
    values = np.zeros(len(points))
    for start in range(0, len(points), chunk):
        block = slice(start, start + chunk)
        distances = np.sqrt(np.maximum(squares[block, None] + squares[None, :] - 2.0 * points[block] @ points.T, 0.0))
        sums = distances @ members  # per point of the block: summed distance to each cluster
        own = index[block]
        rows = np.arange(len(own))
        own_size = sizes[own]
        a = sums[rows, own] / np.maximum(own_size - 1, 1)
        means = sums / sizes[None, :]
        means[rows, own] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (b - a) / np.maximum(a, b)
        values[block] = np.where(own_size > 1, np.nan_to_num(value), 0.0)
    return values


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette; NaN unless 1 < clusters < points (undefined otherwise)."""
    found = len(np.unique(labels))
    return float(silhouette_values(points, labels).mean()) if 1 < found < len(points) else float("nan")


def clustering_metrics(fit: Fit, evaluation: np.ndarray) -> dict[str, float]:
    """Silhouette and Davies-Bouldin (exact, evaluation sample), Calinski-Harabasz and WCSS (sample),
    smallest share (sample), iterations and time. NaN where a metric is undefined (one cluster)."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    evaluation_labels = nearest(evaluation, fit.centroids)
    found = len(set(fit.labels.tolist()))
    sizes = np.bincount(fit.labels, minlength=fit.k)
    metrics = {
        "silhouette_sample": float("nan"), "davies_bouldin": float("nan"), "calinski_harabasz": float("nan"),
        "wcss": fit.wcss, "min_share": float(sizes.min() / max(len(fit.labels), 1)),
        "fit_seconds": fit.seconds, "converged": float(fit.converged),
    }
    if fit.iterations is not None:
        metrics["iterations"] = float(fit.iterations)
    metrics["silhouette_sample"] = silhouette(evaluation, evaluation_labels)
    if 1 < found < len(fit.points):
        metrics["davies_bouldin"] = float(davies_bouldin_score(fit.points, fit.labels))
        metrics["calinski_harabasz"] = float(calinski_harabasz_score(fit.points, fit.labels))
    return metrics


def k_sweep(sample: TrainingSample, parameters: TrainingParameters) -> dict[str, dict[int, dict[str, float]]]:
    """Metrics per algorithm and k: KMeans and bisecting KMeans on the sweep subset, Ward on the evaluation sample."""
    fitters = {
        "kmeans": lambda k: fit_kmeans(sample.sweep, k, parameters.seed, parameters, restarts=parameters.sweep_restarts),
        "bisecting_kmeans": lambda k: fit_bisecting(sample.sweep, k, parameters.seed, parameters),
    }
    sweep: dict[str, dict[int, dict[str, float]]] = {}
    for algorithm in [a for a in parameters.algorithms if a in fitters]:
        sweep[algorithm] = {k: clustering_metrics(fitters[algorithm](k), sample.evaluation) for k in parameters.ks}
    if "agglomerative" in parameters.algorithms:
        sweep["agglomerative"] = ward_sweep(sample.evaluation, parameters.ks)
    return sweep


def ward_linkage(points: np.ndarray) -> np.ndarray | None:
    """The Ward merge tree of ``points`` (scipy's linkage matrix); None below two points."""
    from scipy.cluster.hierarchy import linkage

    return linkage(points, method="ward") if len(points) >= 2 else None


def ward_sweep(points: np.ndarray, ks: list[int]) -> dict[int, dict[str, float]]:
    """Ward clustering of the evaluation sample once, cut at each k."""
    from scipy.cluster.hierarchy import fcluster
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    tree = ward_linkage(points)
    results = {}
    for k in ks:
        metrics = {"silhouette_sample": float("nan"), "davies_bouldin": float("nan"), "calinski_harabasz": float("nan"),
                   "wcss": float("nan"), "min_share": float("nan")}
        if tree is not None:
            labels = fcluster(tree, k, criterion="maxclust") - 1
            sizes = np.bincount(labels)
            centroids = np.array([points[labels == c].mean(axis=0) for c in range(len(sizes))])
            metrics["wcss"] = float(((points - centroids[labels]) ** 2).sum())
            metrics["min_share"] = float(sizes.min() / len(points))
            if 1 < len(sizes) < len(points):
                metrics["silhouette_sample"] = silhouette(points, labels)
                metrics["davies_bouldin"] = float(davies_bouldin_score(points, labels))
                metrics["calinski_harabasz"] = float(calinski_harabasz_score(points, labels))
        results[k] = metrics
    return results


@dataclass(frozen=True)
class Stability:
    ari: list[float]  # one per bootstrap refit
    unconverged: list[str]  # "stability refit 2 (300 iterations)"

    @property
    def worst(self) -> float:
        return min(self.ari) if self.ari else float("nan")

    @property
    def mean(self) -> float:
        return float(np.mean(self.ari)) if self.ari else float("nan")

    @property
    def spread(self) -> float:
        return float(max(self.ari) - min(self.ari)) if self.ari else float("nan")


def stability_check(sample: TrainingSample, chosen: Fit, parameters: TrainingParameters) -> Stability:
    """The chosen procedure refitted on ``stability_seeds`` bootstrap samples of the training sample;
    per refit, the adjusted Rand index between the chosen model's and the refit's segments of every
    sampled customer (bootstrap against the original fit, as in Hennig's clusterboot)."""
    from sklearn.metrics import adjusted_rand_score

    chosen_segments = nearest(sample.points, chosen.centroids)
    aris, unconverged = [], []
    for refit in range(parameters.stability_seeds):
        rng = np.random.default_rng([parameters.seed, refit])
        boot = sample.points[rng.integers(0, len(sample.points), len(sample.points))]
        fit = fit_kmeans(boot, chosen.k, parameters.seed + 1 + refit, parameters)
        if not fit.converged:
            unconverged.append(f"stability refit {refit + 1} ({fit.iterations} iterations)")
        aris.append(float(adjusted_rand_score(chosen_segments, nearest(sample.points, fit.centroids))))
    return Stability(aris, unconverged)


# ---------------------------------------------------------------- 6. every customer


def segment_every_customer(features: DataFrame, preprocessing: Preprocessing, centroids: np.ndarray) -> tuple[pd.DataFrame, pd.Series, float]:
    """Per centroid and for everyone: medians of balance, spend and recency, mean frequency, size;
    and the within-cluster sum of squares over every customer. One pass over the snapshot: the
    per-cluster rows and the all-customer row come from one rollup."""
    scaled = scaled_columns(preprocessing)
    cluster = nearest_centroid(scaled, centroids.tolist())
    squared = None
    for value, column in zip(scaled, range(len(scaled))):
        difference = value - F.element_at(F.array(*[F.lit(float(c[column])) for c in centroids]), cluster + 1)
        squared = difference * difference if squared is None else squared + difference * difference
    assigned = features.select(*PROFILE_COLUMNS, "frequency", cluster.alias("cluster"), squared.alias("squared_distance"))
    rows = assigned.rollup("cluster").agg(
        *[F.percentile_approx(column, 0.5).cast("double").alias(column) for column in PROFILE_COLUMNS],
        F.avg("frequency").alias("frequency"),
        F.count("*").alias("customers"),
        F.sum("squared_distance").alias("wcss"),
        F.grouping("cluster").alias("everyone"),
    ).toPandas()
    everyone = rows[rows["everyone"] == 1].iloc[0]
    per_cluster = rows[rows["everyone"] == 0].set_index("cluster")
    # One row per centroid, in centroid order; a centroid no customer is nearest to has no customers.
    per_cluster = per_cluster.reindex(range(len(centroids))).fillna({"customers": 0, "wcss": 0.0})
    return per_cluster.drop(columns=["wcss", "everyone"]), everyone.drop(["wcss", "everyone", "cluster"]), float(everyone["wcss"] or 0.0)


def drift_reference(sample: TrainingSample) -> dict[str, dict[str, list]]:
    """Per model input: the training sample's deciles (the daily drift check's bins) and its customers
    in each bin, bin i holding values in (edge[i-1], edge[i]]."""
    reference = {}
    for index, column in enumerate(INPUT_COLUMNS):
        values = sample.points[:, index]
        # A feature with many equal values has fewer distinct deciles.
        edges = sorted(set(np.quantile(values, [i / DRIFT_BINS for i in range(1, DRIFT_BINS)]).tolist())) if len(values) else []
        counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1).tolist()
        reference[column] = {"edges": edges, "counts": counts}
    return reference


# ---------------------------------------------------------------- 7. names, gates, MLflow


def champion_parameters(layout: DataLayout) -> SegmentationParameters | None:
    """The current champion's parameters, read as data from the registry; None before the first."""
    try:
        return tracking.model_parameters(layout, str(tracking.champion_version(layout).version))
    except tracking.NoChampionError:
        return None


def log_sweep(sweep: dict[str, dict[int, dict[str, float]]], parameters: TrainingParameters, rows: dict[str, int]) -> None:
    import mlflow

    for algorithm, results in sweep.items():
        for k, metrics in results.items():
            with mlflow.start_run(run_name=f"{algorithm}-k{k}", nested=True):
                mlflow.log_params({"algorithm": algorithm, "k": k, "seed": parameters.seed, "rows": rows[algorithm],
                                   **({"linkage": "ward"} if algorithm == "agglomerative" else {})})
                mlflow.log_metrics({name: value for name, value in metrics.items() if math.isfinite(value)})


def save_plots(folder: Path, sweep: dict, chosen: Fit, segments, evaluation: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram
    from sklearn.decomposition import PCA

    folder.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(7, 4))
    for algorithm, results in sweep.items():
        ks = sorted(results)
        axis.plot(ks, [results[k]["wcss"] for k in ks], marker="o", label=f"{algorithm}{' (evaluation sample)' if algorithm == 'agglomerative' else ''}")
    axis.set(xlabel="k", ylabel="within-cluster sum of squares", title="Elbow: WCSS against k", yscale="log")
    axis.legend()
    figure.savefig(folder / "elbow.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(7, 4))
    for algorithm, results in sweep.items():
        ks = sorted(results)
        axis.plot(ks, [results[k]["silhouette_sample"] for k in ks], marker="o", label=algorithm)
    axis.set(xlabel="k", ylabel="silhouette (evaluation sample)", title="Silhouette against k")
    axis.legend(fontsize=7)
    figure.savefig(folder / "silhouette_vs_k.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    labels = nearest(evaluation, chosen.centroids)
    names = {index: f"{s.segment_id} {s.name}" for index, s in enumerate(segments)}
    figure, axis = plt.subplots(figsize=(7, 5))
    if 1 < len(set(labels.tolist())) < len(evaluation):
        values = silhouette_values(evaluation, labels)
        bottom = 0
        for cluster in sorted(set(labels.tolist())):
            ordered = np.sort(values[labels == cluster])
            axis.fill_betweenx(np.arange(bottom, bottom + len(ordered)), 0, ordered, alpha=0.8, label=names[cluster])
            bottom += len(ordered) + 20
        axis.axvline(values.mean(), color="black", linestyle="--")
        axis.set_title(f"Silhouette of the chosen model (mean {values.mean():.3f})")
        axis.legend(fontsize=7)
    else:
        axis.set_title("Silhouette of the chosen model: undefined (one segment)")
    axis.set(xlabel="silhouette value", ylabel="customers (evaluation sample)")
    figure.savefig(folder / "silhouette_chosen.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(8, 0.6 * len(segments) + 1.5))
    image = axis.imshow(chosen.centroids, cmap="RdBu_r", vmin=-2.5, vmax=2.5, aspect="auto")
    axis.set_xticks(range(len(MODEL_INPUTS)), list(INPUT_COLUMNS), rotation=20)
    axis.set_yticks(range(len(segments)), [names[i] for i in range(len(segments))])
    figure.colorbar(image, label="centroid, standard deviations from the mean")
    axis.set_title("Segment profiles on the model's inputs")
    figure.savefig(folder / "segment_profiles.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(7, 5))
    if len(evaluation) >= 2:
        projected = PCA(n_components=2, random_state=0).fit_transform(evaluation)
        for cluster in sorted(set(labels.tolist())):
            mask = labels == cluster
            axis.scatter(projected[mask, 0], projected[mask, 1], s=3, alpha=0.5, label=names[cluster])
        axis.legend(fontsize=7, markerscale=4)
    axis.set(xlabel="PC 1", ylabel="PC 2", title="Customers (evaluation sample) projected on two principal components")
    figure.savefig(folder / "projection_2d.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    if "agglomerative" in sweep and (tree := ward_linkage(evaluation)) is not None:
        figure, axis = plt.subplots(figsize=(9, 4))
        dendrogram(tree, truncate_mode="lastp", p=30, ax=axis, no_labels=True)
        axis.set(title="Ward dendrogram of the evaluation sample (last 30 merges)", ylabel="merge distance")
        figure.savefig(folder / "dendrogram.png", dpi=110, bbox_inches="tight")
        plt.close(figure)


def log_model(model: SegmentationParameters, example: pd.DataFrame) -> str:
    """The model as code with its parameters as data (no pickle), registered; returns the version."""
    import mlflow
    from mlflow.models import infer_signature

    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(MODEL_FILE),
        model_config=model.to_dict(),
        signature=infer_signature(example, model.assign(example)),
        input_example=example,
        registered_model_name=REGISTERED_MODEL,
        code_paths=[str(MODEL_FILE.parent)],
        pip_requirements=["mlflow", "numpy", "pandas", "scipy"],
    )
    return str(info.registered_model_version)


# ---------------------------------------------------------------- the run


def run(spark: SparkSession, layout: DataLayout, run_date: str, parameters: TrainingParameters = training_parameters.DEFAULTS) -> dict:
    import mlflow
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.spark_dataset_source import SparkDatasetSource
    from mlflow import MlflowClient

    started = time.monotonic()
    phase_seconds: dict[str, float] = {}
    parameters = parameters.check()
    snapshot = latest_snapshot(layout, run_date)
    snapshot_path = layout.snapshot(snapshot).customer_features
    features = PublishedSnapshot.load(layout, snapshot).features_now(spark).select(
        "customer_id", "recency_days", "frequency", "monetary_mean", "monetary_total", "balance_latest", "last_txn_date")
    with timed(phase_seconds, "read_and_sample"):
        statistics = snapshot_statistics(features, snapshot)
        customers, digest, preprocessing = statistics.customers, statistics.digest, statistics.preprocessing
        if customers == 0:
            raise TrainingDataError(f"the features snapshot {snapshot} has no customers: land transactions and run the daily DAG first")
        sample = draw_sample(features, preprocessing, customers, parameters)
    k = parameters.chosen_k

    experiment_id = tracking.configure(layout)
    with mlflow.start_run(run_name=f"training-{snapshot}") as parent:
        mlflow.log_params({"snapshot_date": snapshot, "customers": customers, "sample_customers_drawn": len(sample.points),
                           "sweep_customers_drawn": len(sample.sweep), "evaluation_customers_drawn": len(sample.evaluation), "inputs": ",".join(INPUT_COLUMNS),
                           **{name: ",".join(value) if isinstance(value, list) else value for name, value in parameters.to_record().items()}})
        mlflow.log_input(MetaDataset(source=SparkDatasetSource(path=snapshot_path), name=f"customer_features@{snapshot}", digest=digest),
                         context="training")

        with timed(phase_seconds, "k_sweep"):
            sweep = k_sweep(sample, parameters)
        with timed(phase_seconds, "log_sweep"):
            log_sweep(sweep, parameters, {"kmeans": len(sample.sweep), "bisecting_kmeans": len(sample.sweep), "agglomerative": len(sample.evaluation)})
        if parameters.selection == "best_silhouette":
            k = max(parameters.ks, key=lambda each: np.nan_to_num(sweep["kmeans"][each]["silhouette_sample"], nan=-1.0))
        with timed(phase_seconds, "chosen_fit"):
            chosen = fit_kmeans(sample.points, k, parameters.seed, parameters)
            chosen_metrics = clustering_metrics(chosen, sample.evaluation)
        with timed(phase_seconds, "stability"):
            stability = stability_check(sample, chosen, parameters)
        with timed(phase_seconds, "every_customer"):
            profiles, population, wcss_all = segment_every_customer(features, preprocessing, chosen.centroids)
        reference = drift_reference(sample)
        previous = champion_parameters(layout)
        segments = name_segments(profiles, population, chosen.centroids, preprocessing, previous)
        shares = (profiles["customers"] / customers).tolist()
        unconverged = ([] if chosen.converged else [f"chosen fit ({chosen.iterations} iterations)"]) + stability.unconverged
        evidence = GateEvidence(k=k, customers=customers, distinct_points=sample.distinct_points, shares=shares,
                                silhouette=chosen_metrics["silhouette_sample"], stability_ari=stability.ari, unconverged_fits=unconverged)
        failures = quality_gate_failures(evidence)
        mlflow.log_metrics({name: value for name, value in {
            "chosen_k": k, "silhouette": evidence.silhouette, "min_share": min(shares), "customers": customers,
            "stability_ari": stability.worst, "stability_ari_mean": stability.mean, "stability_ari_spread": stability.spread,
            "iterations": chosen.iterations, "converged": float(not unconverged), "chosen_fit_seconds": chosen.seconds,
            "wcss_all_customers": wcss_all, "davies_bouldin": chosen_metrics["davies_bouldin"],
        }.items() if value is not None and math.isfinite(value)})

        model = SegmentationParameters(
            preprocessing=preprocessing,
            centroids=chosen.centroids.tolist(),
            segments=segments,
            metadata={"snapshot_date": snapshot, "k": k, "algorithm": "kmeans", "training_run_id": parent.info.run_id,
                      "highest_segment_id": max([s.segment_id for s in segments] + [previous.highest_segment_id() if previous else 0]),
                      # The training snapshot's deciles of each input: the daily drift check compares against them.
                      "drift_reference": reference},
        )
        segment_table = [
            {
                "segment_id": segment.segment_id, "name": segment.name, "description": segment.description,
                "customers": int(profiles.loc[index, "customers"]), "share": shares[index],
                "median_balance": float(profiles.loc[index, "balance_latest"]), "median_spend": float(profiles.loc[index, "monetary_mean"]),
                "mean_frequency": float(profiles.loc[index, "frequency"]), "median_recency_days": float(profiles.loc[index, "recency_days"]),
            }
            for index, segment in enumerate(segments)
        ]
        summary = {"snapshot_date": snapshot, "customers": customers, "chosen_k": k, "silhouette_sample": evidence.silhouette,
                   "stability_ari": stability.worst, "stability_ari_mean": stability.mean, "stability_refits": len(stability.ari),
                   "sample_customers": len(sample.points), "gate_failures": failures}
        with timed(phase_seconds, "plots_and_report"), tempfile.TemporaryDirectory() as folder:
            save_plots(Path(folder) / "plots", sweep, chosen, segments, sample.evaluation)
            (Path(folder) / REPORT_FILE).write_text(training_report.render(summary, segment_table, sweep, Path(folder) / "plots"), encoding="utf-8")
            mlflow.log_artifacts(folder)
        with timed(phase_seconds, "log_model"):
            # The served model takes the inputs as plain numbers (JSON has no decimals).
            example = features.select(*[F.col(c).cast("double").alias(c) for c in INPUT_COLUMNS]).limit(3).toPandas()
            version = log_model(model, example)
        client = MlflowClient()
        client.set_model_version_tag(REGISTERED_MODEL, version, "quality_gates", "passed" if not failures else "; ".join(failures))
        client.set_model_version_tag(REGISTERED_MODEL, version, tracking.SNAPSHOT_DATE_TAG, snapshot)
        client.set_model_version_tag(REGISTERED_MODEL, version, tracking.FEATURES_DIGEST_TAG, digest)
        promoted = tracking.promote(layout, version) if not failures else None
        mlflow.set_tags({"model_version": version, "champion": str(not failures), "gate_failures": "; ".join(failures) or "none"})

    record = {
        "job": JOB_NAME, "run_date": run_date, "snapshot_date": snapshot, "customers": customers,
        "sample_customers": len(sample.points), "experiment_id": experiment_id, "parent_run_id": parent.info.run_id,
        "model_version": version, "chosen_k": k, "silhouette_sample": evidence.silhouette,
        "stability_ari": stability.worst, "stability_ari_refits": stability.ari, "iterations": chosen.iterations,
        "converged": not unconverged, "champion": not failures, "gate_failures": failures, "promotion": promoted,
        "parameters": parameters.to_record(),
        "sweep": {algorithm: {str(each): metrics for each, metrics in results.items()} for algorithm, results in sweep.items()},
        "segments": sorted(segment_table, key=lambda row: row["segment_id"]),
        "seconds": round(time.monotonic() - started, 1),
        "phase_seconds": phase_seconds,
    }
    write_run_record(layout.run_record(run_date, JOB_NAME), json.loads(json.dumps(record, default=float)))
    return record


def summarise(record: dict) -> str:
    verdict = "champion" if record["champion"] else f"NOT champion: {'; '.join(record['gate_failures'])}"
    return (
        f"{JOB_NAME} {record['snapshot_date']}: version {record['model_version']} of {REGISTERED_MODEL}, "
        f"k={record['chosen_k']}, silhouette {record['silhouette_sample']:.3f}, "
        f"stability ARI {record['stability_ari']:.3f} (worst of {len(record['stability_ari_refits'])} refits): {verdict}"
    )


def main(argv: list[str] | None = None) -> None:
    preload("sklearn.cluster", "sklearn.metrics", "mlflow", "matplotlib.pyplot")
    run_job_from_command_line(
        JOB_NAME, __doc__, run, summarise, argv,
        add_arguments=training_parameters.add_arguments,
        job_options=lambda args: {"parameters": training_parameters.from_arguments(args)},
    )


if __name__ == "__main__":
    main()
