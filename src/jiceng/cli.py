"""The ``jiceng`` console command: ``jiceng demo``, ``jiceng serve`` and Django's management commands."""

from __future__ import annotations

import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django

    django.setup()


def serve(bind: str = "127.0.0.1:8000", workers: int = 2) -> None:
    """Serve with gunicorn (threads for concurrency, a few processes for isolation)."""
    from django.conf import settings

    if not settings.PRODUCTION:
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    args = [
        "gunicorn", "jiceng.wsgi:application", "--config", "python:jiceng.gunicorn_conf", "--bind", bind,
        "--workers", str(workers), "--threads", "4", "--access-logfile", "-", "--timeout", "120",
    ]
    os.execvp(sys.executable, [sys.executable, "-m", *args])  # noqa: S606 - fixed argv, no shell


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    _setup()
    from django.core.management import call_command, execute_from_command_line

    if command in ("demo", "serve") and len(argv) > 2 and argv[2].startswith("-"):
        command = "help"  # "jiceng demo --help" asks for help, not for a server at "--help"
    if command == "demo":
        bind = argv[2] if len(argv) > 2 else os.environ.get("JICENG_BIND", "127.0.0.1:8000")
        os.environ["JICENG_BIND"] = bind  # the printed logins name this address
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_demo", verbosity=1)
        print(f"\n  Jiceng 基层 is serving the demo county at http://{bind}/  (Ctrl+C to stop)\n", flush=True)
        serve(bind)
    elif command == "serve":
        bind = argv[2] if len(argv) > 2 else os.environ.get("JICENG_BIND", "127.0.0.1:8000")
        serve(bind)
    elif command in ("help", "--help", "-h"):
        print(
            "usage: jiceng demo [HOST:PORT]    migrate, load the demo county if empty, print logins, serve\n"
            "       jiceng serve [HOST:PORT]   serve with gunicorn\n"
            "       jiceng <django command>    any management command (migrate, createsuperuser, load_demo …)"
        )
        execute_from_command_line([argv[0], "help"])
    else:
        execute_from_command_line(argv)


if __name__ == "__main__":
    main()
