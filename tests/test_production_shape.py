"""docker-compose.yml and deploy/nginx.conf agree: every file nginx serves is on a volume
that Django writes at the path its settings name, and web and worker scale out."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "beat")
SCALABLE = ("web", "worker")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def nginx_locations() -> dict[str, str]:
    """location path (or regex) -> block body with its nested blocks, from deploy/nginx.conf."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text = re.sub(r"#[^\n]*", "", text)
    found = {}
    for match in re.finditer(r"location\s+(?:[~=^]+\*?\s+)?([^\s{]+)\s*\{", text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        found[match.group(1)] = text[match.end() : end - 1]
    return found


def mounts(service: dict) -> dict[str, str]:
    """mount target -> named volume (bind mounts of files are left out)."""
    found = {}
    for entry in service.get("volumes", []):
        source, target, *_ = entry.split(":")
        if not source.startswith((".", "/")):
            found[target.rstrip("/")] = source
    return found


def on_volume(service: dict, path: str) -> tuple[str, str] | None:
    """(volume, path inside it) holding `path` in `service`, or None."""
    path = path.rstrip("/")
    for target, volume in mounts(service).items():
        if path == target or path.startswith(target + "/"):
            return volume, path.removeprefix(target)
    return None


def shape_problems(spec: dict, locations: dict[str, str]) -> list[str]:
    problems = []
    services = spec["services"]
    nginx, web = services["nginx"], services["web"]
    env = web.get("environment", {})
    django_paths = {"/static/": env.get("STATIC_ROOT")}
    prefix = env.get("STREAM_X_ACCEL_PREFIX", "/protected-media/")
    django_paths[prefix] = env.get("MEDIA_ROOT")
    # Cover art: catalog stores it under MEDIA_ROOT/images, served publicly at /media/images/.
    django_paths["/media/images/"] = f"{env.get('MEDIA_ROOT')}/images"
    if env.get("STREAM_X_ACCEL_REDIRECT") in ("1", "true", "True") and prefix not in locations:
        problems.append(f"nginx has no location for X-Accel prefix {prefix}")
    # Signed media URLs: nginx checks them with the secret Django signs with.
    signed = "^" + env.get("STREAM_SIGNED_MEDIA_PREFIX", "/media-signed/")
    for path in locations:
        if path.startswith(signed):
            django_paths[path] = f"{env.get('MEDIA_ROOT')}/$media_name"
            if "secure_link " not in locations[path]:
                problems.append(f"nginx location {path} serves media without secure_link")
    if env.get("STREAM_SIGNED_MEDIA") in ("1", "true", "True"):
        if signed not in {path[: len(signed)] for path in locations}:
            problems.append(f"nginx has no location for signed media {signed}")
        if "STREAM_SIGNED_MEDIA_SECRET" not in nginx.get("environment", {}):
            problems.append("nginx is not given STREAM_SIGNED_MEDIA_SECRET for its template")
    for path, body in locations.items():
        alias = re.search(r"\balias\s+([^;]+);", body)
        if not alias:
            continue
        served = on_volume(nginx, alias.group(1).strip())
        if served is None:
            problems.append(f"nginx location {path} aliases {alias.group(1)}, not mounted")
            continue
        if path not in django_paths:
            problems.append(f"nginx location {path} serves files Django does not write")
            continue
        written = on_volume(web, django_paths[path] or "")
        if written != served:
            problems.append(
                f"nginx location {path} reads {served}, Django writes {django_paths[path]} "
                f"on {written}"
            )
    if "internal;" not in locations.get(prefix, "internal;"):
        problems.append(f"{prefix} must be internal (reachable only through X-Accel-Redirect)")
    declared = set(spec.get("volumes") or {})
    for name, service in services.items():
        for volume in mounts(service).values():
            if volume not in declared:
                problems.append(f"{name} mounts undeclared volume {volume}")
    for name in SCALABLE:
        if "container_name" in services[name] or services[name].get("ports"):
            problems.append(f"{name} cannot be scaled: fixed container name or host port")
    return problems


def test_compose_and_nginx_agree():
    assert shape_problems(compose(), nginx_locations()) == []


def test_the_check_catches_a_location_on_an_unmounted_path():
    locations = nginx_locations()
    locations["/protected-media/"] = locations["/protected-media/"].replace(
        "/srv/streamify/media/", "/app/media/"
    )
    assert shape_problems(compose(), locations) == [
        "nginx location /protected-media/ aliases /app/media/, not mounted"
    ]
    spec = copy.deepcopy(compose())
    spec["services"]["nginx"]["volumes"] = [
        v for v in spec["services"]["nginx"]["volumes"] if not v.startswith("static:")
    ]
    spec["services"]["web"]["ports"] = ["8000:8000"]
    assert shape_problems(spec, nginx_locations()) == [
        "nginx location /static/ aliases /srv/streamify/static/, not mounted",
        "web cannot be scaled: fixed container name or host port",
    ]


def test_the_check_catches_signed_media_nginx_cannot_verify():
    spec = copy.deepcopy(compose())
    del spec["services"]["nginx"]["environment"]["STREAM_SIGNED_MEDIA_SECRET"]
    locations = nginx_locations()
    (signed,) = [path for path in locations if path.startswith("^/media-signed/")]
    assert "alias /srv/streamify/media/$media_name;" in locations[signed]
    locations[signed] = locations[signed].replace("secure_link ", "# ")
    assert shape_problems(spec, locations) == [
        f"nginx location {signed} serves media without secure_link",
        "nginx is not given STREAM_SIGNED_MEDIA_SECRET for its template",
    ]
    del locations[signed]
    assert shape_problems(compose(), locations) == [
        "nginx has no location for signed media ^/media-signed/"
    ]


def test_every_app_service_shares_the_environment_listed_in_env_example():
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    spec = compose()
    environments = [spec["services"][name].get("environment", {}) for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    assert set(environments[0]) <= listed
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))
    assert interpolated <= listed
    for name in APP_SERVICES:
        assert spec["services"][name]["env_file"] == ".env"
        assert mounts(spec["services"][name]) == mounts(spec["services"]["web"])


@pytest.mark.parametrize("name", ["minio", "createbucket"])
def test_an_s3_compatible_service_is_there_for_object_storage(name):
    service = compose()["services"][name]
    assert service["profiles"] == ["s3"]
    assert service["image"].startswith("minio/")
