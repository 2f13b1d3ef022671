"""The one exception for mistakes a user can fix: its message is the line the CLI prints, with a usage-error exit
code unless told otherwise."""

import pytest

from longsum.errors import LongsumError


def test_a_user_error_is_one_message_and_exits_2_by_default():
    error = LongsumError("file not found: x.txt")
    assert str(error) == "file not found: x.txt" and error.exit_code == 2
    assert isinstance(error, Exception) and not isinstance(error, (ValueError, OSError))


def test_the_exit_code_can_be_set_and_survives_raising():
    with pytest.raises(LongsumError) as raised:
        raise LongsumError("generation failed on 1 document(s)", 1)
    assert raised.value.exit_code == 1 and raised.value.args == ("generation failed on 1 document(s)",)
