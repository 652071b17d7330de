"""The training's parameters, defined once: the DAG's Params, the job's command line and the defaults.

No heavy imports: the DAG processor reads this module on every parse. Each field's metadata is
the JSON schema Airflow shows in the trigger form (title, description, bounds); the job's
``--flag`` names are the field names with dashes.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, replace
from typing import Any

ALGORITHMS = ("kmeans", "bisecting_kmeans", "agglomerative")
SELECTIONS = ("chosen_k", "best_silhouette")


def _parameter(default: Any, title: str, description: str = "", **schema: Any) -> Any:
    return field(default=default, metadata={"title": title, "description": description, **schema})


@dataclass(frozen=True)
class TrainingParameters:
    k_min: int = _parameter(2, "Smallest k", minimum=2, maximum=30)
    k_max: int = _parameter(10, "Largest k", minimum=2, maximum=30)
    chosen_k: int = _parameter(
        6, "Chosen k", "The number of segments of the registered model (with selection chosen_k).", minimum=2, maximum=30
    )
    algorithms: tuple[str, ...] = _parameter(ALGORITHMS, "Algorithms to compare", items={"type": "string", "enum": list(ALGORITHMS)})
    selection: str = _parameter("chosen_k", "Model selection", enum=list(SELECTIONS))
    # 600,000 customers: k = 6 on this data has two near-equal optima whose segments agree at an
    # adjusted Rand index of about 0.9; below 600,000 a refit lands in the other one now and then,
    # at 600,000 none did in 24 refits (docs/segmentation.md). Each fit on it takes about 4 s.
    sample_customers: int = _parameter(
        600_000, "Customers in the training sample",
        "The chosen fit and the stability check fit a seeded uniform sample of this many customers "
        "(every customer when there are fewer); the chosen centroids then score every customer.",
        minimum=1_000,
    )
    # The sweep only compares k: 200,000 customers give the same curves at a third of the cost.
    sweep_customers: int = _parameter(
        200_000, "Customers in the k-sweep", "The k-sweep fits a seeded subset of the training sample of this many customers.",
        minimum=1_000,
    )
    # Exact silhouettes and Ward clustering hold the pairwise distances of this many customers.
    evaluation_customers: int = _parameter(
        5_000, "Customers in the evaluation sample",
        "Exact silhouette and Ward agglomerative clustering run on this subset of the training sample.",
        minimum=500, maximum=10_000,
    )
    # Ten k-means++ starts find the best of the near-equal optima this data has in nearly every
    # bootstrap; four let one pair in six land in a worse one (docs/segmentation.md).
    restarts: int = _parameter(
        10, "KMeans restarts", "The chosen fit and every stability fit keep the best of this many k-means++ starts.", minimum=1, maximum=30
    )
    sweep_restarts: int = _parameter(3, "KMeans restarts in the k-sweep", "Each k of the sweep keeps the best of this many starts.", minimum=1, maximum=30)
    max_iterations: int = _parameter(
        300, "Iteration budget", "A fit that stops here has not converged: it is flagged and the model cannot be champion.",
        minimum=10, maximum=1_000,
    )
    tolerance: float = _parameter(
        1e-6, "Convergence tolerance", "A KMeans fit has converged when its centres move less than this (relative to the data's variance)."
    )
    stability_seeds: int = _parameter(
        3, "Bootstrap refits in the stability check",
        "Each refit fits the chosen procedure to a bootstrap sample of the training sample; the gate takes the worst "
        "adjusted Rand index between the chosen model's segments and a refit's.", minimum=3, maximum=10
    )
    seed: int = _parameter(42, "Seed")

    @property
    def ks(self) -> list[int]:
        return list(range(self.k_min, self.k_max + 1))

    def check(self) -> TrainingParameters:
        """Raise ``ValueError`` for a combination the training cannot run; returns itself."""
        unknown = set(self.algorithms) - set(ALGORITHMS)
        if unknown:
            raise ValueError(f"unknown algorithms {sorted(unknown)}; choose from {list(ALGORITHMS)}")
        if not 2 <= self.k_min <= self.chosen_k <= self.k_max:
            raise ValueError(f"need 2 <= k_min <= chosen_k <= k_max, got {self.k_min}, {self.chosen_k}, {self.k_max}")
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {list(SELECTIONS)}, not {self.selection!r}")
        if self.selection == "best_silhouette" and "kmeans" not in self.algorithms:
            raise ValueError("selection best_silhouette picks among the KMeans fits: include kmeans in the algorithms")
        return self

    def to_record(self) -> dict[str, Any]:
        return {f.name: list(value) if isinstance(value := getattr(self, f.name), tuple) else value for f in fields(self)}


DEFAULTS = TrainingParameters()


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", tuple: "array"}[type(value)]


def param_schemas() -> dict[str, dict[str, Any]]:
    """Per parameter: its default and the JSON schema of Airflow's ``Param``."""
    schemas = {}
    for f in fields(TrainingParameters):
        default = getattr(DEFAULTS, f.name)
        schema = {key: value for key, value in f.metadata.items() if value != ""}
        schemas[f.name] = {"default": list(default) if isinstance(default, tuple) else default, "type": _json_type(default), **schema}
    return schemas


def job_arguments() -> list[str]:
    """The job's command line as Jinja templates over the DAG's params."""
    arguments = []
    for f in fields(TrainingParameters):
        value = f"{{{{ params.{f.name} | join(',') }}}}" if isinstance(getattr(DEFAULTS, f.name), tuple) else f"{{{{ params.{f.name} }}}}"
        arguments += [f"--{f.name.replace('_', '-')}", value]
    return arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for f in fields(TrainingParameters):
        default = getattr(DEFAULTS, f.name)
        kind = (lambda text: tuple(part.strip() for part in text.split(",") if part.strip())) if isinstance(default, tuple) else type(default)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=default, help=f.metadata["title"])


def from_arguments(args: argparse.Namespace) -> TrainingParameters:
    return replace(DEFAULTS, **{f.name: getattr(args, f.name) for f in fields(TrainingParameters)}).check()
