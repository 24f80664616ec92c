"""Models and migrations agree, on every backend (the equivalent of `alembic check`)."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from core.audit import ACTION_NAME
from db import models  # noqa: F401  (registers every table on the metadata)
from db.engine import make_engine
from db.migrate import alembic_config, upgrade_to_head


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_old_audit_names_are_renamed_on_upgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        command.upgrade(config, "0004")
        for action, entity in [("login", "person"), ("rolemap.save", "rolemap")]:
            connection.execute(
                text(
                    "INSERT INTO auditevent (at, action, entity, detail) "
                    "VALUES (CURRENT_TIMESTAMP, :action, :entity, '')"
                ),
                {"action": action, "entity": entity},
            )
    upgrade_to_head(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT action, entity FROM auditevent ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("account.signed_in", "person"),
        ("role_map.saved", "role_map"),
    ]
    assert all(ACTION_NAME.match(action) for action, _ in rows)
