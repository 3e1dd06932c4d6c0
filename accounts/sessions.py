"""Django's database session store, reading the session with SQL compiled once per process.

The session is read on every signed-in request; Django's store builds and compiles the same
`Session.objects.get(session_key=..., expire_date__gt=now)` each time, which costs more CPU
than running it. This store runs that same query as a `QueryShape` (`common.query_shapes`):
the same row, read on every request, nothing cached, so a logout or an expired session
counts at once. Writes, keys and expiry are Django's own (`SESSION_ENGINE`).
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from common.query_shapes import QueryShape

_SESSION = QueryShape(
    lambda p: Session.objects.filter(
        session_key=p.key.str(), expire_date__gt=p.now.datetime()
    ).values("session_data", "expire_date")
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        rows = _SESSION.rows(model=Session, key=self.session_key, now=timezone.now())
        if not rows:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, **rows[0])
