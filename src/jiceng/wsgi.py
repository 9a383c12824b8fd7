import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

from jiceng.core.dbtimeout import SERVING  # noqa: E402

SERVING["on"] = True  # this process serves requests: their statements get a ceiling (core.dbtimeout)
application = get_wsgi_application()
