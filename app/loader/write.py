"""Make the database hold exactly the dataset, in one transaction, touching only what differs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, select, update

from app import changes, dataset_meta, derived
from app.loader import stamps
from app.loader.lock import DEFAULT_LOCK_TIMEOUT, write_transaction
from app.loader.validate import Dataset, Row
from app.models import STAMP_COLUMNS, STAMPED_TABLES, TABLES_IN_LOAD_ORDER
from app.models import tombstones_table as T


@dataclass
class TableChange:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    total: int = 0


@dataclass
class LoadSummary:
    tables: dict[str, TableChange] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.inserted or c.updated or c.deleted for c in self.tables.values())

    def lines(self) -> list[str]:
        return [
            f"{name}: {c.total} in seeds, {c.inserted} inserted, {c.updated} updated, "
            f"{c.deleted} removed"
            for name, c in self.tables.items()
        ]


def _key(table: Table, row: Row) -> tuple[Any, ...]:
    return tuple(row[col.name] for col in table.primary_key.columns)


def _existing(conn: Connection, table: Table) -> dict[tuple[Any, ...], Row]:
    rows = conn.execute(select(table)).mappings()
    return {_key(table, dict(r)): dict(r) for r in rows}


def _where_key(table: Table, key: tuple[Any, ...]) -> Any:
    return and_(*(col == value for col, value in zip(table.primary_key.columns, key, strict=True)))


def sync(conn: Connection, dataset: Dataset, stamp: datetime) -> LoadSummary:
    """Insert, update and delete rows so that each table equals the dataset; the records
    this changes (app/loader/stamps.py) get `stamp` as their updated_at (and created_at, if
    new), and those it removes a tombstone."""
    summary = LoadSummary()
    plans = []
    diffs: dict[str, stamps.TableDiff] = {}
    for table in TABLES_IN_LOAD_ORDER:
        wanted = {_key(table, row): row for row in dataset.tables.get(table.name, [])}
        have = _existing(conn, table)
        inserts = [row for key, row in wanted.items() if key not in have]
        updates = [
            (key, row) for key, row in wanted.items() if key in have and _data(have[key]) != row
        ]
        deletes = [key for key in have if key not in wanted]
        summary.tables[table.name] = TableChange(
            len(inserts), len(updates), len(deletes), len(wanted)
        )
        diffs[table.name] = stamps.TableDiff(
            inserts, [(have[key], row) for key, row in updates], [have[key] for key in deletes]
        )
        plans.append((table, inserts, updates, deletes))
    changed = stamps.changed_records(diffs, dataset)
    new = {"created_at": stamp, "updated_at": stamp}
    # Parents before children on insert and update; children before parents on delete.
    for table, inserts, updates, _ in plans:
        if inserts:
            stamped = table in STAMPED_TABLES
            conn.execute(table.insert(), [{**row, **new} if stamped else row for row in inserts])
        for key, row in updates:
            conn.execute(update(table).where(_where_key(table, key)).values(**row))
    for table, _, _, deletes in reversed(plans):
        self_refs = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
        for key in deletes:
            # A removed actor may be the parent of another removed actor: unlink first.
            if self_refs:
                unlink = {col.name: None for col in self_refs}
                conn.execute(update(table).where(_where_key(table, key)).values(**unlink))
        for key in deletes:
            conn.execute(delete(table).where(_where_key(table, key)))
    for table in STAMPED_TABLES:
        diff = diffs[table.name]
        added = [row["id"] for row in diff.inserted]
        removed = [row["id"] for row in diff.deleted]
        _bump(conn, table, sorted(changed[table.name] - set(added)), stamp)
        _untomb(conn, table.name, added + removed)
        if removed:
            conn.execute(T.insert(), [{"kind": table.name, "id": i, "removed_at": stamp}
                                      for i in removed])  # fmt: skip
    return summary


# Ids per statement: well under SQLite's limit of bound parameters.
_CHUNK = 500


def _bump(conn: Connection, table: Table, ids: list[str], stamp: datetime) -> None:
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        conn.execute(update(table).where(table.c.id.in_(chunk)).values(updated_at=stamp))


def _untomb(conn: Connection, kind: str, ids: list[str]) -> None:
    for i in range(0, len(ids), _CHUNK):
        conn.execute(delete(T).where(T.c.kind == kind, T.c.id.in_(ids[i : i + _CHUNK])))


def _data(row: Row) -> Row:
    """A stored row as the dataset gives it: without the timestamps the load sets."""
    return {k: v for k, v in row.items() if k not in STAMP_COLUMNS}


def load_dataset(
    engine: Engine, dataset: Dataset, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> LoadSummary:
    """Make the database hold `dataset`, in one transaction that holds the write lock from
    before its first read (app/loader/lock.py); LoadBusyError past `lock_timeout` seconds.
    Every record it changes gets the one instant taken as the transaction starts."""
    with write_transaction(engine, lock_timeout) as conn:
        summary = sync(conn, dataset, changes.next_instant(conn))
        spans = dataset_meta.max_spans(
            (e["date_precision"], e["date_earliest"], e["date_latest"])
            for e in dataset.tables["events"]
        )
        current = dataset_meta.read(conn)
        documents = len(dataset.tables["documents"])
        if (
            summary.changed
            or current.version == "unversioned"
            or current.spans != spans
            or (current.documents != documents)
        ):
            dataset_meta.write(conn, spans, documents)
        digest = dataset.digest()
        if dataset_meta.seeds_digest(conn) != digest:
            dataset_meta.record_seeds(conn, digest)
        if not dataset_meta.read(conn).derived:
            derived.rebuild(conn)
        return summary
