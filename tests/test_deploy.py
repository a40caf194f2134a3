"""The deployment files agree with the README and with the code: variables, commands, checks."""

import configparser
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
EMBARGO_SERVICES = ("migrate", "app", "worker")


def documented_variables() -> set[str]:
    """Every variable named in the first column of a README table."""
    names = set()
    for line in README.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def env_lines(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if re.match(r"^[A-Z_]+=", line))
    return dict(pairs)


def readme_production_example() -> dict[str, str]:
    """The KEY=value block of step 1 of "Running in production"."""
    section = README.split("## Running in production", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL).group(1)
    return env_lines("\n".join(line.strip() for line in block.splitlines()))


def test_the_readme_production_example_passes_check_deploy(tmp_path):
    """As an operator would: the example, a key made as it says, and nothing else."""
    example = readme_production_example()
    assert example["DJANGO_SECRET_KEY"] == ""  # a placeholder for the key each site makes
    example["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    example["EMBARGO_ASSET_ROOT"] = str(tmp_path / "private-assets")  # /srv/embargo is not here
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **example}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_proxy_and_hsts_check_deploy_complains(tmp_path):
    """The passing check above is earned by the variables, not by silenced checks."""
    example = readme_production_example()
    example.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        EMBARGO_ASSET_ROOT=str(tmp_path / "private-assets"),
        EMBARGO_HSTS_SECONDS="0",
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **example}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_the_systemd_environment_file_is_the_readme_example():
    assert env_lines((DEPLOY / "embargo.env").read_text()) == readme_production_example()


def test_every_variable_of_the_example_is_documented():
    assert set(readme_production_example()) <= documented_variables()


@pytest.mark.parametrize("service", EMBARGO_SERVICES)
def test_compose_passes_only_documented_variables(service):
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    variables = set(compose["services"][service]["environment"])
    assert variables, f"{service} has no environment"
    assert variables - documented_variables() == set()


def test_compose_runs_the_app_the_worker_and_every_backing_service():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["worker"]["command"][-2:] == ["db_worker", "--no-startup-delay"]
    assert {"db", "redis", "objects"} <= set(services)
    assert services["app"]["environment"]["EMBARGO_STORAGE"] == "s3"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def exec_lines(path: Path) -> list[list[str]]:
    lines = re.findall(r"^Exec(?:Start|StartPre|Reload)=(.+)$", path.read_text(), re.MULTILINE)
    return [shlex.split(line) for line in lines]


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.service")), ids=lambda p: p.name)
def test_unit_commands_exist(path):
    commands = get_commands()
    for argv in exec_lines(path):
        program = argv[0]
        if program.startswith("/srv/embargo/.venv/bin/"):
            assert (ROOT / ".venv/bin" / Path(program).name).exists(), program
        else:
            assert Path(program).exists(), program
        if "manage.py" in argv:
            assert argv[argv.index("manage.py") + 1] in commands, argv
        if "--config" in argv:
            assert (ROOT / argv[argv.index("--config") + 1]).exists()


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.service")), ids=lambda p: p.name)
def test_units_are_hardened(path):
    service = unit(path)["Service"]
    for option, value in {
        "NoNewPrivileges": "true",
        "ProtectSystem": "strict",
        "PrivateTmp": "true",
        "ProtectHome": "true",
        "CapabilityBoundingSet": "",
        "User": "embargo",
    }.items():
        assert service.get(option) == value, option


def test_the_site_unit_has_no_reload_that_would_keep_the_old_code():
    """With the app preloaded in gunicorn's arbiter, a HUP forks workers from the loaded code."""
    config = (ROOT / "gunicorn.conf.py").read_text()
    assert re.search(r"^preload_app = True$", config, re.MULTILINE)
    assert "ExecReload" not in unit(DEPLOY / "embargo.service")["Service"]


def test_the_timer_starts_the_catch_up():
    timer = unit(DEPLOY / "embargo-publish.timer")
    started = DEPLOY / timer["Timer"]["Unit"]
    assert started.exists()
    assert [argv[-1] for argv in exec_lines(started)] == ["publish_scheduled"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    """systemd's own parser, with /srv/embargo and /etc/embargo pointed at this checkout."""
    for path in UNITS:
        text = path.read_text().replace("/etc/embargo/embargo.env", str(DEPLOY / "embargo.env"))
        (tmp_path / path.name).write_text(text.replace("/srv/embargo", str(ROOT)))
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "Failed to connect" not in line
    ]
    assert problems == []


def test_the_image_runs_unprivileged_with_static_files_collected_at_build():
    dockerfile = (ROOT / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "collectstatic" in final_stage
    assert re.search(r"^USER embargo$", final_stage, re.MULTILINE)
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), name


def test_the_app_user_owns_var_but_not_the_collected_static_files():
    """SQLite, the default database, writes var/embargo.sqlite3 and its journal beside it, and
    uploads go under var/private-assets; what whitenoise serves stays the build's (root's)."""
    final_stage = (ROOT / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    chowns = re.findall(r"chown (.+?)(?:\s*\\?\n|\s*&&)", final_stage)
    owned = {
        path
        for chown in chowns
        if chown.startswith("embargo:embargo ")
        for path in chown.split()[1:]
    }
    assert {"var", "var/private-assets"} <= owned
    assert not any(chown.startswith("-") for chown in chowns), "a recursive chown owns var/static"
    assert "var/static" not in owned
