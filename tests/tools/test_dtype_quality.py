"""The bf16-against-fp32 quality measurement of the demo model, run as the script it is on two articles."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NATIVE_BF16, ROOT


@NATIVE_BF16
@pytest.mark.slow
def test_the_script_evaluates_both_dtypes_and_compares_them(pubmed_sample, tmp_path):
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", str(ROOT / "tools" / "dtype_quality.sh"), str(pubmed_sample), str(tmp_path), "2"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "2 shared documents" in result.stdout and "summarized differently in B" in result.stdout
    for dtype in ("fp32", "bf16"):
        assert f"dtype:{dtype}" in (tmp_path / dtype / "metrics.json").read_text(encoding="utf-8")
