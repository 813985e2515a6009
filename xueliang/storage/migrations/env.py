"""Alembic environment: migrations run on the connection handed in by xueliang.storage.upgrade.

Each subsystem keeps its own branch (branch label ``core``, ``ledger``, ``vision``, ...);
``upgrade heads`` applies them all.
"""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through xueliang.storage.upgrade(engine)")

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
