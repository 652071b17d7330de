"""What the segmentation model reads and where the registry keeps it: names only, no heavy imports.

The dashboards, the DAG files and the Airflow-side code import these names; importing them must
never pull in Spark, MLflow or pandas.

Inputs are behaviour and wealth, on purpose: recency, frequency, spend per transaction and
balance. Money and counts are heavy-tailed, so they are log-transformed; every input is then
standardised; a balance unknown for a customer (0.2% of them) is imputed with the training
median. Categorical attributes (gender, age band, city) are deliberately not inputs: gender and
age are protected attributes a bank must not segment on, and city has thousands of values. They
describe the segments afterwards, in the profiles.
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTERED_MODEL = "bank_customer_segmentation"
CHAMPION_ALIAS = "champion"
EXPERIMENT = "bank_customer_segmentation"


@dataclass(frozen=True)
class ModelInput:
    column: str
    log: bool  # log1p before scaling: heavy-tailed money and counts
    impute: bool = False  # may be null in the features: filled with the training median


MODEL_INPUTS = (
    ModelInput("recency_days", log=False),
    ModelInput("frequency", log=True),
    ModelInput("monetary_mean", log=True),
    ModelInput("balance_latest", log=True, impute=True),
)
INPUT_COLUMNS = tuple(i.column for i in MODEL_INPUTS)
# The one input that moves with the calendar: each day without a transaction adds one to it.
TIME_INPUT = "recency_days"
