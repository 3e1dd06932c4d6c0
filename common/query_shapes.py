"""Reads whose SQL is built and compiled once per process, then run with new parameters.

Building a queryset with annotations and compiling it to SQL costs more CPU than running it
on a hot path (a track object). A `QueryShape` builds its `values()` queryset once per
database alias, with sentinel values standing for its parameters, compiles it, and keeps the
SQL with the position of each parameter; a call runs that SQL with the caller's values and
the ORM's own converters. Only the query's text is kept, never a result, so no write needs
to invalidate anything.

On PostgreSQL a shape also runs as a prepared statement (psycopg's server-side binding, on
this cursor only; every other query keeps Django's client-side binding): each connection
parses and plans it once, then runs the plan with new parameters (`DATABASE_PREPARED_STATEMENTS`
in settings; off behind a pooler in transaction mode, which cannot keep them). Planning
cost more PostgreSQL CPU than running these reads: a track object's 1.6 ms fell to 0.6 ms.

A parameter is a value the query compares with (`p.id.int()` where a filter takes an int,
`p.now.datetime()`, `p.day.date()`, `p.market.str()`) or a slice bound
(`sliced(queryset, p.offset, p.limit)`).
"""

import datetime
import re
import threading
from collections.abc import Callable

from django.db import connections, router
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import QuerySet

_INT_BASE = 7_306_001_000
_SLICE_BASE = 913_370_000


class Param:
    """A named parameter of a shape; `.value(kind)` is its sentinel while the shape is built."""

    def __init__(self, name: str, number: int):
        self.name = name
        self.number = number

    def int(self) -> int:
        return _INT_BASE + self.number

    def str(self) -> str:
        return f"\x01shape-param-{self.number}\x01"

    def date(self) -> datetime.date:
        # Defined before `datetime`, which shadows the module in this class body.
        return datetime.date(1901, 2, 1) + datetime.timedelta(days=self.number)

    def datetime(self) -> datetime.datetime:
        return datetime.datetime(1901, 1, 1, 0, 0, self.number, 123_457, tzinfo=datetime.UTC)

    def slice_bound(self) -> int:
        return _SLICE_BASE + self.number


class Params:
    """The parameters a shape's builder uses, by attribute: `p.id.int()`, `p.now.datetime()`."""

    def __init__(self):
        self._all: dict[str, Param] = {}

    def __getattr__(self, name: str) -> Param:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._all:
            self._all[name] = Param(name, len(self._all) + 1)
        return self._all[name]


def sliced(queryset: QuerySet, offset: Param, limit: Param) -> QuerySet:
    """The queryset's rows `offset` to `offset + limit` (LIMIT/OFFSET parameters)."""
    queryset = queryset._chain()
    queryset.query.set_limits(offset.slice_bound(), offset.slice_bound() + limit.slice_bound())
    return queryset


_PLACEHOLDER = re.compile(r"(?<!%)%s")


class QueryShape:
    """`build(params)` returns a `values()`/`values_list()` queryset; `rows(**values)` runs it.

    Rows are dicts keyed by the queryset's field and annotation names.
    """

    def __init__(self, build: Callable[[Params], QuerySet]):
        self.build = build
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        params = Params()
        queryset = self.build(params)
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, sql_params = compiler.as_sql()
        connection = connections[alias]
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        columns = [col for col, _, _ in compiler.select[: len(names)]]
        converters = list(compiler.get_converters(columns).items())
        slots: list = []  # per placeholder: a parameter name, or a fixed value
        for value in sql_params:
            slots.append(("fixed", value))
        for param in params._all.values():
            sentinels = {
                param.int(),
                param.str(),
                param.datetime(),
                connection.ops.adapt_datetimefield_value(param.datetime()),
                param.date(),
                connection.ops.adapt_datefield_value(param.date()),
            }
            for index, (kind, value) in enumerate(slots):
                if kind == "fixed" and _hashable(value) and value in sentinels:
                    slots[index] = ("param", param.name)
        # Slice bounds are written into the SQL as literals: make them placeholders (the
        # same bound may slice several subqueries, as in a union over one page).
        for param in params._all.values():
            literal = re.compile(rf"\b{param.slice_bound()}\b")
            while (match := literal.search(sql)) is not None:
                before = len(_PLACEHOLDER.findall(sql, 0, match.start()))
                sql = sql[: match.start()] + "%s" + sql[match.end() :]
                slots.insert(before, ("param", param.name))
        for kind, value in slots:
            if kind == "fixed" and _hashable(value) and _looks_like_sentinel(value):
                raise ValueError(f"a parameter of the shape was not found: {value!r}")
        return sql, slots, names, converters

    def rows(self, *, model, **values) -> list[dict]:
        """Run the shape on the database `model`'s reads are routed to."""
        alias = router.db_for_read(model) or "default"
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = compiled
        sql, slots, names, converters = compiled
        connection = connections[alias]
        args = [_adapt(connection, values[v]) if k == "param" else v for k, v in slots]
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        if converters:
            rows = [_converted(row, converters, connection) for row in rows]
        return [dict(zip(names, row, strict=True)) for row in rows]


def prepared_cursor(connection):
    """A cursor whose statements PostgreSQL prepares once per connection (psycopg keeps them,
    and prepares again after a rollback, when it drops them all), where the connection
    prepares statements (its `prepare_threshold`, Django's OPTIONS, is set); otherwise
    Django's own cursor. One statement per `execute`."""
    if connection.vendor != "postgresql" or not _prepares(connection):
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # Django's cursor() steps (health check, connect, error wrapping, query logging),
    # with the server-side binding cursor psycopg prepares statements on.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedPreparedCursor(raw, connection)
    return connection.make_cursor(raw)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """Django's query log (DEBUG, tests) with each statement's SQL and values, as Django's
    client-side cursor logs them: psycopg keeps no text of a prepared statement's run."""

    def execute(self, sql, params=None):
        logged = self.db.ops.compose_sql(sql, params) if params else sql
        with self.debug_sql(logged):
            return super(CursorDebugWrapper, self).execute(sql, params)


def _prepares(connection) -> bool:
    return connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None


def _converted(row: tuple, converters: list, connection) -> list:
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


def _adapt(connection, value):
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _looks_like_sentinel(value) -> bool:
    if isinstance(value, str):
        return value.startswith("\x01shape-param-")
    if isinstance(value, int) and not isinstance(value, bool):
        return _INT_BASE < value < _INT_BASE + 1000
    return False
