"""Serve the dashboards on their own: ``python -m bankseg.dashboards [--host H] [--port P]``.

``make up`` serves them inside the Airflow API server instead (at /bankseg/), behind its login; this
is for a machine without Airflow running, and for the browser tests. On its own it has no login, so
it listens on loopback unless ``--allow-remote`` says otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress

import uvicorn

from bankseg.dashboards import MOUNT_PATH
from bankseg.dashboards.app import standalone_app
from bankseg.layout import DataLayout

# As a Host header names them (an IPv6 address in brackets).
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost: it may resolve anywhere
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--allow-remote", action="store_true",
                        help="listen on a non-loopback address: every page, without a login, for anyone who can reach it")
    parser.add_argument("--trusted-host", action="append", default=[],
                        help="a host name or address clients use to reach a remote server (repeatable); requests naming any other are refused")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $BANKSEG_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    remote = not is_loopback(args.host)
    if remote and not args.allow_remote:
        parser.error(f"--host {args.host} would serve every dashboard, without a login, beyond this machine; "
                     "add --allow-remote to do so, or use `make up`, which serves them behind the Airflow login")
    wildcard = args.host in ("0.0.0.0", "::")
    if remote and wildcard and not args.trusted_host:
        parser.error(f"--host {args.host} listens on every address: name the host names clients use with --trusted-host")
    if remote:
        print(f"WARNING: serving the dashboards without a login on {args.host}:{args.port} to anyone who can reach it", flush=True)
    layout = DataLayout(args.data_dir) if args.data_dir else DataLayout.from_env()
    trusted = [*LOOPBACK_NAMES, *args.trusted_host, *([args.host] if remote and not wildcard else [])]
    print(f"dashboards for {layout.root} on http://{args.host}:{args.port}{MOUNT_PATH}/", flush=True)
    uvicorn.run(standalone_app(layout, trusted_hosts=trusted), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
