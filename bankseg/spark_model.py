"""The segmentation model as native Spark expressions: the same numbers as ``bankseg.segmentation``.

Scoring every customer needs no Python on the executors: the model is a handful of constants
(medians, means, standard deviations, centroids), so each customer's segment is one expression
the JVM evaluates per row. The arithmetic is done in the order numpy does it in
``SegmentationParameters.assign`` (impute, log1p, standardise, sum of squared differences input
by input, the first centroid on a tie), so batch scores equal what the served model answers.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from bankseg.model_spec import MODEL_INPUTS, ModelInput
from bankseg.segmentation import Preprocessing, SegmentationParameters


def transformed_column(spec: ModelInput, medians: dict[str, float]) -> Column:
    """An input as a double, imputed and log-transformed, before standardisation."""
    value = F.col(spec.column).cast("double")
    if spec.impute:
        value = F.coalesce(value, F.lit(float(medians[spec.column])))
    return F.log1p(value) if spec.log else value


def scaled_columns(preprocessing: Preprocessing) -> list[Column]:
    """The model inputs in the model's space (standard deviations from the training mean), in input order."""
    return [
        (transformed_column(spec, preprocessing.medians) - F.lit(float(mean))) / F.lit(float(std))
        for spec, mean, std in zip(MODEL_INPUTS, preprocessing.means, preprocessing.stds, strict=True)
    ]


def nearest_centroid(scaled: list[Column], centroids: list[list[float]]) -> Column:
    """Index of the nearest centroid (squared Euclidean distance; the lowest index on a tie)."""
    distances = []
    for index, centroid in enumerate(centroids):
        distance = None
        for value, coordinate in zip(scaled, centroid, strict=True):
            difference = value - F.lit(float(coordinate))
            term = difference * difference
            distance = term if distance is None else distance + term
        distances.append(F.struct(distance.alias("distance"), F.lit(index).alias("index")))
    # Structs compare field by field: the smallest distance, then the smallest index.
    return F.array_min(F.array(*distances)).getField("index")


def segment_columns(parameters: SegmentationParameters) -> tuple[Column, Column]:
    """``segment_id`` and ``segment_name`` of each row whose model inputs are columns of the frame."""
    index = nearest_centroid(scaled_columns(parameters.preprocessing), parameters.centroids)
    ids = F.array(*[F.lit(segment.segment_id) for segment in parameters.segments])
    names = F.array(*[F.lit(segment.name) for segment in parameters.segments])
    return ids.getItem(index).alias("segment_id"), names.getItem(index).alias("segment_name")
