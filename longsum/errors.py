"""The one exception type for mistakes a user can fix."""


class LongsumError(Exception):
    """A problem with the user's input or environment, reported as one line on stderr.

    The CLI catches it, prints ``error: <message>`` and exits with ``exit_code`` (2 by
    default, as for a usage error); anything else is a bug and keeps its traceback.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
