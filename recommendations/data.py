"""Read columns of integers into numpy arrays fast.

A queryset's `values_list` of integer (or date) columns becomes one int64 array per
column. On PostgreSQL the server packs the rows into one bytea per batch
(`string_agg(int8send(a) || int8send(b) ..., '')`), which numpy reads in one go: about
4 million rows a second here, where a binary COPY streams one message per row and
psycopg then spends most of its time per message. Plain querysets are read in batches
of primary keys (a bytea holds at most 1 GiB). Elsewhere rows are fetched in batches.
Dates come back as days since 1970-01-01.
"""

import datetime

import numpy as np
from django.db import connection
from django.db.models import Max, Min, QuerySet

_EPOCH = datetime.date(1970, 1, 1)
_BATCH = 20_000
_PK_SPAN = 20_000_000  # rows of one pk range read at once (at most ~40 bytes each)


def day_number(day: datetime.date) -> int:
    return (day - _EPOCH).days


def column_arrays(queryset: QuerySet, *fields: str, dates: tuple[str, ...] = ()) -> list:
    """Return one int64 array per field of `queryset.values_list(*fields)`.

    The columns must be integers or dates (name those in `dates`) and never NULL.
    """
    if connection.vendor != "postgresql":
        return _fetch(queryset.values_list(*fields).order_by(), fields, dates)
    plain = queryset.query.group_by is None and not queryset.query.annotations
    if not plain:
        return _packed(queryset, fields, dates)
    bounds = queryset.order_by().aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return [np.zeros(0, dtype=np.int64) for _ in fields]
    parts = [
        _packed(queryset.filter(pk__gte=low, pk__lt=low + _PK_SPAN), fields, dates)
        for low in range(bounds["low"], bounds["high"] + 1, _PK_SPAN)
    ]
    return [np.concatenate([part[i] for part in parts]) for i in range(len(fields))]


def _fetch(queryset: QuerySet, fields, dates) -> list[np.ndarray]:
    columns: list[list[int]] = [[] for _ in fields]
    date_columns = {fields.index(name) for name in dates}
    for row in queryset.iterator(chunk_size=_BATCH):
        for i, value in enumerate(row):
            columns[i].append(day_number(value) if i in date_columns else value)
    return [np.asarray(column, dtype=np.int64) for column in columns]


def _packed(queryset: QuerySet, fields, dates) -> list[np.ndarray]:
    sql, params = queryset.values_list(*fields).order_by().query.sql_with_params()
    names = [f"c{i}" for i in range(len(fields))]
    packed = " || ".join(
        f"int8send(({name} - DATE '1970-01-01')::int8)"
        if field in dates
        else f"int8send({name}::int8)"
        for name, field in zip(names, fields, strict=True)
    )
    statement = f"SELECT string_agg({packed}, ''::bytea) FROM ({sql}) AS q ({', '.join(names)})"  # noqa: S608
    import psycopg

    connection.ensure_connection()
    # A server-side binding cursor of psycopg: binary results, no hex round trip.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, params, binary=True)
        (data,) = cursor.fetchone()
    rows = np.frombuffer(bytes(data or b""), dtype=np.dtype([(n, ">i8") for n in names]))
    return [rows[name].astype(np.int64) for name in names]
