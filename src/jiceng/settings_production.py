"""Production settings: ``DJANGO_SETTINGS_MODULE=jiceng.settings_production``.

Everything that differs in production is already in ``settings.py``, driven by
``JICENG_ENV=production`` (secrets required from the environment, secure cookies, HSTS, SSL
redirect, manifest static files). Importing ``settings`` after setting ``os.environ`` defaults is
fragile (a module imported earlier keeps its embedded values), so this module does not try: it
refuses to start unless the environment already says production, and it only adds what makes no
sense in the embedded mode. ``jiceng check --deploy --fail-level WARNING`` must pass with it
(tests/core/test_deploy_check.py); docs/deployment.md lists the variables.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("JICENG_ENV") != "production":
    raise ImproperlyConfigured("jiceng.settings_production needs JICENG_ENV=production in the environment.")

from .settings import *  # noqa: E402,F403
from .settings import DEBUG, PRODUCTION  # noqa: E402

if not PRODUCTION:  # jiceng.settings was imported before the environment said production
    raise ImproperlyConfigured("jiceng.settings was loaded in embedded mode; start the process with JICENG_ENV=production.")
if DEBUG:
    raise ImproperlyConfigured("JICENG_DEBUG must be off in production: debug pages show settings and data.")

# The session cookie lives in the browser's memory only (gone when the browser closes); the server
# still ends the session after JICENG_SESSION_IDLE_SECONDS idle or SESSION_COOKIE_AGE in all.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
