"""Serve the dashboards on their own: ``python -m bankseg.dashboards [--host H] [--port P]``.

``make up`` serves them inside the Airflow API server instead (at /bankseg/); this is for a
machine without Airflow running, and for the browser tests.
"""

from __future__ import annotations

import argparse

import uvicorn

from bankseg.dashboards.app import MOUNT_PATH, standalone_app
from bankseg.layout import DataLayout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--data-dir", default=None, help="data directory (default: $BANKSEG_DATA_DIR or ./data)")
    args = parser.parse_args()
    layout = DataLayout(args.data_dir) if args.data_dir else DataLayout.from_env()
    print(f"dashboards for {layout.root} on http://{args.host}:{args.port}{MOUNT_PATH}/", flush=True)
    uvicorn.run(standalone_app(layout), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
