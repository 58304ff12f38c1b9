"""Django's database-backed sessions, which a view can read in the same round trip as its
own first statements (``SESSION_ENGINE = "tutor.sessions"``).

Every logged-in request reads its session row before anything else: the user's id is in
it. A view that knows what it will read next without knowing the user (a phase save
reads the attempt named in its URL, the report's poll the report, and each keeps what it
read only if it is the learner's) sends those statements with the session's read
(``SessionStore.read_with``), one round trip instead of two. The row is what Django's
own read would have found (the same table, key and expiry test); decoding it, and
everything after (the user, the session hash check, saving) is Django's. A session that
is never read with anything is read as Django reads it. Same table as
``django.contrib.sessions.backends.db``: switching to this engine keeps everyone signed
in.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from tutor.database import Params, Rows, Statement, run

SESSION_READ = Statement(
    "tutor_session_read",
    f"""SELECT session_data FROM {Session._meta.db_table}
    WHERE session_key = %s AND expire_date > %s""",
)


class SessionStore(db.SessionStore):
    def read_with(self, *calls: tuple[Statement, Params]) -> Rows:
        """The rows of each call, as ``tutor.database.run`` gives them. When the session
        has a key and is not read yet, its row is read in the same round trip and kept
        for ``load``, which Django calls on the session's first use."""
        # ``_session_cache``: SessionBase's decoded session, there once it was read.
        if self.session_key is None or hasattr(self, "_session_cache"):
            return run(*calls)
        session, *results = run((SESSION_READ, [self.session_key, timezone.now()]), *calls)
        self._read_along = session
        return results

    def load(self) -> dict:
        session = self.__dict__.pop("_read_along", None)
        if session is None:  # not read along with anything: Django's own read
            return super().load()
        if not session:  # none, or expired: what Django's read does then
            self._session_key = None
            return {}
        return self.decode(session[0][0])
