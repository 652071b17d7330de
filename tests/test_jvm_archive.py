"""The Spark driver's class archive: every job's spark-submit maps Spark's classes from it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bankseg import jvm_archive, pipeline

APPLICATION = """
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("archive-check").getOrCreate()
assert spark.range(10).count() == 10
spark.stop()
"""


@pytest.mark.spark
def test_a_jobs_spark_submit_loads_sparks_classes_from_the_archive(tmp_path):
    assert jvm_archive.ARCHIVE.is_file(), f"{jvm_archive.ARCHIVE} is missing: `make install` builds it"
    conf = pipeline.spark_submit_conf()
    assert conf["spark.driver.extraJavaOptions"].startswith(f"-XX:SharedArchiveFile={jvm_archive.ARCHIVE} ")
    (tmp_path / "app.py").write_text(APPLICATION)
    loads = tmp_path / "class-loads.log"
    # The job's own options, plus a log of where each class came from.
    conf["spark.driver.extraJavaOptions"] += f" -Xlog:class+load=info:file={loads}"
    command = [str(Path(sys.executable).parent / "spark-submit"), "--master", "local[1]",
               *[item for key, value in conf.items() for item in ("--conf", f"{key}={value}")], str(tmp_path / "app.py")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                            env={"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    # Spark's named classes; lambdas are generated at run time and seldom archived.
    spark_classes = [line for line in loads.read_text().splitlines()
                     if re.search(r" org\.apache\.spark\.\S+ source: ", line) and "$$Lambda" not in line]
    from_archive = [line for line in spark_classes if "source: shared objects file (top)" in line]
    # Nearly every Spark class the session needed came from the archive, SparkContext among them.
    assert len(spark_classes) > 1_000
    assert len(from_archive) > 0.9 * len(spark_classes), (len(from_archive), len(spark_classes))
    assert any(" org.apache.spark.SparkContext source: shared objects file (top)" in line for line in from_archive)


def test_without_an_archive_the_jobs_start_as_before(tmp_path, monkeypatch):
    monkeypatch.setattr(jvm_archive, "ARCHIVE", tmp_path / "absent.jsa")
    assert jvm_archive.driver_java_options() is None
    assert "spark.driver.extraJavaOptions" not in pipeline.spark_submit_conf()
