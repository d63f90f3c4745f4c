"""Settings from the environment: defaults, bounds, and one clear line for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import cli
from app.config import PROJECT_ROOT, SETTINGS_HELP, Settings, SettingsError

VARIABLES = ("DATABASE_URL", "CLAIMLINE_SEEDS_DIR", "CLAIMLINE_META_TTL",
             "CLAIMLINE_RESPONSE_CACHE_MIB", "CLAIMLINE_THREADS", "CLAIMLINE_SERVE_SEEDS", "CLAIMLINE_CORS_ORIGINS",
             "CLAIMLINE_CACHE_HEADER")  # fmt: skip


ORIGINS = "* or a comma-separated list of origins such as https://app.example"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*VARIABLES, "CLAIMLINE_RESPONSE_CACHE"):
        monkeypatch.delenv(name, raising=False)


def test_every_setting_has_help() -> None:
    assert {field.alias for field in Settings.model_fields.values()} == set(SETTINGS_HELP)


def test_defaults_and_empty_values(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = (f"sqlite:///{PROJECT_ROOT / 'data' / 'claimline.db'}", PROJECT_ROOT / "seeds",
                1.0, 64.0, 2, "load", ["*"], False)  # fmt: skip
    for value in (None, ""):
        for name in VARIABLES:
            if value is not None:
                monkeypatch.setenv(name, value)
        s = Settings.from_env()
        assert (
            s.database_url,
            s.seeds_dir,
            s.meta_ttl,
            s.response_cache_mib,
            s.threads,
            s.serve_seeds,
            s.cors_origin_list,
            s.cache_header,
        ) == expected


def test_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("CLAIMLINE_SEEDS_DIR", "/somewhere/seeds")
    monkeypatch.setenv("CLAIMLINE_META_TTL", "0")
    monkeypatch.setenv("CLAIMLINE_RESPONSE_CACHE_MIB", "0.5")
    monkeypatch.setenv("CLAIMLINE_THREADS", "1")
    s = Settings.from_env()
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert (s.seeds_dir, s.meta_ttl, s.response_cache_mib, s.threads) == (
        Path("/somewhere/seeds"), 0.0, 0.5, 1)  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert Settings.from_env().database_url == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("CLAIMLINE_CORS_ORIGINS", " https://a.example,http://localhost:5173 ")
    monkeypatch.setenv("CLAIMLINE_CACHE_HEADER", "true")
    monkeypatch.setenv("CLAIMLINE_SERVE_SEEDS", "check")
    s = Settings.from_env()
    assert s.serve_seeds == "check"
    assert s.cors_origin_list == ["https://a.example", "http://localhost:5173"]
    assert s.cache_header is True


@pytest.mark.parametrize(
    ("name", "value", "accepts"),
    [
        ("CLAIMLINE_THREADS", "abc", "an integer >= 1"),
        ("CLAIMLINE_THREADS", "0", "an integer >= 1"),
        ("CLAIMLINE_META_TTL", "-1", "a number >= 0"),
        ("CLAIMLINE_META_TTL", "nan", "a number >= 0"),
        ("CLAIMLINE_RESPONSE_CACHE_MIB", "x", "a number >= 0"),
        ("CLAIMLINE_RESPONSE_CACHE_MIB", "-1", "a number >= 0"),
        ("CLAIMLINE_CACHE_HEADER", "maybe", "true or false"),
        ("CLAIMLINE_SERVE_SEEDS", "sometimes", "one of load, check, none"),
        # A browser's Origin never has a path or a trailing slash: this would never match.
        ("CLAIMLINE_CORS_ORIGINS", "https://a.example/", ORIGINS),
        ("CLAIMLINE_CORS_ORIGINS", "a.example", ORIGINS),
        ("CLAIMLINE_CORS_ORIGINS", "*,https://a.example", ORIGINS),
        ("CLAIMLINE_CORS_ORIGINS", ",", ORIGINS),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, accepts: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    assert str(raised.value) == f"{name}: '{value}' is not valid: {accepts}"


def test_the_command_line_prints_the_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A database that must stay untouched: the settings fail before anything opens it.
    database = tmp_path / "untouched.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("CLAIMLINE_THREADS", "abc")
    assert cli.main(["migrate"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "CLAIMLINE_THREADS: 'abc' is not valid: an integer >= 1\n"
    assert captured.out == ""
    assert not database.exists()


def test_a_replaced_variable_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLAIMLINE_RESPONSE_CACHE counted entries; ignoring it would quietly turn a cache its
    operator had switched off back on."""
    monkeypatch.setenv("CLAIMLINE_RESPONSE_CACHE", "0")
    monkeypatch.setenv("CLAIMLINE_THREADS", "0")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("CLAIMLINE_RESPONSE_CACHE: no longer read")
    assert "CLAIMLINE_RESPONSE_CACHE_MIB" in lines[0]
    assert lines[1] == "CLAIMLINE_THREADS: '0' is not valid: an integer >= 1"
