"""The deployment files, checked where Docker does not run: docker-compose.yml and
.env.example agree, every image is pinned, every service that keeps running has a
health check and every job is waited for, the variables the mda services set are
ones mda reads, and the commands they run are the ones these tests run for real
(`mda db upgrade` on an empty database, `mda worker` and its health check).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from my_deepagent.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DEPLOY = ROOT / "deploy"
MDA_SERVICES = ("mda-migrate", "mda-worker", "mda-api")
TEMPORAL_VARIABLES = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"}
"""The Temporal SDK's environment configuration mda connects with."""
NEEDED = {"MDA_DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "MDA_TASK_QUEUE"}
_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(:?-[^}]*)?\}")
_PINNED = re.compile(r"^[a-z0-9./-]+:(?!latest$)[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$")


def env_example() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {name: value for name, value in pairs}


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def interpolated(value: str) -> str:
    """`value` with the compose file's `${VAR}` references taken from .env.example."""
    values = env_example()
    return _REFERENCE.sub(lambda m: values[m.group(1)], value)


def jobs(services: dict[str, Any]) -> set[str]:
    """Services others wait on to finish (`service_completed_successfully`)."""
    return {
        name
        for service in services.values()
        for name, condition in (service.get("depends_on") or {}).items()
        if condition.get("condition") == "service_completed_successfully"
    }


def test_every_variable_the_compose_file_uses_is_in_the_env_example_and_no_other() -> None:
    used = {m.group(1) for m in _REFERENCE.finditer(COMPOSE.read_text())}
    assert used == set(env_example()), "docker-compose.yml and .env.example disagree"


def test_every_image_is_pinned_and_the_mda_image_is_this_version() -> None:
    services = compose()["services"]
    for name, service in services.items():
        assert _PINNED.match(service["image"]), f"{name}: {service['image']} is not pinned"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert {services[name]["image"] for name in MDA_SERVICES} == {f"my-deepagent:{version}"}
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M)
    assert len(bases) == 1 and _PINNED.match(bases[0])
    assert "-c constraints.txt" in dockerfile
    assert re.search(r"^USER mda$", dockerfile, re.M), "the image must not run as root"
    kubernetes = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "mda.yaml").read_text()))
    images = {
        container["image"]
        for document in kubernetes
        if document["kind"] in ("Deployment", "Job")
        for container in document["spec"]["template"]["spec"]["containers"]
    }
    assert images and all(_PINNED.match(image.rsplit("/", 1)[-1]) for image in images)


def test_every_running_service_has_a_health_check_and_every_job_is_waited_for() -> None:
    services = compose()["services"]
    finishing = jobs(services)
    assert finishing == {"temporal-schema", "temporal-namespace", "mda-migrate"}
    for name, service in services.items():
        if name in finishing:
            assert str(service["restart"]).startswith("on-failure"), name
        else:
            assert service["healthcheck"]["test"], f"{name} has no health check"
            assert service["restart"] == "unless-stopped", name
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert not any("auto-setup" in service["image"] for service in services.values())
    assert str(services["mda-worker"]["deploy"]["replicas"]) == "${MDA_WORKERS}"


def test_the_mda_services_set_what_mda_needs_and_only_what_it_reads() -> None:
    services = compose()["services"]
    for name in MDA_SERVICES:
        environment: dict[str, str] = services[name]["environment"]
        assert set(environment) >= NEEDED, name
        for variable in environment:
            known = variable in TEMPORAL_VARIABLES or (
                variable.startswith("MDA_")
                and variable.removeprefix("MDA_").lower() in Settings.model_fields
            )
            assert known, f"{name}: mda does not read {variable}"
    url = interpolated(services["mda-worker"]["environment"]["MDA_DATABASE_URL"])
    assert url.startswith("postgresql+asyncpg://") and url.endswith("@postgresql:5432/mda")
    worker = [interpolated(word) for word in services["mda-worker"]["command"]]
    kubernetes = yaml.safe_load_all((DEPLOY / "kubernetes" / "mda.yaml").read_text())
    deployment = next(d for d in kubernetes if d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == worker


def test_the_temporal_files_parse() -> None:
    dynamic = yaml.safe_load((DEPLOY / "temporal/dynamicconfig/production-sql.yaml").read_text())
    assert all(isinstance(values, list) and "value" in values[0] for values in dynamic.values())
    for script in ("setup-postgres.sh", "create-namespace.sh"):
        checked = subprocess.run(["sh", "-n", str(DEPLOY / "temporal" / script)], check=False)
        assert checked.returncode == 0, script
    namespace_script = (DEPLOY / "temporal" / "create-namespace.sh").read_text()
    from my_deepagent.search_attributes import ALL_KEYS

    assert all(key.name in namespace_script for key in ALL_KEYS)


def test_temporal_cloud_settings_load_through_the_sdks_envconfig() -> None:
    from temporalio.envconfig import ClientConfig

    config = ClientConfig.load_client_connect_config(
        profile="cloud",
        config_file=str(DEPLOY / "temporal-cloud.toml"),
        override_env_vars={"TEMPORAL_API_KEY": "k" * 8},
    )
    assert config["target_host"].endswith(".tmprl.cloud:7233")
    assert config.get("api_key") == "k" * 8 and config.get("tls")


def mda(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "my_deepagent", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_the_migration_job_runs_mda_db_upgrade_on_an_empty_database(
    empty_store_url: str, mda_home: Path
) -> None:
    command = [interpolated(word) for word in compose()["services"]["mda-migrate"]["command"]]
    env = {**os.environ, "MDA_DATABASE_URL": empty_store_url}
    done = mda(*command, env=env)
    assert done.returncode == 0, done.stderr
    assert "up to date" in mda("db", "status", env=env).stdout


def test_the_worker_service_polls_and_its_health_check_follows_it(
    configured_temporal: object, mda_home: Path, tmp_path: Path
) -> None:
    service = compose()["services"]["mda-worker"]
    command = [interpolated(word) for word in service["command"]]
    health = service["healthcheck"]["test"]
    assert health[0] == "CMD" and health[1] == "mda"
    env = {**os.environ, "MDA_TASK_QUEUE": f"deploy-{os.getpid()}"}
    assert mda(*health[2:], env=env).returncode != 0, "healthy before any worker ran"
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", *command], env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while mda(*health[2:], env=env).returncode != 0:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"never healthy: {log.read_text()}"
            time.sleep(0.5)
        assert f"{interpolated('${MDA_WORKER_CONCURRENCY}')} activities at once" in log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    after = mda(*health[2:], env=env)
    assert after.returncode == 1 and len(after.stderr.strip().splitlines()) == 1, after.stderr


@pytest.mark.parametrize("name", MDA_SERVICES)
def test_each_mda_service_command_is_a_real_mda_command(name: str, mda_home: Path) -> None:
    command = [interpolated(word) for word in compose()["services"][name]["command"]]
    helped = mda(*command, "--help", env=dict(os.environ))
    assert helped.returncode == 0, helped.stderr


def test_the_api_service_needs_its_token_and_its_health_check_follows_it(
    configured_temporal: object, mda_home: Path, tmp_path: Path
) -> None:
    service = compose()["services"]["mda-api"]
    command = [interpolated(word) for word in service["command"]]
    assert command[:3] == ["serve", "--host", "0.0.0.0"]
    assert interpolated(service["environment"]["MDA_API_TOKEN"]) == ""
    refused = mda(*command, env=dict(os.environ))
    assert refused.returncode == 2 and "MDA_API_TOKEN" in refused.stderr, refused.stderr

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    command[command.index("--port") + 1] = port
    health = [word.replace("8765", port) for word in service["healthcheck"]["test"][1:]]
    health[0] = sys.executable
    env = {**os.environ, "MDA_API_TOKEN": "d" * 32}
    with (tmp_path / "serve.log").open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "my_deepagent", *command], env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(health, capture_output=True, check=False).returncode != 0:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the API never became healthy"
            time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert subprocess.run(health, capture_output=True, check=False).returncode != 0
