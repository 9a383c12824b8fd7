"""Production configuration: with the variables a deployer sets, ``manage.py check --deploy
--fail-level WARNING`` reports nothing, under ``jiceng.settings`` and ``jiceng.settings_production``;
loosening a 等保 control is reported; production refuses to start without its secrets."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest


def production_env(tmp_path, **extra) -> dict:
    key = base64.b64encode(os.urandom(32)).decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JICENG_", "DATABASE_URL", "DJANGO_"))}
    env.update({
        "JICENG_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "jiceng.settings_production",
        "JICENG_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "JICENG_FIELD_KEYS": json.dumps({"k1": key}),
        "JICENG_FIELD_HASH_KEY": base64.b64encode(os.urandom(32)).decode(),
        "JICENG_ALLOWED_HOSTS": "jiceng.example.gov.cn",
        "JICENG_CSRF_TRUSTED_ORIGINS": "https://jiceng.example.gov.cn",
        "DATABASE_URL": "postgres://jiceng:secret@db.internal:5432/jiceng",
        "JICENG_CACHE_URL": "redis://cache.internal:6379/1",
        "JICENG_DATA_DIR": str(tmp_path),
    })
    env.update(extra)
    return env


def check(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["jiceng.settings_production", "jiceng.settings"])
def test_check_deploy_reports_no_warnings_in_production(tmp_path, module):
    done = check(production_env(tmp_path, DJANGO_SETTINGS_MODULE=module))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


LOOSENED = {  # variable: (value, the check that reports it)
    "JICENG_LOCKOUT_THRESHOLD": ("0", "jiceng.W001"),
    "JICENG_LOCKOUT_SECONDS": ("60", "jiceng.W002"),
    "JICENG_SESSION_IDLE_SECONDS": ("86400", "jiceng.W003"),
    "JICENG_PASSWORD_MAX_AGE_DAYS": ("0", "jiceng.W004"),
    "JICENG_CSP": ("default-src 'self' 'unsafe-inline'", "jiceng.W005"),
    "JICENG_LOGIN_IP_LIMIT": ("0", "jiceng.W007"),
    "JICENG_SECURE_COOKIES": ("false", "security.W012"),
}


def test_loosening_a_control_is_reported(tmp_path):
    done = check(production_env(tmp_path, **{name: value for name, (value, _) in LOOSENED.items()}))
    assert done.returncode != 0
    for name, (_, code) in LOOSENED.items():
        assert code in done.stdout + done.stderr, name


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    env = production_env(tmp_path)
    del env["JICENG_FIELD_KEYS"]
    done = check(env)
    assert done.returncode != 0 and "JICENG_FIELD_KEYS must be set in production" in done.stderr


def test_settings_production_refuses_an_embedded_environment(tmp_path):
    done = check(production_env(tmp_path, JICENG_ENV="embedded"))
    assert done.returncode != 0 and "needs JICENG_ENV=production" in done.stderr


def test_settings_production_refuses_debug(tmp_path):
    done = check(production_env(tmp_path, JICENG_DEBUG="true"))
    assert done.returncode != 0 and "JICENG_DEBUG must be off" in done.stderr
