"""gunicorn settings for ``jiceng serve``: in the embedded mode (no Celery broker) each worker
process runs the background timers itself; with a broker, Celery beat and workers do."""


def post_worker_init(worker):
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        from jiceng.events.tasks import start_inprocess_scheduler

        start_inprocess_scheduler()
