"""The segmentation model as native Spark expressions: the same numbers as ``bankseg.segmentation``.

Scoring every customer needs no Python on the executors: the model is a handful of constants
(medians, means, standard deviations, centroids), so each customer's segment is one expression
the JVM evaluates per row. The arithmetic is done in the order numpy does it in
``SegmentationParameters.assign`` (impute, log1p, standardise, sum of squared differences input
by input, the first centroid on a tie), so batch scores equal what the served model answers.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from bankseg.model_spec import MODEL_INPUTS, TIME_INPUT, ModelInput
from bankseg.segmentation import Preprocessing, SegmentationParameters


INPUT_NAMES = [spec.column for spec in MODEL_INPUTS]


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


# Crossings further than this from any real recency are clamped before rounding to whole days, so
# that a near-parallel pair of centroids (a crossing at 1e300 days, say) cannot overflow the integers.
FAR_RECENCY_DAYS = 10_000_000.0


def with_recency_schedule(frame: DataFrame, parameters: SegmentationParameters, horizon_days: int) -> DataFrame:
    """``frame`` (with the model inputs), ``centroid``: the index of the nearest centroid, and
    ``recency_schedule``: the centroids a customer who makes no transaction moves to, as
    ``(recency, centroid)`` structs in day order: from ``recency`` days after their last transaction
    on they are nearest to ``centroid``. Only changes after the customer's current recency and at a
    recency of at most ``horizon_days`` are listed.

    Without a transaction only the recency input moves, linearly. The squared distance to centroid
    ``j`` is then ``(s - c_j)**2 + K_j``: ``s`` the scaled recency, ``c_j`` the centroid's recency
    coordinate, ``K_j`` the constant rest. Centroid ``j`` beats centroid ``i`` with ``c_i < c_j``
    once ``s`` passes their crossing ``(c_j**2 - c_i**2 + K_j - K_i) / (2 * (c_j - c_i))``, and loses
    to ``i`` with ``c_i > c_j`` from theirs on; on a crossing itself the lower index wins, as in
    ``nearest_centroid``. So each centroid is nearest on one interval of whole recencies, which
    starts after its crossings with the centroids of lower coordinate and ends before those with the
    centroids of higher coordinate: at most one change per centroid.

    The nearest centroid now and every change come from the same list of intervals in day order
    (its first from any recency on): the centroid on a later day is the schedule's last change due
    by then, exactly, whatever the rounding of the crossings. And the recencies are absolute (days
    since the last transaction), so the list depends on the customer's steady inputs alone:
    computed on any date, it names the same days.

    Each step is a column of its own: whole-stage code generation would otherwise evaluate an
    earlier step again wherever a later one refers to it (measured: 60 s instead of 3 s for 2M rows)."""
    preprocessing, centroids = parameters.preprocessing, parameters.centroids
    position = INPUT_NAMES.index(TIME_INPUT)
    spec, mean, std = MODEL_INPUTS[position], float(preprocessing.means[position]), float(preprocessing.stds[position])
    if spec.log or spec.impute:
        raise ValueError(f"{TIME_INPUT} must enter the model as it is for its path to be a line")
    scaled = scaled_columns(preprocessing)
    coordinates = [float(centroid[position]) for centroid in centroids]
    count = len(centroids)

    def rest_of_distance(centroid: list[float]) -> Column:
        terms = [(value - F.lit(float(coordinate))) * (value - F.lit(float(coordinate)))
                 for index, (value, coordinate) in enumerate(zip(scaled, centroid, strict=True)) if index != position]
        return sum(terms[1:], terms[0])

    rests = frame.select("*", *[rest_of_distance(centroid).alias(f"_rest{j}") for j, centroid in enumerate(centroids)])

    def crossing(low: int, high: int) -> Column:
        """The recency at which centroid ``high`` (the higher coordinate) draws level with ``low``, clamped."""
        scaled_crossing = (F.lit(coordinates[high] ** 2 - coordinates[low] ** 2) + F.col(f"_rest{high}") - F.col(f"_rest{low}")) / (
            2 * (coordinates[high] - coordinates[low]))
        recency = scaled_crossing * std + mean
        return F.least(F.greatest(recency, F.lit(-FAR_RECENCY_DAYS)), F.lit(FAR_RECENCY_DAYS))

    pairs = [(i, j) for i in range(count) for j in range(count) if coordinates[i] < coordinates[j]]
    crossings = rests.select("*", *[crossing(i, j).alias(f"_x{i}_{j}") for i, j in pairs])

    def interval(j: int) -> tuple[Column, Column, Column]:
        """The first and last whole recency on which centroid ``j`` is nearest, and whether it ever is."""
        starts, ends, beaten = [], [], []
        for i in range(count):
            if i == j:
                continue
            if coordinates[i] < coordinates[j]:
                x = F.col(f"_x{i}_{j}")  # j wins past it; on it only with the lower index
                starts.append(F.when((x == F.floor(x)) & F.lit(j < i), F.floor(x)).otherwise(F.floor(x) + 1))
            elif coordinates[i] > coordinates[j]:
                x = F.col(f"_x{j}_{i}")  # i wins past it; on it only with the lower index
                ends.append(F.when((x == F.floor(x)) & F.lit(j < i), F.floor(x)).otherwise(F.ceil(x) - 1))
            else:  # the same coordinate: the smaller rest is always nearer, the lower index on a tie
                rest_i, rest_j = F.col(f"_rest{i}"), F.col(f"_rest{j}")
                beaten.append((rest_i < rest_j) | ((rest_i == rest_j) & F.lit(i < j)))
        start = F.greatest(*starts) if len(starts) > 1 else (starts[0] if starts else F.lit(None).cast("long"))
        end = F.least(*ends) if len(ends) > 1 else (ends[0] if ends else F.lit(None).cast("long"))
        never = F.lit(False)
        for condition in beaten:
            never = never | condition
        return start, end, never

    # Each interval as one number, its start recency then its centroid: a plain sort of numbers puts
    # them in day order, and no struct is compared (883,799 customers scored in 2.8 s warm, against
    # 4.1 s with sorted structs).
    slots = 1 << max(count - 1, 1).bit_length()
    offset = int(FAR_RECENCY_DAYS) + 1

    def encoded(recency: Column, centroid: int) -> Column:
        return (recency + offset) * slots + centroid

    known = F.col("_rest0").isNotNull()  # every steady input known: every rest is, or none
    bounds = []
    for j in range(count):
        start, end, never = interval(j)
        # The centroid of the lowest coordinate is nearest from any recency on, up to its end.
        from_recency = F.coalesce(start, F.lit(1 - offset).cast("long"))
        bounds += [from_recency.alias(f"_from{j}"), (known & (end.isNull() | (from_recency <= end)) & ~never).alias(f"_ok{j}")]
    intervals = crossings.select(*frame.columns, *bounds)
    recency = F.col(TIME_INPUT).cast("long")
    # Now: the interval that started last by the current recency; later: those that start after it.
    now = F.greatest(*[F.when(F.col(f"_ok{j}") & (F.col(f"_from{j}") <= recency), encoded(F.col(f"_from{j}"), j)) for j in range(count)])
    upcoming = [F.when(F.col(f"_ok{j}") & (F.col(f"_from{j}") > recency) & (F.col(f"_from{j}") <= horizon_days), encoded(F.col(f"_from{j}"), j))
                for j in range(count)]
    later = F.array_sort(F.filter(F.array(*upcoming), lambda entry: entry.isNotNull()))
    schedule = F.transform(later, lambda entry: F.struct(
        (F.floor(entry / slots) - offset).cast("int").alias("recency"), (entry % slots).cast("int").alias("centroid")))
    # Rounding can in principle leave a recency in no interval: the plain nearest centroid then.
    centroid = F.coalesce((now % slots).cast("int"), nearest_centroid(scaled, centroids))
    return intervals.select(*frame.columns, centroid.alias("centroid"), schedule.alias("recency_schedule"))


def segment_ids(parameters: SegmentationParameters) -> Column:
    """The segment ids as an array indexed like the centroids."""
    return F.array(*[F.lit(segment.segment_id) for segment in parameters.segments])
