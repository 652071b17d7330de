"""Spark training: k-sweep of KMeans and bisecting KMeans, Ward agglomerative on a sample, tracked
in MLflow; the chosen model registered, and made champion if it passes the quality gates.

    spark-submit jobs/train_segmentation.py --run-date 2016-10-21 --data-dir data \
        [--k-min 2 --k-max 10 --chosen-k 6 --algorithms kmeans,bisecting_kmeans,agglomerative \
         --sample-size 10000 --seed 42 --selection chosen_k]

``--run-date`` picks the features snapshot (the latest one on or before it). Every fit runs in
Spark: the k-sweep and the stability check on all customers, or on a uniform sample of
``--sweep-customers`` (1,000,000) when there are more, and the chosen model always on all customers. The exact silhouette, Davies-Bouldin
and the agglomerative clustering use a fixed-size sample stratified by cluster (scikit-learn, on the
driver: a bounded number of rows).
One MLflow parent run per training, one nested run per (algorithm, k). The chosen model is always
KMeans (k=6 by default, or the best sample silhouette with ``--selection best_silhouette``): its
nearest-centroid rule is exactly what the served model applies to one customer.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.ml.clustering import BisectingKMeans, KMeans
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from bankseg import segmentation, tracking, training_report
from bankseg.layout import DataLayout
from bankseg.run_records import write_run_record
from bankseg.segmentation import MODEL_INPUTS, Preprocessing, SegmentationModel
from bankseg.spark import HadoopFileSystem, run_job_from_command_line

JOB_NAME = "train_segmentation"
# The run's self-contained HTML report, shown by the MLflow UI among the run's artifacts.
REPORT_FILE = "training_report.html"
ALGORITHMS = ("kmeans", "bisecting_kmeans", "agglomerative")
SELECTIONS = ("chosen_k", "best_silhouette")
PROFILE_COLUMNS = ("balance_latest", "monetary_mean", "recency_days")  # medians; frequency is a mean
# KMeans fits per chosen model and per bootstrap sample of the stability check; the best one counts.
RESTARTS = 3
# Customers the k-sweep fits on at most (see run()).
SWEEP_CUSTOMERS = 1_000_000


# ---------------------------------------------------------------- inputs


def latest_snapshot(spark: SparkSession, layout: DataLayout, run_date: str) -> str:
    root = layout.customer_features
    snapshots = [p.rsplit("=", 1)[1] for p in HadoopFileSystem(spark, root).glob(f"{root}/snapshot_date=*")]
    usable = sorted(date for date in snapshots if date <= run_date)
    if not usable:
        raise FileNotFoundError(f"no customer features snapshot on or before {run_date} under {root}: run the daily DAG first")
    return usable[-1]


def fit_preprocessing(features: DataFrame) -> Preprocessing:
    """Training medians for imputation, then means and standard deviations of the transformed inputs."""
    imputed = [spec.column for spec in MODEL_INPUTS if spec.impute]
    row = features.agg(*[F.percentile_approx(column, 0.5).cast("double").alias(column) for column in imputed]).first()
    medians = {column: float(row[column]) for column in imputed}
    unscaled = [transformed_column(spec, medians) for spec in MODEL_INPUTS]
    stats = features.agg(
        *[F.avg(column).alias(f"mean{i}") for i, column in enumerate(unscaled)],
        *[F.stddev_pop(column).alias(f"std{i}") for i, column in enumerate(unscaled)],
    ).first()
    means = [float(stats[f"mean{i}"]) for i in range(len(unscaled))]
    stds = [float(stats[f"std{i}"]) or 1.0 for i in range(len(unscaled))]
    return Preprocessing(medians=medians, means=means, stds=stds)


def transformed_column(spec, medians: dict[str, float]) -> Column:
    value = F.col(spec.column).cast("double")
    if spec.impute:
        value = F.coalesce(value, F.lit(medians[spec.column]))
    return F.log1p(value) if spec.log else value


def with_model_vector(features: DataFrame, preprocessing: Preprocessing) -> DataFrame:
    """The features plus ``x``: the scaled model inputs, exactly as ``Preprocessing.transformed``."""
    scaled = [
        ((transformed_column(spec, preprocessing.medians) - mean) / std).alias(f"x_{spec.column}")
        for spec, mean, std in zip(MODEL_INPUTS, preprocessing.means, preprocessing.stds)
    ]
    frame = features.select("*", *scaled)
    return VectorAssembler(inputCols=[f"x_{spec.column}" for spec in MODEL_INPUTS], outputCol="x").transform(frame)


# ---------------------------------------------------------------- one fit and its metrics


def spark_estimator(algorithm: str, k: int, seed: int):
    # Four standardised inputs converge within 20 Lloyd iterations; each iteration is a pass over
    # all customers, so the cap is what the k-sweep's run time is made of.
    if algorithm == "kmeans":
        return KMeans(k=k, seed=seed, featuresCol="x", predictionCol="cluster", maxIter=20, initSteps=2)
    return BisectingKMeans(k=k, seed=seed, featuresCol="x", predictionCol="cluster", maxIter=10)


def stratified_sample(predictions: DataFrame, k: int, size: int, total: int, seed: int) -> pd.DataFrame:
    """About ``size`` rows, every cluster sampled at the same rate, as a small pandas frame."""
    fraction = min(1.0, size / max(total, 1))
    sampled = predictions.sampleBy("cluster", {cluster: fraction for cluster in range(k)}, seed)
    return sampled.select(vector_to_array("x").alias("x"), "cluster").toPandas()


def sample_metrics(points: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    if len(set(labels.tolist())) < 2:
        return {"silhouette_sample": float("nan"), "davies_bouldin": float("nan"), "calinski_harabasz_sample": float("nan")}
    return {
        "silhouette_sample": float(silhouette_score(points, labels)),
        "davies_bouldin": float(davies_bouldin_score(points, labels)),
        "calinski_harabasz_sample": float(calinski_harabasz_score(points, labels)),
    }


def best_kmeans(data: DataFrame, k: int, seed: int, restarts: int):
    """The lowest-cost of ``restarts`` KMeans fits with different seeds: one fit can stop in a local
    optimum, and the chosen model and its stability check must not depend on that luck."""
    # Fitting a projection, not the cached frame itself, lets KMeans cache its own vectors: on a
    # cached input it rebuilds them from the cache on every pass, which doubles the fit time.
    vectors = data.select("x")
    fits = [spark_estimator("kmeans", k, seed + 1000 * attempt).fit(vectors) for attempt in range(restarts)]
    return min(fits, key=lambda model: model.summary.trainingCost)


def spark_fit(data: DataFrame, algorithm: str, k: int, seed: int, sample_size: int, total: int, restarts: int = 1) -> dict:
    fit_started = time.monotonic()
    if algorithm == "kmeans":
        model = best_kmeans(data, k, seed, restarts)
    else:
        model = spark_estimator(algorithm, k, seed).fit(data.select("x"))
    fit_seconds = time.monotonic() - fit_started
    predictions = model.transform(data)
    sizes = [int(size) for size in model.summary.clusterSizes]
    within = float(model.summary.trainingCost)
    # The inputs are standardised over these rows, so the total sum of squares is rows x inputs.
    between = len(MODEL_INPUTS) * total - within
    found = len(sizes)  # bisecting KMeans stops early when no cluster can be split further
    sample = stratified_sample(predictions, k, sample_size, total, seed)
    points, labels = np.vstack(sample["x"].to_numpy()), sample["cluster"].to_numpy()
    metrics = {
        "silhouette_spark": ClusteringEvaluator(featuresCol="x", predictionCol="cluster").evaluate(predictions),
        **sample_metrics(points, labels),
        "wcss": within,
        "calinski_harabasz": (between / (found - 1)) / (within / (total - found)) if within > 0 and 1 < found < total else float("nan"),
        "min_share": min(sizes) / total,
        "fit_seconds": fit_seconds,  # the fit(s) alone, without the metrics above
        # Equal to maxIter: the fit stopped before its centres settled.
        "iterations": model.summary.numIter,
    }
    return {"model": model, "sizes": sizes, "metrics": metrics, "sample": (points, labels)}


def agglomerative_sweep(points: np.ndarray, ks: list[int]) -> tuple[dict[int, dict], np.ndarray]:
    """Ward clustering of the sample once (scikit-learn), cut at each k; returns per-k results and
    the linkage matrix for the dendrogram."""
    from scipy.cluster.hierarchy import fcluster
    from sklearn.cluster import AgglomerativeClustering

    tree = AgglomerativeClustering(n_clusters=None, distance_threshold=0.0, linkage="ward", compute_distances=True).fit(points)
    counts = np.zeros(len(tree.children_))
    for index, children in enumerate(tree.children_):
        counts[index] = sum(1 if child < len(points) else counts[child - len(points)] for child in children)
    linkage = np.column_stack([tree.children_, tree.distances_, counts]).astype(float)
    results = {}
    for k in ks:
        labels = fcluster(linkage, k, criterion="maxclust") - 1
        centroids = np.array([points[labels == c].mean(axis=0) for c in range(labels.max() + 1)])
        within = float(sum(((points[labels == c] - centroids[c]) ** 2).sum() for c in range(len(centroids))))
        sizes = np.bincount(labels).tolist()
        results[k] = {
            "sizes": sizes,
            "metrics": {**sample_metrics(points, labels), "wcss_sample": within, "min_share": min(sizes) / len(points)},
        }
    return results, linkage


# ---------------------------------------------------------------- the chosen model


def stability_ari(data: DataFrame, k: int, seed: int, points: np.ndarray) -> float:
    """Adjusted Rand index between the chosen procedure (best of ``RESTARTS`` KMeans fits) run on two
    bootstrap samples of half the rows of ``data``, compared on ``points``."""
    from sklearn.metrics import adjusted_rand_score

    labels = []
    for offset in (1, 2):
        boot = data.sample(withReplacement=True, fraction=0.5, seed=seed + offset)
        centroids = np.array(best_kmeans(boot, k, seed + offset, RESTARTS).clusterCenters())
        labels.append(((points[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1))
    return float(adjusted_rand_score(*labels))


def cluster_profiles(predictions: DataFrame, k: int) -> tuple[pd.DataFrame, pd.Series]:
    """Per cluster and for everyone: medians of balance, spend and recency, mean frequency, size."""
    aggregates = [
        *[F.percentile_approx(column, 0.5).cast("double").alias(column) for column in PROFILE_COLUMNS],
        F.avg("frequency").alias("frequency"),
        F.count("*").alias("customers"),
    ]
    per_cluster = predictions.groupBy("cluster").agg(*aggregates).toPandas().set_index("cluster")
    # One row per centroid, in centroid order; a cluster left empty by the fit has no customers.
    per_cluster = per_cluster.reindex(range(k)).fillna({"customers": 0})
    everyone = predictions.agg(*aggregates).toPandas().iloc[0]
    return per_cluster, everyone


def content_hash(features: DataFrame) -> str:
    """Order-independent hash of the snapshot's rows, for the MLflow dataset input."""
    row = features.agg(F.sum(F.xxhash64(*features.columns).cast("decimal(38,0)")).alias("h"), F.count("*")).first()
    return f"{int(row['h'] or 0) & (2**64 - 1):016x}"


# ---------------------------------------------------------------- plots


def save_plots(folder: Path, sweep: dict, agglomerative: dict, linkage, chosen: dict, segments, sample_points, labels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_samples

    folder.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(7, 4))
    for algorithm, results in sweep.items():
        ks = sorted(results)
        axis.plot(ks, [results[k]["metrics"]["wcss"] for k in ks], marker="o", label=algorithm)
    axis.set(xlabel="k", ylabel="within-cluster sum of squares", title="Elbow: cost against k")
    axis.legend()
    figure.savefig(folder / "elbow.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(7, 4))
    for algorithm, results in {**sweep, "agglomerative": agglomerative}.items():
        ks = sorted(results)
        axis.plot(ks, [results[k]["metrics"]["silhouette_sample"] for k in ks], marker="o", label=f"{algorithm} (sample)")
        if algorithm in sweep:
            axis.plot(ks, [results[k]["metrics"]["silhouette_spark"] for k in ks], linestyle="--", label=f"{algorithm} (Spark, all rows)")
    axis.set(xlabel="k", ylabel="silhouette", title="Silhouette against k")
    axis.legend(fontsize=7)
    figure.savefig(folder / "silhouette_vs_k.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    names = {index: f"{s.segment_id} {s.name}" for index, s in enumerate(segments)}
    values = silhouette_samples(sample_points, labels)
    figure, axis = plt.subplots(figsize=(7, 5))
    bottom = 0
    for cluster in sorted(set(labels.tolist())):
        ordered = np.sort(values[labels == cluster])
        axis.fill_betweenx(np.arange(bottom, bottom + len(ordered)), 0, ordered, alpha=0.8, label=names[cluster])
        bottom += len(ordered) + 20
    axis.axvline(values.mean(), color="black", linestyle="--")
    axis.set(xlabel="silhouette value", ylabel="customers (sample)", title=f"Silhouette of the chosen model (mean {values.mean():.3f})")
    axis.legend(fontsize=7)
    figure.savefig(folder / "silhouette_chosen.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    centroids = np.array(chosen["centroids"])
    figure, axis = plt.subplots(figsize=(8, 0.6 * len(segments) + 1.5))
    image = axis.imshow(centroids, cmap="RdBu_r", vmin=-2.5, vmax=2.5, aspect="auto")
    axis.set_xticks(range(len(MODEL_INPUTS)), [spec.column for spec in MODEL_INPUTS], rotation=20)
    axis.set_yticks(range(len(segments)), [names[i] for i in range(len(segments))])
    figure.colorbar(image, label="centroid, standard deviations from the mean")
    axis.set_title("Segment profiles on the model's inputs")
    figure.savefig(folder / "segment_profiles.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    projected = PCA(n_components=2, random_state=0).fit_transform(sample_points)
    figure, axis = plt.subplots(figsize=(7, 5))
    for cluster in sorted(set(labels.tolist())):
        mask = labels == cluster
        axis.scatter(projected[mask, 0], projected[mask, 1], s=3, alpha=0.5, label=names[cluster])
    axis.set(xlabel="PC 1", ylabel="PC 2", title="Customers (sample) projected on two principal components")
    axis.legend(fontsize=7, markerscale=4)
    figure.savefig(folder / "projection_2d.png", dpi=110, bbox_inches="tight")
    plt.close(figure)

    if linkage is not None:
        figure, axis = plt.subplots(figsize=(9, 4))
        dendrogram(linkage, truncate_mode="lastp", p=30, ax=axis, no_labels=True)
        axis.set(title="Ward dendrogram of the sample (last 30 merges)", ylabel="merge distance")
        figure.savefig(folder / "dendrogram.png", dpi=110, bbox_inches="tight")
        plt.close(figure)


# ---------------------------------------------------------------- the run


def run(
    spark: SparkSession,
    layout: DataLayout,
    run_date: str,
    k_min: int = 2,
    k_max: int = 10,
    chosen_k: int = 6,
    algorithms: str = ",".join(ALGORITHMS),
    sample_size: int = 10_000,
    seed: int = 42,
    selection: str = "chosen_k",
    sweep_customers: int = SWEEP_CUSTOMERS,
) -> dict:
    import mlflow
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.spark_dataset_source import SparkDatasetSource
    from mlflow.models import infer_signature

    started = time.monotonic()
    chosen_algorithms = [name.strip() for name in algorithms.split(",") if name.strip()]
    unknown = set(chosen_algorithms) - set(ALGORITHMS)
    if unknown or not k_min >= 2 or not k_min <= chosen_k <= k_max:
        raise ValueError(f"need 2 <= k_min <= chosen_k <= k_max and algorithms from {ALGORITHMS}; got {unknown or (k_min, chosen_k, k_max)}")
    if selection == "best_silhouette" and "kmeans" not in chosen_algorithms:
        raise ValueError("selection best_silhouette picks among the KMeans fits: include kmeans in the algorithms")
    ks = list(range(k_min, k_max + 1))
    snapshot = latest_snapshot(spark, layout, run_date)
    features = spark.read.parquet(f"{layout.customer_features}/snapshot_date={snapshot}")
    # Hashed before anything is cached: the scan reads whole row groups of every column into the
    # heap, and at 44 million customers it ran out of a 2 GB heap whose storage memory the cache
    # below had filled.
    digest = content_hash(features)
    preprocessing = fit_preprocessing(features)
    data = with_model_vector(features, preprocessing).select("customer_id", "x", *segmentation.INPUT_COLUMNS).cache()
    total = data.count()
    # The k-sweep compares k on a uniform sample once the snapshot outgrows ``sweep_customers``:
    # silhouette and cost curves of a million customers already pin k down, and the sweep's 18 fits
    # then take the same time at any size. The stability check draws its bootstrap halves from the
    # same sample: two fits on half a million customers each that agree show the procedure is
    # stable, while six fits on halves of every customer would cost more than the chosen fits
    # themselves. The chosen model is always fitted on every customer.
    if total > sweep_customers:
        sweep_data = data.sample(withReplacement=False, fraction=sweep_customers / total, seed=seed).cache()
        sweep_total = sweep_data.count()
    else:
        sweep_data, sweep_total = data, total

    experiment_id = tracking.configure(layout)
    with mlflow.start_run(run_name=f"training-{snapshot}") as parent:
        mlflow.log_params(
            {"snapshot_date": snapshot, "customers": total, "k_min": k_min, "k_max": k_max, "chosen_k": chosen_k,
             "algorithms": ",".join(chosen_algorithms), "sample_size": sample_size, "seed": seed, "selection": selection,
             "inputs": ",".join(segmentation.INPUT_COLUMNS), "sweep_customers": sweep_total}
        )
        source = SparkDatasetSource(path=f"{layout.customer_features}/snapshot_date={snapshot}")
        dataset = MetaDataset(source=source, name=f"customer_features@{snapshot}", digest=digest)
        mlflow.log_input(dataset, context="training")

        sweep: dict[str, dict[int, dict]] = {}
        for algorithm in [a for a in chosen_algorithms if a != "agglomerative"]:
            sweep[algorithm] = {}
            for k in ks:
                result = spark_fit(sweep_data, algorithm, k, seed, sample_size, sweep_total)
                sweep[algorithm][k] = result
                with mlflow.start_run(run_name=f"{algorithm}-k{k}", nested=True):
                    mlflow.log_params({"algorithm": algorithm, "k": k, "seed": seed, "rows": sweep_total})
                    mlflow.log_metrics(result["metrics"])
                    mlflow.log_dict({"cluster_sizes": result["sizes"]}, "cluster_sizes.json")
        if selection == "best_silhouette":
            chosen_k = max(sweep["kmeans"], key=lambda k: sweep["kmeans"][k]["metrics"]["silhouette_sample"])
        chosen = spark_fit(data, "kmeans", chosen_k, seed, sample_size, total, restarts=RESTARTS)
        sample_points, sample_labels = chosen["sample"]

        agglomerative, linkage = {}, None
        if "agglomerative" in chosen_algorithms:
            agglomerative, linkage = agglomerative_sweep(sample_points, ks)
            for k, result in agglomerative.items():
                with mlflow.start_run(run_name=f"agglomerative-k{k}", nested=True):
                    mlflow.log_params({"algorithm": "agglomerative", "k": k, "linkage": "ward", "rows": len(sample_points)})
                    mlflow.log_metrics(result["metrics"])
                    mlflow.log_dict({"cluster_sizes": result["sizes"]}, "cluster_sizes.json")

        centroids = [list(map(float, center)) for center in chosen["model"].clusterCenters()]
        profiles, population = cluster_profiles(chosen["model"].transform(data), len(centroids))
        try:
            champion = tracking.champion_version(layout)
        except tracking.NoChampionError:  # the first model: names come from the profiles alone
            previous = None
        else:
            previous = mlflow.pyfunc.load_model(f"models:/{segmentation.REGISTERED_MODEL}/{champion.version}").unwrap_python_model()
        segments = segmentation.name_segments(profiles, population, np.array(centroids), preprocessing, previous)
        ari = stability_ari(sweep_data, chosen_k, seed, sample_points)
        shares = [size / total for size in chosen["sizes"]]
        silhouette = chosen["metrics"]["silhouette_sample"]
        failures = segmentation.quality_gate_failures(shares, silhouette, ari)
        mlflow.log_metrics(
            {"chosen_k": chosen_k, "stability_ari": ari, "silhouette": silhouette, "min_share": min(shares),
             # One KMeans fit on every customer: what a retrain of the chosen model costs.
             "chosen_fit_seconds": chosen["metrics"]["fit_seconds"] / RESTARTS,
             "silhouette_spark": chosen["metrics"]["silhouette_spark"], "customers": total}
        )

        model = SegmentationModel(
            preprocessing=preprocessing,
            centroids=centroids,
            segments=segments,
            metadata={
                "snapshot_date": snapshot, "k": chosen_k, "algorithm": "kmeans", "training_run_id": parent.info.run_id,
                "highest_segment_id": max([s.segment_id for s in segments] + [previous.highest_segment_id() if previous else 0]),
            },
        )
        segment_table = [
            {
                "segment_id": segment.segment_id,
                "name": segment.name,
                "customers": int(profiles.loc[index, "customers"]),
                "share": float(profiles.loc[index, "customers"]) / total,
                "median_balance": float(profiles.loc[index, "balance_latest"]),
                "median_spend": float(profiles.loc[index, "monetary_mean"]),
                "mean_frequency": float(profiles.loc[index, "frequency"]),
                "median_recency_days": float(profiles.loc[index, "recency_days"]),
                "description": segment.description,
            }
            for index, segment in enumerate(segments)
        ]
        with tempfile.TemporaryDirectory() as folder:
            save_plots(Path(folder) / "plots", sweep, agglomerative, linkage, {"centroids": centroids}, segments, sample_points, sample_labels)
            report_summary = {"snapshot_date": snapshot, "customers": total, "chosen_k": chosen_k, "silhouette_sample": silhouette,
                              "silhouette_spark": chosen["metrics"]["silhouette_spark"], "stability_ari": ari, "gate_failures": failures}
            report_sweep = {name: {k: result["metrics"] for k, result in results.items()} for name, results in {**sweep, "agglomerative": agglomerative}.items()}
            (Path(folder) / REPORT_FILE).write_text(
                training_report.render(report_summary, segment_table, report_sweep, Path(folder) / "plots"), encoding="utf-8"
            )
            mlflow.log_artifacts(folder)
        # The served model takes the inputs as plain numbers (JSON has no decimals).
        example = features.select(*[F.col(c).cast("double").alias(c) for c in segmentation.INPUT_COLUMNS]).limit(3).toPandas()
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=model,
            signature=infer_signature(example, model.predict(None, example)),
            input_example=example,
            registered_model_name=segmentation.REGISTERED_MODEL,
            code_paths=[str(Path(segmentation.__file__).parent)],
            pip_requirements=["mlflow", "numpy", "pandas", "scipy", "scikit-learn"],
        )
        version = str(info.registered_model_version)
        from mlflow import MlflowClient

        client = MlflowClient()
        client.set_model_version_tag(segmentation.REGISTERED_MODEL, version, "quality_gates", "passed" if not failures else "; ".join(failures))
        client.set_model_version_tag(segmentation.REGISTERED_MODEL, version, "snapshot_date", snapshot)
        promoted = tracking.promote(layout, version) if not failures else None
        mlflow.set_tags({"model_version": version, "champion": str(not failures), "gate_failures": "; ".join(failures) or "none"})

    record = {
        "job": JOB_NAME,
        "run_date": run_date,
        "snapshot_date": snapshot,
        "customers": total,
        "experiment_id": experiment_id,
        "parent_run_id": parent.info.run_id,
        "model_version": version,
        "chosen_k": chosen_k,
        "silhouette_sample": silhouette,
        "silhouette_spark": chosen["metrics"]["silhouette_spark"],
        "stability_ari": ari,
        "champion": not failures,
        "gate_failures": failures,
        "promotion": promoted,
        "sweep": {
            algorithm: {str(k): result["metrics"] for k, result in results.items()}
            for algorithm, results in {**sweep, "agglomerative": agglomerative}.items()
        },
        "segments": sorted(segment_table, key=lambda row: row["segment_id"]),
        "seconds": round(time.monotonic() - started, 1),
    }
    sweep_data.unpersist()
    data.unpersist()
    write_run_record(layout.run_record(run_date, JOB_NAME), json.loads(json.dumps(record, default=float)))
    return record


def summarise(record: dict) -> str:
    verdict = "champion" if record["champion"] else f"NOT champion: {'; '.join(record['gate_failures'])}"
    return (
        f"{JOB_NAME} {record['snapshot_date']}: version {record['model_version']} of {segmentation.REGISTERED_MODEL}, "
        f"k={record['chosen_k']}, silhouette {record['silhouette_sample']:.3f}, stability ARI {record['stability_ari']:.3f}: {verdict}"
    )


def main(argv: list[str] | None = None) -> None:
    run_job_from_command_line(
        JOB_NAME,
        __doc__,
        run,
        summarise,
        argv,
        extra_options={
            "--k-min": {"type": int, "default": 2},
            "--k-max": {"type": int, "default": 10},
            "--chosen-k": {"type": int, "default": 6},
            "--algorithms": {"default": ",".join(ALGORITHMS), "help": f"comma-separated subset of {','.join(ALGORITHMS)}"},
            "--sample-size": {"type": int, "default": 10_000, "help": "rows of the stratified sample (exact silhouette, agglomerative)"},
            "--seed": {"type": int, "default": 42},
            "--selection": {"choices": SELECTIONS, "default": "chosen_k"},
            "--sweep-customers": {"type": int, "default": SWEEP_CUSTOMERS,
                                  "help": "largest number of customers the k-sweep fits on (a uniform sample above it)"},
        },
    )


if __name__ == "__main__":
    main()
