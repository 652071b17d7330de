"""The dashboards: the seed's four Tableau dashboards and a segment dashboard, served by the platform.

A FastAPI app (``app.create_app``) mounted at ``/bankseg`` in the Airflow API server by the plugin
``plugins/bankseg_dashboards.py`` (``make up``), or on its own with ``python -m bankseg.dashboards``.
"""

# Where the dashboards are mounted, in the Airflow API server and on their own.
MOUNT_PATH = "/bankseg"
