"""The Celery application.

Configured from Django settings under the ``CELERY_`` namespace. Without ``REDIS_URL``
the settings turn on ``task_always_eager`` so that tasks run in process (the embedded
default); with it, a real worker (``celery -A tutor worker``) does the work.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")

app = Celery("tutor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
