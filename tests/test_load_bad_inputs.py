"""`claimline load` given what it cannot load: broken or missing seed files, a document whose
bytes changed, a database at a migration revision it does not know, a SQLite file on a
read-only or a full filesystem. Each time: lines saying what is wrong, no traceback, a
nonzero exit, and the database exactly as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from app import migrate
from app.db import make_engine
from tests.conftest import SEEDS_DIR, require
from tests.faulttools import LoadForker, second_version, snapshot

DOC = "000_d40e8277d782d5f4"


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadForker]:
    with LoadForker(None, tmp_path_factory.mktemp("logs")) as forker:
        yield forker


def _break_yaml(seeds: Path) -> None:
    (seeds / "events" / "shared.yaml").write_text("- id: [unclosed\n", encoding="utf-8")


def _not_utf8(seeds: Path) -> None:
    (seeds / "actors.yaml").write_bytes(b"\x00\xff\xfe not text")


def _truncated(seeds: Path) -> None:
    path = seeds / "claims" / f"{DOC}.yaml"
    path.write_bytes(path.read_bytes()[:1000])  # inside a quoted string


def _missing_manifest(seeds: Path) -> None:
    (seeds / "documents.yaml").unlink()


def _missing_document(seeds: Path) -> None:
    (seeds / "documents" / f"{DOC}.txt").unlink()


def _document_bytes_changed(seeds: Path) -> None:
    path = seeds / "documents" / f"{DOC}.txt"
    path.write_bytes(path.read_bytes().replace(b"Pyongyang", b"Pyongyanq", 1))


def _missing_folder(seeds: Path) -> None:
    shutil.rmtree(seeds)


# (name, how to break the copy of the seeds, the start of the line that names the problem)
BAD_SEEDS: list[tuple[str, Callable[[Path], None], str]] = [
    ("broken yaml", _break_yaml, "events/shared.yaml:-:-: invalid YAML"),
    ("not utf-8", _not_utf8, "actors.yaml:-:-: not UTF-8"),
    ("truncated file", _truncated, f"claims/{DOC}.yaml:-:-: invalid YAML"),
    ("missing manifest", _missing_manifest, "documents.yaml:-:-: file is missing"),
    ("missing document", _missing_document, f"documents.yaml:{DOC}:file:"),
    ("document bytes changed", _document_bytes_changed, f"documents.yaml:{DOC}:sha256:"),
    ("missing folder", _missing_folder, ":-:-: seeds folder not found"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [c[1:] for c in BAD_SEEDS], ids=[c[0] for c in BAD_SEEDS]
)
def test_bad_seeds_are_named_and_nothing_is_written(
    loads: LoadForker,
    seeded_sqlite_url: str,
    seeds_copy: Path,
    mutate: Callable[[Path], None],
    expected: str,
) -> None:
    engine = make_engine(seeded_sqlite_url)
    before = snapshot(engine)
    mutate(seeds_copy)
    status, output = loads.run(seeds_copy, seeded_sqlite_url)
    lines = output.strip().splitlines()
    assert status == 1, output
    assert "Traceback" not in output
    assert any(expected in line for line in lines), lines
    assert lines[-1].endswith("problem(s) found; the database was not changed")
    assert snapshot(engine) == before
    engine.dispose()


def test_a_database_at_an_unknown_revision_is_refused(
    loads: LoadForker, seeded_url: str, tmp_path: Path
) -> None:
    engine = make_engine(seeded_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    before = snapshot(engine)
    status, output = loads.run(second_version(tmp_path / "v2"), seeded_url)
    assert status == 2
    assert output.strip().splitlines() == [
        "cannot migrate the database: Can't locate revision identified by "
        "'9999_from_the_future'; is it from a newer version of Claimline? Nothing was written"
    ]
    assert snapshot(engine) == before
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert revision == "9999_from_the_future"
    engine.dispose()


def _mount_unavailable(path: Path) -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    probe = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot mount a tmpfs: {probe.stderr.strip()}"
    subprocess.run(["umount", str(path)], check=True)
    return None


@contextmanager
def tmpfs(path: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of `size_kib` KiB at `path`: a filesystem the test can fill, or make
    read-only, even for root (whom file modes do not stop)."""
    path.mkdir()
    require("a tmpfs mount (root)", _mount_unavailable(path), "run the test as root")
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)], check=True
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def _remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


@pytest.mark.slow
def test_a_read_only_filesystem_fails_with_one_line(
    loads: LoadForker, seeded_sqlite_file: Path, tmp_path: Path
) -> None:
    v2 = second_version(tmp_path / "v2")
    with tmpfs(tmp_path / "mnt", 4096) as mnt:
        shutil.copyfile(seeded_sqlite_file, mnt / "claimline.db")
        url = f"sqlite:///{mnt / 'claimline.db'}"
        engine = make_engine(url)
        before = snapshot(engine)
        engine.dispose()  # its close checkpoints: the file alone holds the data
        _remount(mnt, "ro")
        status, output = loads.run(v2, url)
        _remount(mnt, "rw")
        assert status != 0
        assert len(output.strip().splitlines()) == 1 and "Traceback" not in output, output
        assert output.startswith("database error: OperationalError: "), output
        engine = make_engine(url)
        assert snapshot(engine) == before
        engine.dispose()


@pytest.mark.slow
def test_a_full_filesystem_fails_with_one_line_and_writes_nothing(
    loads: LoadForker, tmp_path: Path
) -> None:
    migrated = tmp_path / "migrated.db"
    migrate.upgrade(f"sqlite:///{migrated}")
    # Room for the migrated, empty file, not for a load of the seeds (about 700 KiB).
    with tmpfs(tmp_path / "mnt", migrated.stat().st_size // 1024 + 128) as mnt:
        shutil.copyfile(migrated, mnt / "claimline.db")
        url = f"sqlite:///{mnt / 'claimline.db'}"
        status, output = loads.run(SEEDS_DIR, url)
        assert status != 0
        assert output.strip().splitlines() == [
            "database error: OperationalError: database or disk is full"
        ], output
        engine = make_engine(url)
        assert all(rows == [] for rows in snapshot(engine).values())
        engine.dispose()
