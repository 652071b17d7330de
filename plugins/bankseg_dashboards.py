"""Airflow plugin: the bankseg dashboards inside the Airflow API server, with a link in the UI's navigation.

The FastAPI app is mounted at /bankseg; the external view shows it inside the Airflow UI
(Browse > Segmentation dashboards). Airflow does not guard a plugin's app by itself: every page and
the API ask for the Airflow login (the UI's session cookie, or a bearer token). The data directory
comes from $BANKSEG_DATA_DIR, as for the DAGs.
"""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import get_user
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends

from bankseg.dashboards.app import MOUNT_PATH, create_app


class BanksegDashboardsPlugin(AirflowPlugin):
    name = "bankseg_dashboards"
    fastapi_apps = [{"app": create_app(dependencies=[Depends(get_user)]), "url_prefix": MOUNT_PATH, "name": "bankseg dashboards"}]
    external_views = [
        {
            "name": "Segmentation dashboards",
            "href": f"{MOUNT_PATH}/",
            "url_route": "bankseg-dashboards",
            "destination": "nav",
            "category": "browse",
        }
    ]
