"""Send reads to PostgreSQL read replicas, with read-your-writes for the requesting client.

A read goes to a replica (`DATABASE_REPLICA_URLS`, aliases `replica_<n>`) only when all hold:
- it runs inside a request passing `ReplicaPinMiddleware` (Celery tasks, commands and the
  shell read the primary: they write what they read);
- the request is safe (GET, HEAD, OPTIONS) and has written nothing so far;
- no transaction is open on the primary (a service's reads see its own writes);
- the client (session cookie or bearer token) wrote nothing within
  `DATABASE_REPLICA_PIN_SECONDS`, which covers replication lag;
- the replica answers: one that refuses a connection is skipped for
  `DATABASE_REPLICA_RETRY_SECONDS`, and its reads fall back to the primary. A safe request
  that failed (5xx) after reading a replica is run once more on the primary, so a replica
  lost in the middle of a request costs time, not an error.
"""

import contextlib
import contextvars
import hashlib
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PIN_KEY = "db-replica-pin:{}"


@dataclass
class _RequestState:
    clients: list[str]
    pinned: bool
    wrote: bool = False
    replicas_used: set[str] = field(default_factory=set)


_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar(
    "db_replica_request", default=None
)
_down_until: dict[str, float] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def _replica_usable(alias: str) -> bool:
    if _down_until.get(alias, 0.0) > time.monotonic():
        return False
    conn = connections[alias]
    try:
        if conn.connection is not None:
            conn.close_if_health_check_failed()
        if conn.connection is None:
            conn.ensure_connection()
    except OperationalError:
        replica_mark_down(alias)
        return False
    return True


def _connection_alive(alias: str) -> bool:
    conn = connections[alias]
    try:
        return conn.connection is None or conn.is_usable()
    except Exception:
        return False


def replica_mark_down(alias: str) -> None:
    """Skip `alias` for DATABASE_REPLICA_RETRY_SECONDS (called when it refused us)."""
    _down_until[alias] = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
    conn = connections[alias]
    with contextlib.suppress(Exception):  # a dead connection may fail to close
        conn.close()


def replica_marks_clear() -> None:
    _down_until.clear()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or state.pinned or state.wrote:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        aliases = replica_aliases()
        random.shuffle(aliases)
        for alias in aliases:
            if _replica_usable(alias):
                state.replicas_used.add(alias)
                return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def _client_keys(request) -> list[str]:
    """Who the client is without a database read: its session cookie or bearer token."""
    keys = []
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session:
        keys.append("s:" + session)
    authorization = request.headers.get("Authorization", "")
    if authorization:
        keys.append("a:" + authorization)
    return [_PIN_KEY.format(hashlib.sha256(key.encode()).hexdigest()) for key in keys]


class ReplicaPinMiddleware:
    """Mark the request for the router and pin a client that wrote to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        clients = _client_keys(request)
        pinned = request.method not in SAFE_METHODS
        if not pinned and clients:
            try:
                pinned = bool(cache.get_many(clients))
            except Exception:
                pinned = True
        token = _state.set(_RequestState(clients=clients, pinned=pinned))
        try:
            response = self.get_response(request)
            state = _state.get()
            lost = [a for a in state.replicas_used if not _connection_alive(a)]
            if lost and response.status_code >= 500 and not state.wrote:
                for alias in lost:
                    replica_mark_down(alias)
                _state.set(_RequestState(clients=clients, pinned=True))
                response = self.get_response(request)
                state = _state.get()
            if state is not None and (state.wrote or request.method not in SAFE_METHODS):
                self._pin(request, response, state)
            return response
        finally:
            _state.reset(token)

    def _pin(self, request, response, state: _RequestState) -> None:
        keys = list(state.clients)
        cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
        if cookie is not None and cookie.value:
            keys.append(_PIN_KEY.format(hashlib.sha256(b"s:" + cookie.value.encode()).hexdigest()))
        if not keys:
            return
        with contextlib.suppress(Exception):  # cache outage: the pin is lost, lag may show
            cache.set_many(dict.fromkeys(keys, 1), timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
