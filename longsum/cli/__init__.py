"""The command line: one module per command (parse, build a frozen config, call the library, render).

``app`` is the typer app and ``main`` the console-script entry; importing this package never imports torch,
so ``longsum --help`` stays instant.
"""

from longsum.cli.app import app, main
from longsum.cli.shared import EngineOptions, Interrupted, engine_options, terminate_as_interrupt, user_errors

__all__ = ["EngineOptions", "Interrupted", "app", "engine_options", "main", "terminate_as_interrupt", "user_errors"]
