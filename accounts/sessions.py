"""The session store: Django's database store on `accounts.Session`, which keeps the
signed-in user's id in a column, so the session and its user are one query.

Every signed-in request reads its session and then its user. Django's store builds and
compiles `Session.objects.get(session_key=..., expire_date__gt=now)` each time, and the
auth backend then reads the user by a second query. Here one compiled `QueryShape`
(`common.query_shapes`) reads the session row with the user row of its `user_id` (a left
join); `AuthenticationMiddleware` (accounts/middleware.py) lets the backend take that row
while Django's `auth.get_user` runs for the request, so Django still checks the session's
user id, backend and password hash against it. The rows are read on every request and
nothing is cached, so a logout, an expired session, a deactivated account or a new
password counts at once. Keys, expiry and writes are Django's own; a session saved before
the column existed (no `user_id`) reads its user by the backend's own query.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

from accounts.models import Session, User
from common.query_shapes import QueryShape

# The user row as the backend builds a User from it (`ThrottledModelBackend.get_user`).
USER_FIELDS = [field.attname for field in User._meta.concrete_fields]

_SESSION = QueryShape(
    lambda p: Session.objects.filter(
        session_key=p.key.str(), expire_date__gt=p.now.datetime()
    ).values("session_data", "expire_date", *(f"user__{name}" for name in USER_FIELDS))
)

# The session store of the request whose user `auth.get_user` is reading now.
_READING: ContextVar["SessionStore | None"] = ContextVar("session_user_reading", default=None)


class SessionStore(db.SessionStore):
    # The user row read with the session (its attnames and values), None when the session
    # has no user column set or its user is gone.
    user_row: dict | None = None

    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        rows = _SESSION.rows(model=Session, key=self.session_key, now=timezone.now())
        self.user_row = None
        if not rows:
            self._session_key = None
            return None
        row = rows[0]
        if row["user__id"] is not None:
            self.user_row = {name: row[f"user__{name}"] for name in USER_FIELDS}
        return self.model(
            session_key=self.session_key,
            session_data=row["session_data"],
            expire_date=row["expire_date"],
        )

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = _user_id(data.get(SESSION_KEY))
        return session


def _user_id(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@contextmanager
def reading_user_of(session):
    """While `auth.get_user` reads the user of `session`'s request."""
    token = _READING.set(session if isinstance(session, SessionStore) else None)
    try:
        yield
    finally:
        _READING.reset(token)


def user_row_read_with_session(user_id) -> dict | None:
    """The user row the session being read for `auth.get_user` came with, if it is the row
    of `user_id` (the id the session's data names); otherwise None."""
    session = _READING.get()
    row = session.user_row if session is not None else None
    if row is None or _user_id(user_id) != row["id"]:
        return None
    return row
