"""The registered segmentation model, logged to MLflow as code ("models from code").

MLflow stores this file and the model's parameters as plain data (the MLmodel's ``model_config``,
written by ``SegmentationParameters.to_dict``); loading the model runs this file and reads the
parameters back. No Python object is pickled or unpickled anywhere. ``mlflow models serve`` and
``mlflow.pyfunc.load_model`` answer with the segment id and name of each customer given.
"""

from __future__ import annotations

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

from bankseg.segmentation import SegmentationParameters


class SegmentationModel(PythonModel):
    """Nearest centroid in the scaled input space, from the parameters in the model's configuration."""

    parameters: SegmentationParameters

    def load_context(self, context) -> None:
        self.parameters = SegmentationParameters.from_dict(context.model_config)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        return self.parameters.assign(model_input)


set_model(SegmentationModel())
