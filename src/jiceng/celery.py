"""Celery application. Eager (in-process) by default; a Redis broker in production."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

app = Celery("jiceng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
