"""The ``jiceng`` console command: help is help, never a server bound to "--help"."""

from __future__ import annotations

from unittest import mock

import pytest

from jiceng import cli


@pytest.mark.parametrize("argv", [["jiceng", "demo", "--help"], ["jiceng", "serve", "-h"], ["jiceng", "help"]])
def test_help_flags_print_the_usage_and_start_nothing(argv, capsys):
    with mock.patch.object(cli, "serve") as serve, mock.patch("django.core.management.call_command") as command:
        cli.main(argv)
    serve.assert_not_called()
    command.assert_not_called()  # no migrate, no demo load
    assert "usage: jiceng demo [HOST:PORT]" in capsys.readouterr().out
