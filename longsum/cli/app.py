"""The ``longsum`` command: the typer app with its commands, ``--version``, and the console-script entry."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from longsum import __version__
from longsum.cli.bench_command import bench_command
from longsum.cli.compare_command import compare_command
from longsum.cli.datasets_command import datasets_command
from longsum.cli.eval_command import eval_command
from longsum.cli.score_command import score_command
from longsum.cli.summarize_command import summarize_command
from longsum.cli.table_command import table_command


class OneLineErrors(TyperGroup):
    """The command group: a usage error (unknown option, a value outside its choices, a missing argument)
    becomes one ``error:`` line on stderr and its exit code (2), also when the app is called directly
    (``app()``, typer's ``CliRunner``), not only through ``main``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; in standalone mode, report usage errors in one line and exit."""
        run = functools.partial(super().main, args, prog_name, complete_var, windows_expand_args=windows_expand_args)
        if not standalone_mode:
            return run(standalone_mode=False, **extra)
        try:
            code = run(standalone_mode=False, **extra)
        except typer.TyperException as err:
            typer.echo(f"error: {err.format_message()}", err=True)
            sys.exit(getattr(err, "exit_code", 2))
        except typer.Abort:
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    help="Evaluate long-document summarization models (LongT5 and other seq2seq checkpoints) with ROUGE.",
    add_completion=False,
    # "rich" renders the option panels; every help text is plain (no markup), which a test checks.
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"longsum {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = None,
) -> None:
    """Evaluate long-document summarization models with ROUGE."""


def _help(command: Callable[..., None]) -> str:
    """``command``'s docstring with each paragraph on one line: rich help keeps single line breaks as they are."""
    paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


COMMANDS: dict[str, Callable[..., None]] = {
    "eval": eval_command,
    "bench": bench_command,
    "summarize": summarize_command,
    "score": score_command,
    "compare": compare_command,
    "table": table_command,
    "datasets": datasets_command,
}
for _name, _command in COMMANDS.items():
    app.command(_name, help=_help(_command))(_command)


def main() -> None:
    """Console-script entry: usage errors become one ``error:`` line and exit code 2; no arguments show the help."""
    app(args=sys.argv[1:] or ["--help"])
