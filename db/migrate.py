"""Bring a database to the newest schema; the app calls this on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same for every replica.
_PG_MIGRATION_LOCK_ID = 472_913_001


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply pending migrations. On PostgreSQL an advisory lock makes replicas
    that start together take turns instead of racing on the same DDL."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK_ID}
            )
        config.attributes["connection"] = connection
        # "heads": feature branches of the migration tree may run side by side.
        command.upgrade(config, "heads")
