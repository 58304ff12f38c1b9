from django.apps import AppConfig
from django.db.backends.signals import connection_created

from tutor.database import bound_waits, fast_timestamps


class TutorConfig(AppConfig):
    name = "tutor"
    verbose_name = "System Design Tutor"

    def ready(self):
        # Every process that loads the app (gunicorn, the Celery worker, manage.py)
        # bounds its waits for PostgreSQL: see tutor/database.py.
        connection_created.connect(bound_waits, dispatch_uid="tutor.database.bound_waits")
        # ... and reads timestamps with psycopg's C loader where that gives what Django's
        # own loader gives.
        connection_created.connect(fast_timestamps, dispatch_uid="tutor.database.timestamps")
