# bankseg: `make run` and `make test` are all a newcomer needs (Python 3.11, a JDK 17 and pip).
DATA_DIR ?= $(CURDIR)/data
ROWS ?= 1048567
RUN_DATE ?= 2016-10-21
SEED ?= 42
INPUT ?=
PYTHON ?= python3
PYTEST_ARGS ?=
# Test files run on this many pytest workers (pytest-xdist), each file whole on one worker, the
# longest first (tests/conftest.py).
TEST_WORKERS ?= 2

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
# uv lives in a small venv of its own: pip may not install into a system Python (PEP 668).
TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install check-java system-packages run up down land-daily airflow promote rollback serve test test-fast bench clean

help:
	@echo "make run    generate the default data set (or INPUT=file.csv[.gz]), run the daily DAG through Airflow"
	@echo "make test   the whole test suite (what CI runs)"
	@echo "make test-fast   units and in-process Spark only, for the inner loop (no Airflow runs, no HiveServer2, no cluster)"
	@echo "make bench  timings and peak memory per stage (ROWS=..., STAGES=..., or SCALES=1,10,50 for the scale benchmark; REPORT=1 tables sizes run separately)"
	@echo "make up     start the local platform (Airflow UI on 127.0.0.1:8080); make down stops it"
	@echo "make land-daily   one landing file per transaction date (for a backfill)"
	@echo "make airflow ARGS='...'   any airflow command against DATA_DIR"
	@echo "make promote VERSION=n    make a registered model version the champion; make rollback undoes it"
	@echo "make serve  serve the champion model on 127.0.0.1:5001 (mlflow models serve)"
	@echo "variables   DATA_DIR=$(DATA_DIR) ROWS=$(ROWS) RUN_DATE=$(RUN_DATE) INPUT=$(INPUT)"

# uv comes from PyPI through pip; everything else from uv.lock. --compile-bytecode writes every
# package's .pyc once, at install: a process that may not write them (PYTHONDONTWRITEBYTECODE, a
# read-only install) would otherwise compile Airflow, Spark and MLflow from source at each start.
$(VENV)/.installed: pyproject.toml uv.lock Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "bankseg needs Python 3.11 (set PYTHON=python3.11)")'
	@test -x $(UV) || { $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet uv; }
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# The Spark driver's class archive (bankseg/jvm_archive.py): rebuilt with the environment.
$(VENV)/spark-driver.jsa: $(VENV)/.installed bankseg/jvm_archive.py
	$(PY) -m bankseg.jvm_archive

install: $(VENV)/.installed $(VENV)/spark-driver.jsa

# A JDK, not only a runtime: HiveServer2 compiles its login and session guard (hive/server/) with javac.
check-java:
	@test -x "$$JAVA_HOME/bin/java" || command -v java >/dev/null 2>&1 || { echo "error: Java was not found. Spark needs a JDK 17 or 21: apt-get install openjdk-17-jdk-headless (or set JAVA_HOME)"; exit 1; }
	@test -x "$$JAVA_HOME/bin/javac" || command -v javac >/dev/null 2>&1 || { echo "error: javac was not found. HiveServer2 compiles its login module with it: apt-get install openjdk-17-jdk-headless (or set JAVA_HOME to a JDK)"; exit 1; }

run: install check-java
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" run --rows $(ROWS) --seed $(SEED) --run-date $(RUN_DATE) $(if $(INPUT),--input "$(INPUT)")

up: install check-java
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" up

down: install
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" down

land-daily: install
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" land-daily --rows $(ROWS) --seed $(SEED)

airflow: install
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" airflow $(ARGS)

promote: install
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" promote --version $(VERSION)

rollback: install
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" rollback

serve: install
	$(PY) -m bankseg.cli --data-dir "$(DATA_DIR)" serve

# Debian packages the tests need: Chromium for the dashboards' browser tests, docker-compose to
# validate docker-compose.yaml (validation needs no Docker engine). Installed when missing and root.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "error: the tests need$$missing: sudo apt-get install$$missing"; exit 1; fi; \
	fi

test: install check-java system-packages
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The markers are declared in pyproject.toml; the full suite above stays the gate.
test-fast: install check-java system-packages
	$(PY) -m pytest -m "not airflow and not cluster and not services" $(PYTEST_ARGS)

bench: install check-java system-packages
	$(PY) -m bankseg.bench --rows $(ROWS) --data-dir "$(DATA_DIR)/bench" $(if $(STAGES),--stages $(STAGES)) $(if $(SCALES),--scales $(SCALES)) $(if $(REPORT),--report)

clean:
	rm -rf "$(DATA_DIR)"
