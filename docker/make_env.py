"""Writes .env for docker-compose from .env.example, with a new random value for every secret.

    python3 docker/make_env.py            # writes ./.env; refuses to overwrite an existing one
    python3 docker/make_env.py PATH       # writes PATH instead

A secret is a variable that .env.example leaves empty. Passwords are hexadecimal, so they can go
into database URLs and XML unescaped; the Fernet key is 32 random bytes in URL-safe base64, the
form Airflow requires. Every other line is copied as it is. Standard library only: runs with any
Python 3.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import sys
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = REPOSITORY_ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def secret_value(name: str) -> str:
    if name.endswith("FERNET_KEY"):
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_hex(24)


def env_text(example: str) -> str:
    lines = []
    for line in example.splitlines():
        match = ASSIGNMENT.match(line)
        if match and match.group(2) == "":
            line = f"{match.group(1)}={secret_value(match.group(1))}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else REPOSITORY_ROOT / ".env"
    if target.exists():
        print(f"{target} exists already; remove it first to make a new one", file=sys.stderr)
        return 1
    # Created readable by its owner only: it holds every password of the stack.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(env_text(EXAMPLE.read_text()))
    print(f"wrote {target} with new secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
