"""Airflow plugin: the bankseg dashboards inside the Airflow API server, with a link in the UI's navigation.

The FastAPI app is mounted at /bankseg; the external view shows it inside the Airflow UI
(Browse > Segmentation dashboards). Airflow does not guard a plugin's app by itself: every page and
the API ask for the Airflow login (the UI's session cookie, or a bearer token). The data directory
comes from $BANKSEG_DATA_DIR, as for the DAGs.

Every Airflow process loads the plugins (each `airflow dags test`, each task), but only the API
server serves the app: it is built on its first request, so the others never import FastAPI,
the dashboards or Airflow's security module for it (about 6 s of imports per process).
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from bankseg.dashboards import MOUNT_PATH


class DashboardsBuiltOnFirstRequest:
    """An ASGI app that builds the dashboards, behind Airflow's login, when the first request arrives."""

    def __init__(self) -> None:
        self.app = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.app is None:
            from airflow.api_fastapi.core_api.security import get_user
            from fastapi import Depends

            from bankseg.dashboards.app import create_app

            self.app = create_app(dependencies=[Depends(get_user)])
        await self.app(scope, receive, send)


class BanksegDashboardsPlugin(AirflowPlugin):
    name = "bankseg_dashboards"
    fastapi_apps = [{"app": DashboardsBuiltOnFirstRequest(), "url_prefix": MOUNT_PATH, "name": "bankseg dashboards"}]
    external_views = [
        {
            "name": "Segmentation dashboards",
            "href": f"{MOUNT_PATH}/",
            "url_route": "bankseg-dashboards",
            "destination": "nav",
            "category": "browse",
        }
    ]
