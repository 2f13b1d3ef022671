"""``python -m longsum``: the same entry point as the ``longsum`` command."""

from longsum.cli import main

main()
