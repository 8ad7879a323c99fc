"""distributed workers: procrastinate's job queue schema (PostgreSQL only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

The schema is procrastinate's own `schema.sql` of the pinned version, applied as is, so `monitor db upgrade` leaves
a database ready for `monitor worker`. SQLite has no workers (single-process mode only): a no-op there. A later
procrastinate upgrade adds a revision applying its `sql/migrations/*.sql` files in order.
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is not None:
        return  # applied already (say with `procrastinate schema --apply`): nothing to do
    # The raw psycopg cursor, without parameters: the script holds many statements and `%` signs, which SQLAlchemy
    # text() and driver-level formatting would both try to interpret. Same connection, same transaction.
    cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(SchemaManager.get_schema())
    finally:
        cursor.close()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Everything procrastinate created is prefixed `procrastinate_`; CASCADE takes triggers and indexes along.
    for (name,) in bind.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, 'procrastinate')"
    ).all():
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    for (signature,) in bind.exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND starts_with(p.proname, 'procrastinate')"
    ).all():
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for (name,) in bind.exec_driver_sql(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() AND starts_with(t.typname, 'procrastinate') AND t.typtype IN ('e', 'c')"
    ).all():
        bind.exec_driver_sql(f'DROP TYPE IF EXISTS "{name}" CASCADE')
