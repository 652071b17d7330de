"""Expectations of our own, registered with Great Expectations when this module is imported.

Great Expectations' median expectation runs Spark's ``approxQuantile`` with no error allowed, which
keeps every value of the column in one task's memory: at 52 million transactions that ran the
driver out of memory. Its quantile expectation can allow an error, but declares the error as
``bool | str`` so a number such as 0.001 arrives as the string ``"0.001"``, which the Spark engine
refuses. The subclass below declares it as a number and returns its verdict as a Python bool
(the stock one returns numpy's, which the validation results store cannot write as JSON);
everything else, how the result is judged and rendered, is the stock quantile expectation.
"""

from __future__ import annotations

from great_expectations.expectations import ExpectColumnQuantileValuesToBeBetween
from great_expectations.execution_engine import ExecutionEngine


class ExpectColumnApproximateQuantileValuesToBeBetween(ExpectColumnQuantileValuesToBeBetween):
    """Quantiles between bounds, each within ``allow_relative_error`` of its exact rank (0 < e < 1):
    Spark's Greenwald-Khanna summary then holds about 1/e values whatever the row count."""

    allow_relative_error: float

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None):
        outcome = super()._validate(metrics, runtime_configuration, execution_engine)
        return {**outcome, "success": bool(outcome["success"])}
