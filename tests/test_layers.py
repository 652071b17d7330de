"""The layers point down: DAGs and plugins wire, jobs run Spark applications, bankseg holds the logic.

Read from the source (``ast``), so a violation names its file and line without importing anything.
What the Airflow side loads at run time is checked in tests/test_dag_integrity.py.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from bankseg.layout import REPOSITORY_ROOT

PACKAGES = ("bankseg", "jobs", "plugins", "dags")


def python_files(package: str) -> list[Path]:
    return sorted((REPOSITORY_ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in ``path``, relative imports left out (there are none)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def imports_of(package: str, prefix: str) -> list[str]:
    return [
        f"{path.relative_to(REPOSITORY_ROOT)}:{line} imports {module}"
        for path in python_files(package)
        for line, module in imported_modules(path)
        if module == prefix or module.startswith(prefix + ".")
    ]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_shadows_the_standard_library(package):
    shadowing = [str(path.relative_to(REPOSITORY_ROOT)) for path in python_files(package) if path.stem in sys.stdlib_module_names]
    assert shadowing == []


@pytest.mark.parametrize("package", ["bankseg", "plugins", "dags"])
def test_only_spark_submit_reaches_the_jobs(package):
    # Jobs are applications that spark-submit runs; code that imports one would run Spark in-process.
    assert imports_of(package, "jobs") == []


def test_jobs_share_code_through_bankseg_not_through_each_other():
    assert imports_of("jobs", "jobs") == []


def test_jobs_never_import_airflow():
    # The same applications run under spark-submit on a cluster, where Airflow is not installed.
    assert imports_of("jobs", "airflow") == []
