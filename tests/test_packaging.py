"""A plain (non-editable) install runs on its own: migrations and seeds ship in the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app import migrate
from app.config import PROJECT_ROOT
from tests.conftest import running_server

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_app_package_is_listed_in_pyproject() -> None:
    """The packages are listed by hand (the mapped ones cannot be found): a new subpackage
    missing from the list would be left out of the wheel."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for top in ("app", "bench")
        for init in (PROJECT_ROOT / top).rglob("__init__.py")
        # Hidden folders are not packages: bench/.venv-datasette is a virtualenv.
        if not any(part.startswith(".") for part in init.relative_to(PROJECT_ROOT).parts)
    }
    assert found <= listed
    mapped = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert mapped == {"app._migrations": "migrations", "app._seeds": "seeds"}


def _files(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed with pip, non-editable and offline, into a folder of its own.
    It is built from a copy, so the build leaves nothing in the work tree."""
    tmp = tmp_path_factory.mktemp("packaging")
    source, target = tmp / "source", tmp / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("app", "bench", "migrations", "seeds"):
        shutil.copytree(PROJECT_ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return target


@pytest.fixture
def elsewhere(installed: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A working directory away from the source tree, and an environment that imports `app`
    from the install only; the database is a new SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CLAIMLINE_SEEDS_DIR")}
    env.update(
        PYTHONPATH=str(installed),
        PYTHONUNBUFFERED="1",  # the server's log is read after it is terminated
        DATABASE_URL=f"sqlite:///{tmp_path / 'claimline.db'}",
    )
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    yield cwd, env


def _python(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
def test_wheel_ships_the_migrations_seeds_and_docs_assets(installed: Path) -> None:
    assert _files(installed / "app" / "_migrations") == _files(PROJECT_ROOT / "migrations")
    assert _files(installed / "app" / "_seeds") == _files(PROJECT_ROOT / "seeds")
    assert _files(installed / "app" / "static") == _files(PROJECT_ROOT / "app" / "static")
    for folder in ("templates", "static"):  # the page for people (app/ui/)
        assert _files(installed / "app" / "ui" / folder) == _files(
            PROJECT_ROOT / "app" / "ui" / folder
        )


@pytest.mark.slow
def test_installed_app_migrates_and_serves_from_another_folder(
    installed: Path, elsewhere: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = elsewhere
    where = json.loads(_python(cwd, env, "-c", (
        "import json; from app import config, migrate; print(json.dumps([config.__file__, "
        "str(migrate.MIGRATIONS_DIR), str(config.Settings.from_env().seeds_dir)]))"
    )))  # fmt: skip
    for path in where:
        assert Path(path).is_relative_to(installed), where
        assert not Path(path).is_relative_to(PROJECT_ROOT), where

    out = _python(cwd, env, "-m", "app.cli", "migrate")
    assert out.strip() == f"database at revision {migrate.head_revision()}"

    log = cwd / "serve.log"
    with running_server(
        env["DATABASE_URL"], base_env=env, cwd=cwd, log_path=log, timeout=60
    ) as base:
        events = httpx.get(f"{base}/events", params={"limit": 500}, timeout=10)
        assert events.status_code == 200, events.text
        assert len(events.json()["data"]) == 41
        documents = httpx.get(f"{base}/documents", timeout=10)
        assert documents.status_code == 200, documents.text
        assert len(documents.json()) == 5
        # The docs pages' assets come from the install (app/static), not the source tree.
        for asset in ("swagger-ui/swagger-ui-bundle.js", "redoc/redoc.standalone.js"):
            served = httpx.get(f"{base}/static/{asset}", timeout=10)
            assert served.content == (installed / "app" / "static" / asset).read_bytes()
    assert "empty database: loading the seeds" in log.read_text()


def test_the_application_does_not_import_the_generator() -> None:
    """The benchmark generator is imported by `claimline generate` alone, not by the
    service or the other commands."""
    probe = (
        "import sys, app.cli, app.main; "
        "print(sorted(m for m in sys.modules if m == 'bench' or m.startswith('bench.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
