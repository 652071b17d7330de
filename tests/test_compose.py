"""The docker-compose stack agrees with the code, the lock and itself, without a Docker engine.

docker-compose.yaml, docker/airflow/Dockerfile and the scripts under docker/ restate facts that the
code owns: the data directory variable, the connection ids, the ports, the Python and Java
versions, the pinned versions, the embedded default's Airflow settings. Each test reads both sides
and fails when they drift. `docker-compose config` validates the file itself when docker-compose
(or the `docker compose` plugin) is installed; every other test needs only PyYAML. Nothing here
builds an image or starts a container.
"""

from __future__ import annotations

import base64
import fnmatch
import http.server
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import threading
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from bankseg import credentials, endpoints, environment, hive, hiveserver2, layout, pipeline, standalone_cluster, tracking
from bankseg.layout import REPOSITORY_ROOT, DataLayout

COMPOSE_FILE = REPOSITORY_ROOT / "docker-compose.yaml"
ENV_EXAMPLE = REPOSITORY_ROOT / ".env.example"
DOCKER_DIR = REPOSITORY_ROOT / "docker"
DOCKERFILE = DOCKER_DIR / "airflow" / "Dockerfile"
DOCKERIGNORE = DOCKER_DIR / "airflow" / "Dockerfile.dockerignore"
POSTGRES_INIT = DOCKER_DIR / "postgres" / "init-databases.sh"
# Where the code lives; the services only read these (the compose file and docker/ are checked here).
SOURCE_DIRS = ("bankseg", "jobs", "dags", "plugins")

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
SPARK_MASTER_PORT = 7077
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET_KEY")


# ------------------------------------------------------------------------------------ helpers


def load_module(path: Path):
    """A script under docker/ as a module (they are not a package)."""
    spec = importlib.util.spec_from_file_location(f"docker_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_env = load_module(DOCKER_DIR / "make_env.py")
healthcheck = load_module(DOCKER_DIR / "healthcheck.py")
hiveserver2_launcher = load_module(DOCKER_DIR / "hive" / "hiveserver2.py")

# What docker-compose substitutes: $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
# ${NAME?error} and $NAME.
VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>.*))?$", re.S)


class MissingVariable(ValueError):
    pass


def substitute(text: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("named"):
            return variables.get(match.group("named"), "")
        braced = BRACED.match(match.group("braced"))
        assert braced, f"cannot parse ${{{match.group('braced')}}}"
        name, operator, argument = braced.group("name", "operator", "argument")
        value = variables.get(name)
        unset_or_empty = not value if operator and operator.startswith(":") else value is None
        if operator in (":-", "-"):
            return argument if unset_or_empty else value
        if operator in (":?", "?"):
            if unset_or_empty:
                raise MissingVariable(f"{name}: {argument}")
            return value
        return value or ""

    return VARIABLE.sub(replace, text)


def interpolate(node, variables: dict[str, str]):
    if isinstance(node, str):
        return substitute(node, variables)
    if isinstance(node, dict):
        return {key: interpolate(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, variables) for item in node]
    return node


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def references(node) -> list[tuple[str, str | None, str | None]]:
    """Every ${...} in the file's values: (name, operator, argument)."""
    found = []
    for text in strings(node):
        for match in VARIABLE.finditer(text):
            if match.group("named"):
                found.append((match.group("named"), None, None))
            elif match.group("braced") is not None:
                found.append(BRACED.match(match.group("braced")).group("name", "operator", "argument"))
    return found


def parse_env_file(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, separator, value = line.partition("=")
            assert separator, f".env line without '=': {line!r}"
            values[name.strip()] = value
    return values


RAW = yaml.safe_load(COMPOSE_FILE.read_text())
EXAMPLE = parse_env_file(ENV_EXAMPLE.read_text())
# A .env as make_env.py writes it: the example's settings, every secret filled in.
DOT_ENV_TEXT = make_env.env_text(ENV_EXAMPLE.read_text())
DOT_ENV = parse_env_file(DOT_ENV_TEXT)
SECRETS_ONLY = {name: value for name, value in DOT_ENV.items() if SECRET_NAME.search(name)}
# The stack as docker-compose sees it with that .env, and with the secrets alone (every default).
STACK = interpolate(RAW, DOT_ENV)["services"]
STACK_DEFAULTS = interpolate(RAW, SECRETS_ONLY)["services"]


def service_environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=value list form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_on(service: dict) -> dict[str, str]:
    """Dependency -> condition (the short list form means service_started)."""
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return dict.fromkeys(value, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in value.items()}


def published_ports(service: dict) -> list[tuple[str | None, int, int]]:
    """(host address, host port, container port) of every published port, short or long syntax."""
    ports = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.append((port.get("host_ip"), int(port["published"]), int(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) == 3:
            ports.append((parts[0], int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            ports.append((None, int(parts[0]), int(parts[1])))
        else:
            ports.append((None, int(parts[0]), int(parts[0])))
    return ports


def command(service: dict) -> list[str]:
    value = service.get("command") or []
    return value.split() if isinstance(value, str) else [str(token) for token in value]


def option(tokens: list[str], name: str) -> str:
    return tokens[tokens.index(name) + 1]


def image_services() -> dict[str, dict]:
    """The services that run the bankseg image."""
    return {name: service for name, service in STACK.items() if service.get("build")}


def data_dir() -> str:
    return service_environment(STACK["airflow-scheduler"])[layout.DATA_DIR_ENV]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, arguments = full.strip().partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def dockerfile_args() -> dict[str, str]:
    return dict(arguments.split("=", 1) for keyword, arguments in dockerfile_instructions() if keyword == "ARG" and "=" in arguments)


def image_root() -> Path:
    workdirs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "WORKDIR"]
    assert len(workdirs) == 1, workdirs
    return Path(workdirs[0])


def in_image(path: Path) -> str:
    """Where a file of this repository is inside the image."""
    return str(image_root() / path.relative_to(REPOSITORY_ROOT))


def repository_file(image_path: str) -> Path:
    """The repository file that a path inside the image comes from."""
    return REPOSITORY_ROOT / Path(image_path).relative_to(image_root())


def source_text(*dirs: str, suffixes: tuple[str, ...] = (".py",)) -> str:
    return "\n".join(
        path.read_text()
        for directory in dirs
        for path in sorted((REPOSITORY_ROOT / directory).rglob("*"))
        if path.suffix in suffixes and "__pycache__" not in path.parts
    )


def lock_version(package: str) -> str:
    lock = tomllib.loads((REPOSITORY_ROOT / "uv.lock").read_text())
    versions = [entry["version"] for entry in lock["package"] if entry["name"] == package]
    assert len(versions) == 1, f"{package} in uv.lock: {versions}"
    return versions[0]


def pyproject() -> dict:
    return tomllib.loads((REPOSITORY_ROOT / "pyproject.toml").read_text())


def pinned_version(package: str) -> str:
    pins = [dep.split("==", 1)[1] for dep in pyproject()["project"]["dependencies"] if re.split(r"[=<>~!; \[]", dep)[0] == package]
    assert len(pins) == 1, f"{package} is not pinned with == in pyproject.toml"
    return pins[0]


def compose_tool() -> list[str] | None:
    """docker-compose (v1), else the `docker compose` plugin; neither needs a running engine for `config`."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def run_compose(env_file: Path, *arguments: str) -> subprocess.CompletedProcess:
    tool = compose_tool()
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install --no-install-recommends docker-compose)")
    # A clean environment: a variable exported in the shell would override the .env under test.
    clean_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [*tool, "--project-directory", str(REPOSITORY_ROOT), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *arguments],
        capture_output=True, text=True, env=clean_env, timeout=120, check=False,
    )


# ----------------------------------------------------------------- the real tool validates the file


@pytest.fixture
def dot_env(tmp_path: Path) -> Path:
    """The .env the other tests render the stack with."""
    path = tmp_path / ".env"
    path.write_text(DOT_ENV_TEXT)
    return path


def test_docker_compose_config_accepts_the_file(dot_env):
    result = run_compose(dot_env, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_docker_compose_renders_what_these_tests_check(dot_env):
    """The interpolation these tests do gives what docker-compose gives: the other tests hold for the real thing."""
    result = run_compose(dot_env, "config")
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)["services"]
    assert set(rendered) == set(STACK)
    for name, service in rendered.items():
        assert service_environment(service) == service_environment(STACK[name]), name
        assert sorted(published_ports(service)) == sorted(published_ports(STACK[name])), name
        assert depends_on(service) == depends_on(STACK[name]), name
        assert command(service) == command(STACK[name]), name


def test_docker_compose_refuses_to_run_without_the_secrets():
    result = run_compose(ENV_EXAMPLE, "config", "-q")
    assert result.returncode != 0
    assert "make_env.py" in result.stderr, result.stderr


# ------------------------------------------------------------ the file's shape, without the tool


def test_compose_file_has_only_known_keys_and_valid_references():
    """A small schema check that runs where docker-compose is not installed."""
    assert set(RAW) <= {"services", "volumes", "networks"} | {key for key in RAW if key.startswith("x-")}
    declared_volumes = set(RAW.get("volumes") or {})
    service_keys = {
        "image", "build", "command", "entrypoint", "environment", "ports", "volumes", "depends_on",
        "healthcheck", "restart", "hostname", "user", "working_dir",
    }
    for name, service in STACK.items():
        assert set(service) <= service_keys, f"{name}: {set(service) - service_keys}"
        assert service.get("image"), f"{name} has no image"
        assert set(service.get("healthcheck") or {}) <= {"test", "interval", "timeout", "retries", "start_period", "disable"}
        assert service.get("restart", "no") in ("no", "always", "on-failure", "unless-stopped"), name
        for dependency, condition in depends_on(service).items():
            assert dependency in STACK and dependency != name, f"{name} depends on {dependency}"
            assert condition in ("service_started", "service_healthy", "service_completed_successfully")
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                source, kind = volume["source"], volume["type"]
            else:
                source = volume.split(":")[0]
                kind = "bind" if source.startswith((".", "/")) else "volume"
            if kind == "volume":
                assert source in declared_volumes, f"{name} mounts undeclared volume {source}"
            else:
                assert (REPOSITORY_ROOT / source).exists(), f"{name} mounts missing {source}"


def test_env_example_declares_exactly_the_variables_the_compose_file_uses():
    used = {name for name, _, _ in references(RAW)}
    assert used == set(EXAMPLE), f"only in compose: {used - set(EXAMPLE)}; only in .env.example: {set(EXAMPLE) - used}"


def test_secrets_are_required_and_left_empty_in_the_example():
    for name, operator, _ in references(RAW):
        if SECRET_NAME.search(name):
            assert operator == ":?", f"${{{name}}} must be ${{{name}:?...}}: the stack must not start without it"
            assert EXAMPLE[name] == "", f".env.example must not ship a value for the secret {name}"
        else:
            assert operator == ":-", f"${{{name}}} needs a default (${{{name}:-...}}) so .env may leave it out"


@pytest.mark.parametrize("secret", sorted(SECRETS_ONLY))
def test_the_stack_cannot_be_rendered_without_any_one_secret(secret):
    """What docker-compose does with ${NAME:?...}, checked where it is not installed."""
    with pytest.raises(MissingVariable, match=secret):
        interpolate(RAW, {**DOT_ENV, secret: ""})


def test_compose_defaults_equal_the_example_values():
    """Leaving a setting out of .env changes nothing."""
    for name, operator, argument in references(RAW):
        if operator == ":-":
            assert argument == EXAMPLE[name], f"{name}: compose default {argument!r}, .env.example {EXAMPLE[name]!r}"
    assert STACK_DEFAULTS == STACK


def test_make_env_fills_every_secret_and_copies_the_rest(tmp_path):
    assert set(DOT_ENV) == set(EXAMPLE)
    for name, value in DOT_ENV.items():
        if not SECRET_NAME.search(name):
            assert value == EXAMPLE[name]
        elif name.endswith("FERNET_KEY"):
            assert len(base64.urlsafe_b64decode(value)) == 32  # what Airflow's Fernet accepts
        else:
            # Safe unescaped in database URLs and XML.
            assert re.fullmatch(r"[0-9a-f]{32,}", value), name
    written = tmp_path / ".env"
    assert make_env.main([str(written)]) == 0
    assert stat.S_IMODE(written.stat().st_mode) == 0o600, "only its owner may read the secrets"
    assert parse_env_file(written.read_text()).keys() == DOT_ENV.keys()
    assert parse_env_file(written.read_text()) != DOT_ENV, "secrets must be new each time"
    written.write_text("BANKSEG_POSTGRES_PASSWORD=kept\n")
    assert make_env.main([str(written)]) == 1, "an existing .env is never overwritten"
    assert written.read_text() == "BANKSEG_POSTGRES_PASSWORD=kept\n"


def test_dot_env_is_git_ignored():
    assert ".env" in (REPOSITORY_ROOT / ".gitignore").read_text().splitlines()


# --------------------------------------------------------------------------------------- ports


def test_published_ports_listen_on_loopback_unless_configured():
    for name, service in RAW["services"].items():
        for port in service.get("ports") or []:
            assert str(port).startswith("${BANKSEG_BIND_ADDRESS:-127.0.0.1}:"), f"{name}: {port}"
    for stack in (STACK, STACK_DEFAULTS):
        for name, service in stack.items():
            for host_ip, _, _ in published_ports(service):
                assert host_ip == "127.0.0.1", f"{name} publishes on {host_ip}"
    moved = interpolate(RAW, {**DOT_ENV, "BANKSEG_BIND_ADDRESS": "192.0.2.10"})["services"]
    assert {ip for service in moved.values() for ip, _, _ in published_ports(service)} == {"192.0.2.10"}


def test_only_the_user_facing_endpoints_are_published():
    published = {name: [container for _, _, container in published_ports(service)] for name, service in STACK.items()}
    assert {name: ports for name, ports in published.items() if ports} == {
        "airflow-apiserver": [endpoints.DEFAULT_AIRFLOW_PORT],
        "hiveserver2": [endpoints.DEFAULT_HIVE_PORT],
        "mlflow": [endpoints.DEFAULT_MLFLOW_PORT],
        "spark-master": [int(service_environment(STACK["spark-master"])["SPARK_MASTER_WEBUI_PORT"])],
    }


@pytest.mark.parametrize(
    ("service", "port_env", "default_port"),
    [
        ("airflow-apiserver", endpoints.AIRFLOW_PORT_ENV, endpoints.DEFAULT_AIRFLOW_PORT),
        ("hiveserver2", endpoints.HIVE_PORT_ENV, endpoints.DEFAULT_HIVE_PORT),
        ("mlflow", endpoints.MLFLOW_PORT_ENV, endpoints.DEFAULT_MLFLOW_PORT),
    ],
)
def test_host_ports_are_the_embedded_defaults_and_move_with_the_same_variable(service, port_env, default_port):
    (raw_port,) = RAW["services"][service]["ports"]
    assert f"${{{port_env}:-{default_port}}}:{default_port}" in raw_port
    assert published_ports(STACK[service]) == [("127.0.0.1", default_port, default_port)]
    moved = interpolate(RAW, {**DOT_ENV, port_env: "18000"})["services"][service]
    assert published_ports(moved) == [("127.0.0.1", 18000, default_port)]


def test_services_listen_on_the_ports_they_publish_and_check():
    api = service_environment(STACK["airflow-apiserver"])
    assert int(api["AIRFLOW__API__PORT"]) == endpoints.DEFAULT_AIRFLOW_PORT
    assert f"localhost:{endpoints.DEFAULT_AIRFLOW_PORT}/" in " ".join(STACK["airflow-apiserver"]["healthcheck"]["test"])
    scheduler_health_port = airflow_config_default("scheduler", "scheduler_health_check_server_port")
    assert STACK["airflow-scheduler"]["healthcheck"]["test"][-1] == f"http://localhost:{scheduler_health_port}/health"
    mlflow = command(STACK["mlflow"])
    assert int(option(mlflow, "--port")) == endpoints.DEFAULT_MLFLOW_PORT
    assert f"localhost:{endpoints.DEFAULT_MLFLOW_PORT}/health" in " ".join(STACK["mlflow"]["healthcheck"]["test"])
    assert STACK["hiveserver2"]["healthcheck"]["test"][-2:] == ["hiveserver2", str(endpoints.DEFAULT_HIVE_PORT)]
    master = service_environment(STACK["spark-master"])
    assert int(master["SPARK_MASTER_PORT"]) == SPARK_MASTER_PORT
    assert f"localhost:{master['SPARK_MASTER_WEBUI_PORT']}/json/" in " ".join(STACK["spark-master"]["healthcheck"]["test"])
    for worker in ("spark-worker-1", "spark-worker-2"):
        webui = service_environment(STACK[worker])["SPARK_WORKER_WEBUI_PORT"]
        assert f"localhost:{webui}/json/" in " ".join(STACK[worker]["healthcheck"]["test"])


# ---------------------------------------------------------------------- data directory and volume


def test_every_bankseg_service_shares_one_data_directory_on_one_volume():
    services = image_services()
    assert set(services) == set(STACK) - {"postgres"}
    for name, service in services.items():
        assert service_environment(service)[layout.DATA_DIR_ENV] == data_dir(), name
        mounts = [volume for volume in service["volumes"] if isinstance(volume, dict) and volume["target"] == data_dir()]
        assert [(mount["type"], mount["source"]) for mount in mounts] == [("volume", "bankseg-data")], name
    # The image's default and the folder whose ownership a new volume takes.
    dockerfile = DOCKERFILE.read_text()
    assert f"{layout.DATA_DIR_ENV}={data_dir()}" in dockerfile
    assert re.search(rf"mkdir -p {re.escape(data_dir())}\b", dockerfile) and f"chown bankseg:bankseg {data_dir()}" in dockerfile


def test_airflow_home_and_mlflow_artifacts_live_where_the_layout_puts_them():
    expected = DataLayout(data_dir())
    assert service_environment(STACK["airflow-scheduler"])["AIRFLOW_HOME"] == expected.airflow_home
    artifacts = option(command(STACK["mlflow"]), "--artifacts-destination")
    assert artifacts == tracking.default_artifact_root(expected)
    assert "--serve-artifacts" in command(STACK["mlflow"])


# -------------------------------------------------------------------------------------- Airflow


def test_airflow_services_follow_the_quick_start_layout():
    assert "x-airflow-common" in RAW
    for name, subcommand in AIRFLOW_SERVICES.items():
        assert command(STACK[name]) == ["airflow", subcommand]
        assert depends_on(STACK[name])["airflow-init"] == "service_completed_successfully"
        assert depends_on(STACK[name])["postgres"] == "service_healthy"
    init = STACK["airflow-init"]
    assert init["restart"] == "no" and "healthcheck" not in init
    init_script = repository_file(command(init)[0])
    assert "airflow db migrate" in init_script.read_text()
    env = service_environment(STACK["airflow-scheduler"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    url = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (url.hostname, url.port, url.path) == ("airflow-apiserver", endpoints.DEFAULT_AIRFLOW_PORT, "/execution/")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == in_image(REPOSITORY_ROOT / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == in_image(REPOSITORY_ROOT / "plugins")


def test_airflow_components_share_one_configuration():
    """Components with different secrets refuse each other's tokens; the init must migrate the same database."""
    reference = service_environment(STACK["airflow-apiserver"])
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        env = service_environment(STACK[name])
        own = {"BANKSEG_AIRFLOW_ADMIN_PASSWORD"} if name == "airflow-init" else set()
        assert {key: value for key, value in env.items() if key not in own} == reference, name
    assert service_environment(STACK["airflow-init"])["BANKSEG_AIRFLOW_ADMIN_PASSWORD"] == DOT_ENV["BANKSEG_AIRFLOW_ADMIN_PASSWORD"]
    # Only the init sees the admin password; the api-server reads it from the file the init writes.
    assert "BANKSEG_AIRFLOW_ADMIN_PASSWORD" not in reference


# Settings of the embedded default that the stack sets otherwise on purpose.
CONTAINER_DIFFERENCES = {
    # Inside a container the api-server listens on all interfaces; the published port is on loopback.
    "AIRFLOW__API__HOST",
    # Unset: the UI then uses relative URLs, right on whatever host and port it is reached.
    "AIRFLOW__API__BASE_URL",
    # The api-server's service name instead of 127.0.0.1.
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    # Compared field by field in the next test: the hosts are service names.
    "AIRFLOW_CONN_SPARK_DEFAULT",
    "AIRFLOW_CONN_HIVESERVER2_DEFAULT",
}


def embedded_env(monkeypatch) -> dict[str, str]:
    """bankseg.environment.platform_env for the stack's data directory, free of this shell's settings."""
    for name in list(os.environ):
        if name.startswith(("AIRFLOW", "BANKSEG_", "MLFLOW_")):
            monkeypatch.delenv(name)
    return environment.platform_env(DataLayout(data_dir()))


def test_airflow_settings_match_the_embedded_default(monkeypatch):
    embedded = embedded_env(monkeypatch)
    stack = service_environment(STACK["airflow-scheduler"])
    for name, value in embedded.items():
        if not name.startswith(("AIRFLOW", "BANKSEG_")) or name in CONTAINER_DIFFERENCES:
            continue
        if value.startswith(str(REPOSITORY_ROOT) + "/"):
            value = in_image(Path(value))
        assert stack.get(name) == value, f"{name}: embedded default {value!r}, docker-compose.yaml {stack.get(name)!r}"
    assert stack["AIRFLOW__API__HOST"] == "0.0.0.0" and "AIRFLOW__API__BASE_URL" not in stack


def code_connection_ids() -> set[str]:
    text = source_text(*SOURCE_DIRS)
    ids = set(re.findall(r"\b\w*CONN_ID\s*=\s*[\"']([\w-]+)[\"']", text))
    ids |= set(re.findall(r"\b\w*conn_id\s*=\s*[\"']([\w-]+)[\"']", text))
    return ids


def test_every_connection_the_code_uses_is_defined_for_airflow(monkeypatch):
    ids = code_connection_ids()
    assert {pipeline.SPARK_CONN_ID, hive.HIVESERVER2_CONN_ID} <= ids
    embedded = embedded_env(monkeypatch)
    for conn_id in ids:
        variable = f"AIRFLOW_CONN_{conn_id.upper()}"
        assert variable in embedded, f"the embedded default does not define {conn_id}"
        reference = json.loads(embedded[variable])
        for name in [*AIRFLOW_SERVICES, "airflow-init"]:
            connection = json.loads(service_environment(STACK[name])[variable])
            assert connection["conn_type"] == reference["conn_type"]
            # Each place has its own secrets; the rest must agree.
            assert {key: value for key, value in connection.items() if key not in ("host", "password")} == {
                key: value for key, value in reference.items() if key not in ("host", "password")
            }, f"{conn_id} differs from the embedded default in more than its host and password"


def test_spark_connection_points_at_the_standalone_master():
    connection = json.loads(service_environment(STACK["airflow-scheduler"])[f"AIRFLOW_CONN_{pipeline.SPARK_CONN_ID.upper()}"])
    url = urlsplit(connection["host"])
    master = service_environment(STACK["spark-master"])
    assert (url.scheme, url.hostname, url.port) == ("spark", "spark-master", SPARK_MASTER_PORT)
    assert url.hostname == master["SPARK_MASTER_HOST"] and url.hostname in STACK
    for worker in ("spark-worker-1", "spark-worker-2"):
        assert service_environment(STACK[worker])["SPARK_MASTER_URL"] == connection["host"]


def test_hiveserver2_connection_points_at_the_hiveserver2_service():
    connection = json.loads(service_environment(STACK["airflow-scheduler"])[f"AIRFLOW_CONN_{hive.HIVESERVER2_CONN_ID.upper()}"])
    assert connection["host"] in STACK
    assert connection["port"] == endpoints.DEFAULT_HIVE_PORT
    # The Thrift server checks passwords; the registration task signs in as the service user.
    assert connection["extra"] == {"auth_mechanism": "CUSTOM"}
    assert connection["login"] == endpoints.HIVE_SERVICE_USER
    assert connection["password"] == DOT_ENV["BANKSEG_HIVE_PASSWORD"]
    server_env = service_environment(STACK["hiveserver2"])
    assert server_env[credentials.HIVE_PASSWORD_ENVS[endpoints.HIVE_SERVICE_USER]] == DOT_ENV["BANKSEG_HIVE_PASSWORD"]
    assert server_env[credentials.HIVE_PASSWORD_ENVS[endpoints.HIVE_ANALYST_USER]] == DOT_ENV["BANKSEG_HIVE_ANALYST_PASSWORD"]


# --------------------------------------------------------------------- environment variable names


def airflow_config() -> dict:
    """The installed Airflow's option reference (read as a file: importing Airflow would configure it)."""
    package = Path(importlib.util.find_spec("airflow").submodule_search_locations[0])
    return yaml.safe_load((package / "config_templates" / "config.yml").read_text())


def airflow_config_options() -> set[tuple[str, str]]:
    return {(section, key) for section, body in airflow_config().items() for key in (body.get("options") or {})}


def airflow_config_default(section: str, key: str) -> str:
    return airflow_config()[section]["options"][key]["default"]


def mlflow_source() -> str:
    package = Path(importlib.util.find_spec("mlflow").submodule_search_locations[0])
    return (package / "environment_variables.py").read_text() + (package / "cli" / "__init__.py").read_text()


def test_every_variable_given_to_a_container_is_read_by_something():
    """A misspelt variable would be ignored without a word; each one must have a reader."""
    options = airflow_config_options()
    code = source_text(*SOURCE_DIRS, "docker", suffixes=(".py", ".sh"))
    mlflow = mlflow_source()
    postgres_init = POSTGRES_INIT.read_text()
    for name, service in STACK.items():
        for variable in service_environment(service):
            if variable.startswith("AIRFLOW__"):
                section, key = variable[len("AIRFLOW__"):].lower().split("__", 1)
                assert (section, key) in options, f"{name}: {variable} is not an option of the installed Airflow"
            elif variable.startswith("AIRFLOW_CONN_") or variable == "AIRFLOW_HOME":
                continue  # Airflow's own; connections are checked above
            elif variable.startswith("MLFLOW_") and variable != tracking.TRACKING_URI_ENV:
                assert f'"{variable}"' in mlflow, f"{name}: MLflow does not read {variable}"
            elif name == "postgres":
                assert variable == "POSTGRES_PASSWORD" or f"{variable}" in postgres_init, f"postgres: nothing reads {variable}"
            else:
                assert re.search(rf"\b{variable}\b", code), f"{name}: no code under {SOURCE_DIRS} or docker/ reads {variable}"


def test_settings_the_code_reads_from_the_environment_reach_the_containers():
    pipeline_settings = set(re.findall(r"os\.environ\.get\(\"(BANKSEG_\w+)\"", Path(pipeline.__file__).read_text()))
    assert pipeline_settings, "bankseg.pipeline no longer reads Spark settings from the environment"
    airflow_env = service_environment(STACK["airflow-scheduler"])
    for variable in pipeline_settings:
        assert airflow_env.get(variable) == EXAMPLE[variable], f"{variable} is not passed to the Airflow services"
    assert service_environment(STACK["hiveserver2"])[hiveserver2.DRIVER_MEMORY_ENV] == EXAMPLE[hiveserver2.DRIVER_MEMORY_ENV]
    for name in image_services():
        if name != "mlflow":
            tracking_uri = urlsplit(service_environment(STACK[name])[tracking.TRACKING_URI_ENV])
            assert (tracking_uri.hostname, tracking_uri.port) == ("mlflow", endpoints.DEFAULT_MLFLOW_PORT), name


def memory_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmgt]?)b?", value.lower()).groups()
    return int(number) * 1024 ** "_kmgt".index(unit or "_")


def test_a_spark_worker_can_hold_an_executor():
    executor = memory_bytes(service_environment(STACK["airflow-scheduler"])["BANKSEG_SPARK_EXECUTOR_MEMORY"])
    for worker in ("spark-worker-1", "spark-worker-2"):
        env = service_environment(STACK[worker])
        assert memory_bytes(env["SPARK_WORKER_MEMORY"]) >= executor, worker
        assert int(env["SPARK_WORKER_CORES"]) >= 1


# ---------------------------------------------------------------------------- dependencies, health


def test_services_that_use_postgres_wait_until_it_is_healthy():
    for name, service in STACK.items():
        uses_postgres = any(re.search(r"[@/]postgres:5432/", value) for value in service_environment(service).values())
        if uses_postgres:
            assert depends_on(service).get("postgres") == "service_healthy", name
        if "postgres" in depends_on(service):
            assert depends_on(service)["postgres"] == "service_healthy", name


def test_every_long_running_service_has_a_healthcheck_and_restarts():
    one_shot = {dep for service in STACK.values() for dep, condition in depends_on(service).items() if condition == "service_completed_successfully"}
    assert one_shot == {"airflow-init"}
    for name, service in STACK.items():
        if name in one_shot:
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name
    for name, service in STACK.items():
        for dependency, condition in depends_on(service).items():
            if condition == "service_healthy":
                assert STACK[dependency].get("healthcheck"), f"{name} waits for {dependency}, which has no healthcheck"


def test_airflow_job_checks_name_job_types_that_exist():
    package = Path(importlib.util.find_spec("airflow").submodule_search_locations[0])
    job_types = set(re.findall(r'job_type = "(\w+)"', "".join(path.read_text() for path in (package / "jobs").glob("*.py"))))
    for name, subcommand in AIRFLOW_SERVICES.items():
        test = " ".join(STACK[name]["healthcheck"]["test"])
        if "airflow jobs check" in test:
            job_type = re.search(r"--job-type (\w+)", test).group(1)
            assert job_type in job_types, f"{name}: Airflow has no job type {job_type}"
            assert job_type.lower().startswith(subcommand.replace("-", "")), f"{name} checks another component's job"


def test_healthcheck_script_answers_for_each_service_kind():
    payload = {"status": "ALIVE"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(payload).encode()
            self.send_response(200 if self.path in ("/json/", "/health") else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert healthcheck.main(["http", f"{base}/health"]) == 0
        assert healthcheck.main(["http", f"{base}/missing"]) == 1
        assert healthcheck.main(["spark-master", f"{base}/json/"]) == 0
        payload["status"] = "STANDBY"
        assert healthcheck.main(["spark-master", f"{base}/json/"]) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert healthcheck.main(["http", "http://127.0.0.1:9/nothing"]) == 1
    assert healthcheck.main(["unknown", "x"]) == 2
    # The services call it with the kinds it knows.
    for service in STACK.values():
        test = service.get("healthcheck", {}).get("test", [])
        if "/opt/bankseg/docker/healthcheck.py" in test:
            assert test[test.index("/opt/bankseg/docker/healthcheck.py") + 1] in healthcheck.CHECKS


# ------------------------------------------------------------------------------------ Postgres


def postgres_databases() -> dict[tuple[str, str], str]:
    """(role, database) -> the variable holding its password, from the init script."""
    found = re.findall(r'^create_database (\w+) (\w+) "\$\{(\w+):\?', POSTGRES_INIT.read_text(), re.M)
    return {(role, database): variable for role, database, variable in found}


def test_each_client_has_its_own_database_with_the_password_postgres_gets():
    databases = postgres_databases()
    assert {database for _, database in databases} == {"airflow", "metastore", "mlflow"}
    postgres_env = RAW["services"]["postgres"]["environment"]
    clients = {
        "airflow": ("airflow-scheduler", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"),
        "mlflow": ("mlflow", "MLFLOW_BACKEND_STORE_URI"),
    }
    for database, (service, variable) in clients.items():
        url = urlsplit(service_environment(STACK[service])[variable])
        role = url.username
        assert (url.hostname, url.port, url.path) == ("postgres", 5432, f"/{database}")
        password_variable = databases[(role, database)]
        assert f"${{{password_variable}:?" in RAW["services"][service]["environment"][variable]
        assert postgres_env[password_variable].startswith(f"${{{password_variable}:?")
    hive_env = service_environment(STACK["hiveserver2"])
    role, database = hive_env["HIVE_METASTORE_USER"], urlsplit(hive_env["HIVE_METASTORE_JDBC_URL"].removeprefix("jdbc:")).path.strip("/")
    assert hive_env["HIVE_METASTORE_JDBC_URL"] == f"jdbc:postgresql://postgres:5432/{database}"
    assert hive_env["HIVE_METASTORE_PASSWORD"] == DOT_ENV[databases[(role, database)]]
    assert depends_on(STACK["hiveserver2"])["postgres"] == "service_healthy"


def test_postgres_stays_internal_and_is_checked_over_tcp():
    service = STACK["postgres"]
    assert not service.get("ports")
    test = service["healthcheck"]["test"]
    assert "pg_isready" in test and "--host=127.0.0.1" in test
    mounts = [volume for volume in RAW["services"]["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in volume]
    assert mounts == [f"./{POSTGRES_INIT.relative_to(REPOSITORY_ROOT)}:/docker-entrypoint-initdb.d/10-bankseg-databases.sh:ro"]


# --------------------------------------------------------------------------------- HiveServer2


def without_options(tokens: list[str], keys: set[str]) -> list[str]:
    """A spark-submit command without the --conf/--hiveconf settings of ``keys``."""
    kept, index = [], 0
    while index < len(tokens):
        token = tokens[index]
        if token in ("--conf", "--hiveconf") and tokens[index + 1].split("=")[0] in keys:
            index += 2
            continue
        kept.append(token)
        index += 1
    return kept


def test_hiveserver2_is_the_spark_thrift_server_on_the_postgres_metastore():
    assert command(STACK["hiveserver2"]) == ["python", in_image(DOCKER_DIR / "hive" / "hiveserver2.py")]
    stack_layout = DataLayout(data_dir())
    classes = "/opt/bankseg/data/hive/server-classes/0123456789abcdef"
    server = hiveserver2_launcher.server_command(stack_layout, (classes,))
    embedded = hiveserver2.thrift_server_command(stack_layout, endpoints.DEFAULT_HIVE_PORT, (classes,))
    assert option(server, "--class") == "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
    assert server[0] == embedded[0] and server[-1] == "spark-internal"
    assert f"hive.server2.thrift.port={endpoints.DEFAULT_HIVE_PORT}" in server
    assert "hive.server2.thrift.bind.host=0.0.0.0" in server
    assert f"spark.sql.warehouse.dir={stack_layout.hive_warehouse}" in server
    assert not [token for token in server if "derby" in token.lower() and "ConnectionURL" in token]
    assert f"spark.driver.extraClassPath={classes}:{hiveserver2_launcher.POSTGRES_JDBC_JAR}" in server
    # The same login and session guard as the embedded default.
    assert "hive.server2.authentication=CUSTOM" in server and f"spark.sql.extensions={hiveserver2.SESSION_GUARD_CLASS}" in server
    # Everything else is the embedded default's, so both servers behave alike.
    differing = {hiveserver2_launcher.DERBY_METASTORE_CONF, hiveserver2_launcher.BIND_HOST_CONF, "spark.driver.extraClassPath"}
    assert without_options(server, differing) == without_options(embedded, differing)


def test_hive_site_sends_the_metastore_to_postgres_with_the_password_escaped():
    env = {**service_environment(STACK["hiveserver2"]), "HIVE_METASTORE_PASSWORD": "p<&>'\"w"}
    root = ElementTree.fromstring(hiveserver2_launcher.hive_site_xml(hiveserver2_launcher.metastore_settings(env)))
    settings = {prop.findtext("name"): prop.findtext("value") for prop in root.iter("property")}
    assert settings == {
        "javax.jdo.option.ConnectionURL": "jdbc:postgresql://postgres:5432/metastore",
        "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
        "javax.jdo.option.ConnectionUserName": "hive",
        "javax.jdo.option.ConnectionPassword": "p<&>'\"w",
        "datanucleus.schema.autoCreateAll": "true",
        "hive.metastore.schema.verification": "false",
    }


def test_the_postgres_jdbc_driver_is_where_the_image_installs_it():
    dockerfile = DOCKERFILE.read_text()
    assert "libpostgresql-jdbc-java" in dockerfile  # Debian's package ships /usr/share/java/postgresql.jar
    assert f"test -f {hiveserver2_launcher.POSTGRES_JDBC_JAR}" in dockerfile


# -------------------------------------------------------------------------------------- MLflow


def test_mlflow_server_accepts_the_clients_host_and_keeps_its_password_off_the_command_line():
    mlflow = command(STACK["mlflow"])
    assert mlflow[:2] == ["mlflow", "server"] and option(mlflow, "--host") == "0.0.0.0"
    assert "--backend-store-uri" not in mlflow and "postgres" not in " ".join(mlflow)
    assert urlsplit(service_environment(STACK["mlflow"])["MLFLOW_BACKEND_STORE_URI"]).scheme == "postgresql"
    allowed = option(mlflow, "--allowed-hosts").split(",")
    for name in image_services():
        if name != "mlflow":
            host = urlsplit(service_environment(STACK[name])[tracking.TRACKING_URI_ENV]).netloc
            assert any(fnmatch.fnmatch(host, pattern) for pattern in allowed), f"MLflow would refuse Host {host}"
    for browser_host in (f"127.0.0.1:{endpoints.DEFAULT_MLFLOW_PORT}", f"localhost:{endpoints.DEFAULT_MLFLOW_PORT}"):
        assert any(fnmatch.fnmatch(browser_host, pattern) for pattern in allowed)


# --------------------------------------------------------------------------------------- Spark


def test_spark_master_and_workers_are_one_image_started_by_role():
    script = DOCKER_DIR / "spark" / "spark.sh"
    assert command(STACK["spark-master"]) == [in_image(script), "master"]
    workers = [name for name in STACK if name.startswith("spark-worker-")]
    assert workers == ["spark-worker-1", "spark-worker-2"]
    for worker in workers:
        assert command(STACK[worker]) == [in_image(script), "worker"]
        assert depends_on(STACK[worker]) == {"spark-master": "service_healthy"}
    assert len({STACK[name]["image"] for name in image_services()}) == 1
    # The same daemons as the cluster test's bankseg.standalone_cluster.
    standalone = Path(standalone_cluster.__file__).read_text()
    for daemon in ("org.apache.spark.deploy.master.Master", "org.apache.spark.deploy.worker.Worker"):
        assert daemon in standalone and daemon in script.read_text()
    assert "spark-class" in standalone and "exec spark-class" in script.read_text()


# ---------------------------------------------------------------------------------------- image


def test_image_python_is_the_one_pyproject_requires():
    args = dockerfile_args()
    python = args["PYTHON_VERSION"]
    assert re.fullmatch(r"3\.\d+", python)
    assert SpecifierSet(pyproject()["project"]["requires-python"]).contains(f"{python}.0")
    froms = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    assert froms == ["python:${PYTHON_VERSION}-slim-bookworm"]


def test_image_java_is_the_one_spark_needs():
    assert int(dockerfile_args()["JAVA_MAJOR"]) == environment.MIN_JAVA_MAJOR
    dockerfile = DOCKERFILE.read_text()
    assert '"openjdk-${JAVA_MAJOR}-jdk-headless"' in dockerfile  # javac builds HiveServer2's login
    assert 'grep -q "version \\"${JAVA_MAJOR}"' in dockerfile  # the build checks the Java it got


@pytest.mark.parametrize(("arg", "package"), [("AIRFLOW_VERSION", "apache-airflow"), ("PYSPARK_VERSION", "pyspark")])
def test_image_pins_match_pyproject_and_the_lock(arg, package):
    assert dockerfile_args()[arg] == pinned_version(package) == lock_version(package)


def test_image_installs_exactly_the_lock():
    instructions = dockerfile_instructions()
    runs = [(index, arguments) for index, (keyword, arguments) in enumerate(instructions) if keyword == "RUN"]
    syncs = [(index, arguments) for index, arguments in runs if "uv sync" in arguments]
    assert syncs, "the image must install the project with uv sync"
    for _, arguments in syncs:
        assert "--frozen" in arguments and "--no-dev" in arguments, arguments
    lock_copy = next(index for index, (keyword, arguments) in enumerate(instructions) if keyword == "COPY" and "uv.lock" in arguments.split())
    assert lock_copy < syncs[0][0]
    assert not [arguments for _, arguments in runs if re.search(r"\b(pip|uv pip) install\b", arguments) and "uv==" not in arguments]
    assert re.fullmatch(r"\d+\.\d+\.\d+", dockerfile_args()["UV_VERSION"]) and '"uv==${UV_VERSION}"' in DOCKERFILE.read_text()


def test_postgres_driver_comes_from_the_lock():
    """Airflow's and MLflow's Postgres databases need psycopg2; the image gets it from uv.lock like everything else."""
    lock = tomllib.loads((REPOSITORY_ROOT / "uv.lock").read_text())
    assert any(entry["name"] == "psycopg2-binary" for entry in lock["package"])
    assert urlsplit(service_environment(STACK["airflow-scheduler"])["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).scheme == "postgresql+psycopg2"


def copied_paths() -> set[str]:
    copied = set()
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY":
            *sources, _ = arguments.split()
            copied |= {source.rstrip("/") for source in sources if not source.startswith("--")}
    return copied


def test_image_has_every_folder_the_code_reads_from_the_repository():
    needed = set(re.findall(r"REPOSITORY_ROOT / \"(\w+)\"", source_text("bankseg"))) - {"data"}
    needed |= set(pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    needed |= {pyproject()["project"]["readme"], "pyproject.toml", "uv.lock", "docker"}
    assert {"dags", "plugins", "jobs", "hive", "expectations"} <= needed
    missing = needed - copied_paths()
    assert not missing, f"the image lacks {missing}"
    ignore = DOCKERIGNORE.read_text().splitlines()
    assert "*" in ignore, "the build context is an allowlist: everything else stays out"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert copied_paths() <= allowed, f"the build context leaves out {copied_paths() - allowed}"
    assert not {".venv", "data", ".env", ".tools"} & allowed


def test_scripts_the_stack_runs_exist_and_are_valid():
    paths = {token for service in STACK.values() for token in [*command(service), *service.get("healthcheck", {}).get("test", [])]
             if token.startswith(str(image_root()) + "/docker/")}
    scripts = {path for path in DOCKER_DIR.rglob("*") if path.suffix in (".sh", ".py")}
    # Every other script under docker/ is run by a service: none is left behind unused.
    assert {repository_file(path) for path in paths} == scripts - {DOCKER_DIR / "make_env.py", POSTGRES_INIT}
    for path in paths:
        script = repository_file(path)
        assert script.is_file(), path
        if script.suffix == ".sh":
            assert script.stat().st_mode & stat.S_IXUSR, f"{script} must be executable"
            result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
            assert result.returncode == 0, result.stderr
        else:
            compile(script.read_text(), str(script), "exec")
    assert POSTGRES_INIT.stat().st_mode & stat.S_IXUSR  # executed, not sourced, by the postgres image
    assert subprocess.run(["bash", "-n", str(POSTGRES_INIT)], check=False).returncode == 0


def test_both_dockerignore_files_send_the_same_context():
    """BuildKit reads the Dockerfile's own ignore file, the classic builder the root one: they must agree."""

    def patterns(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]

    assert patterns(REPOSITORY_ROOT / ".dockerignore") == patterns(DOCKERIGNORE)
