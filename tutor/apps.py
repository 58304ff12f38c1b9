from django.apps import AppConfig
from django.db.backends.signals import connection_created


class TutorConfig(AppConfig):
    name = "tutor"
    verbose_name = "System Design Tutor"

    def ready(self):
        from tutor.database import bound_waits

        # Every process that loads the app (gunicorn, the Celery worker, manage.py)
        # bounds its waits for PostgreSQL: see tutor/database.py.
        connection_created.connect(bound_waits, dispatch_uid="tutor.database.bound_waits")
