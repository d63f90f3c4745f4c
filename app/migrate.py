"""Run Alembic programmatically, so the CLI and tests share one code path."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.config import bundled_dir
from app.loader.lock import DEFAULT_LOCK_TIMEOUT, migration_lock

# migrations/ in the source tree, or the copy a wheel ships as app/_migrations.
MIGRATIONS_DIR = bundled_dir("migrations")


def alembic_config(database_url: str) -> Config:
    # No alembic.ini: a wheel does not ship it, and env.py reads nothing from it (the URL
    # comes in the attributes). alembic.ini stays for the `alembic revision` command line.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(
    database_url: str, revision: str = "head", lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> None:
    """Upgrade under the migration lock (app/loader/lock.py): LoadBusyError when another
    process keeps upgrading the same database past `lock_timeout` seconds."""
    with migration_lock(database_url, lock_timeout):
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(database_url))


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    # The migration scripts do not change while the process runs; parsing them is slow.
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
