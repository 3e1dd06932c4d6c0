"""PostgreSQL: rebuild playback_playevent as a table partitioned by month of ended_at.

The model keeps `id` as its primary key for Django; in the database the key becomes
(id, ended_at), as PostgreSQL requires of a partitioned table. Columns, CHECK constraints,
indexes and foreign keys are carried over from the table as it is (whatever migrations
before this one made of it); rows are copied. Monthly partitions are made for the months
of the data (at most 24 back) and 3 ahead; anything else lands in the DEFAULT partition.
The reverse rebuilds a plain table with the primary key on id. SQLite: nothing to do.
"""

import datetime

from django.db import migrations

TABLE = "playback_playevent"
MONTHS_BACK, MONTHS_AHEAD = 24, 3


def _next(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def _table_shape(cursor, table):
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p')",
        [table, table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
        [table],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint "
        "WHERE confrelid = to_regclass(%s) AND contype = 'f'",
        [table],
    )
    referencing = [row[0] for row in cursor.fetchall()]
    if referencing:
        raise RuntimeError(
            f"{TABLE} cannot be rebuilt while {', '.join(referencing)} reference it by id alone."
        )
    return indexes, foreign_keys


def _rebuild(schema_editor, *, partitioned: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        if (cursor.fetchone()[0] == "p") == partitioned:
            return
        indexes, foreign_keys = _table_shape(cursor, TABLE)
        old = f"{TABLE}_rebuild_old"
        cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{old}"')
        scheme = " PARTITION BY RANGE (ended_at)" if partitioned else ""
        cursor.execute(
            f'CREATE TABLE "{TABLE}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            f"INCLUDING STORAGE INCLUDING COMMENTS){scheme}"
        )
        if partitioned:
            cursor.execute(f'SELECT min(ended_at) FROM "{old}"')  # noqa: S608
            first = cursor.fetchone()[0]
            this_month = datetime.datetime.now(datetime.UTC).date().replace(day=1)
            months = [this_month]
            for _ in range(MONTHS_BACK):
                months.insert(0, _previous(months[0]))
            for _ in range(MONTHS_AHEAD):
                months.append(_next(months[-1]))
            oldest = first.astimezone(datetime.UTC).date().replace(day=1) if first else this_month
            for month in months:
                if month < min(oldest, this_month):
                    continue
                cursor.execute(
                    f'CREATE TABLE "{TABLE}_p{month:%Y%m}" PARTITION OF "{TABLE}" '
                    f"FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') "
                    f"TO ('{_next(month):%Y-%m-%d} 00:00:00+00')"
                )
            cursor.execute(f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT')
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{old}"')  # noqa: S608
        cursor.execute(f'DROP TABLE "{old}"')
        key = "(id, ended_at)" if partitioned else "(id)"
        cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY {key}')
        for definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {definition}')


def forwards(apps, schema_editor):
    _rebuild(schema_editor, partitioned=True)


def backwards(apps, schema_editor):
    _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("playback", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
