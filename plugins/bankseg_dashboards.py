"""Airflow plugin: the bankseg dashboards inside the Airflow API server, with a link in the UI's navigation.

The FastAPI app is mounted at /bankseg; the external view shows it inside the Airflow UI
(Browse > Segmentation dashboards). The data directory comes from $BANKSEG_DATA_DIR, as for the DAGs.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from bankseg.dashboards.app import MOUNT_PATH, create_app


class BanksegDashboardsPlugin(AirflowPlugin):
    name = "bankseg_dashboards"
    fastapi_apps = [{"app": create_app(), "url_prefix": MOUNT_PATH, "name": "bankseg dashboards"}]
    external_views = [
        {
            "name": "Segmentation dashboards",
            "href": f"{MOUNT_PATH}/",
            "url_route": "bankseg-dashboards",
            "destination": "nav",
            "category": "browse",
        }
    ]
