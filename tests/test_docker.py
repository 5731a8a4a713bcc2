"""docker/: the compose files validate with the Docker client's ``docker compose config`` (or
Debian's ``docker-compose``), the Kubernetes example is consistent, the Dockerfile copies only
what exists. No engine is needed; without a compose client those checks skip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from croniter import croniter

DOCKER = Path(__file__).parent.parent / "docker"
COMPOSE_FILES = sorted(DOCKER.glob("*.compose.yaml"))


def compose_command() -> list[str] | None:
    """``docker compose`` when the client has the plugin, else ``docker-compose``, else None."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_file_validates(path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no compose client (docker compose plugin or Debian's docker-compose)")
    env = {**os.environ, "SUPPORTDRILL_DB_PASSWORD": "validation-only"}
    done = subprocess.run(
        [*command, "-f", str(path), "config"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rendered = yaml.safe_load(done.stdout)
    assert rendered["services"], path


def test_the_password_is_required_not_defaulted() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no compose client (docker compose plugin or Debian's docker-compose)")
    env = {k: v for k, v in os.environ.items() if k != "SUPPORTDRILL_DB_PASSWORD"}
    done = subprocess.run(
        [*command, "-f", str(DOCKER / "harness.compose.yaml"), "config"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "SUPPORTDRILL_DB_PASSWORD" in done.stderr


def test_harness_compose_wires_the_real_components() -> None:
    services = yaml.safe_load((DOCKER / "harness.compose.yaml").read_text())["services"]
    assert services["toxiproxy"]["image"] == "ghcr.io/shopify/toxiproxy:2.12.0"
    assert services["postgres"]["image"].startswith("postgres:")
    harness = services["harness"]
    assert harness["build"]["dockerfile"] == "docker/Dockerfile"
    assert harness["network_mode"] == "service:toxiproxy"
    assert harness["environment"]["SUPPORTDRILL_STORE"].startswith("postgresql://")
    assert harness["environment"]["TOXIPROXY_URL"] == "http://127.0.0.1:8474"
    for service in services.values():  # published ports on the host's loopback only
        assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", []))
    assert "coturn" in (DOCKER / "Dockerfile").read_text()


def test_kubernetes_example_is_consistent() -> None:
    documents = list(yaml.safe_load_all((DOCKER / "k8s" / "cronjob.yaml").read_text()))
    kinds = {document["kind"]: document for document in documents}
    assert set(kinds) == {"Secret", "CronJob"}
    secret, cronjob = kinds["Secret"], kinds["CronJob"]
    assert cronjob["apiVersion"] == "batch/v1"
    assert croniter.is_valid(cronjob["spec"]["schedule"])
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (drill,) = pod["containers"]
    env = {item["name"]: item for item in drill["env"]}
    reference = env["SUPPORTDRILL_STORE"]["valueFrom"]["secretKeyRef"]
    assert reference["name"] == secret["metadata"]["name"]
    assert reference["key"] in secret["stringData"]
    assert secret["stringData"][reference["key"]].startswith("postgresql://")
    assert "CHANGE-ME" in secret["stringData"][reference["key"]]  # a placeholder, not a secret
    (sidecar,) = pod["initContainers"]
    assert sidecar["image"] == "ghcr.io/shopify/toxiproxy:2.12.0"
    assert sidecar["restartPolicy"] == "Always"
    mounts = {volume["name"] for volume in pod["volumes"]}
    assert {mount["name"] for mount in drill["volumeMounts"]} <= mounts


def test_dockerfile_copies_only_what_exists() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    sources = [
        part
        for line in re.findall(r"^COPY (.+)$", text, flags=re.MULTILINE)
        for part in line.split()[:-1]
    ]
    assert sources and all((DOCKER.parent / source).exists() for source in sources)
    assert re.search(r'^ENTRYPOINT \["supportdrill"\]$', text, flags=re.MULTILINE)
    assert re.search(r"^USER drill$", text, flags=re.MULTILINE)
