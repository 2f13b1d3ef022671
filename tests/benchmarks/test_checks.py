"""The bench report checks a CI job gates on."""

import pytest
from fakes import write_baseline

from longsum.benchmarks.checks import check_regression, check_speedup
from longsum.errors import LongsumError


@pytest.mark.parametrize("baseline, failed", [(10.0, False), (10.5, False), (11.2, True)])
def test_regression_check(tmp_path, baseline, failed):
    report = {"longsum": {"docs_per_second": 10.0}}
    message = check_regression(report, write_baseline(tmp_path / "b.json", baseline), 0.10)
    assert (message is not None) == failed
    if failed:
        assert message.startswith("regression: 10.000 docs/s is 10.7% below")


def test_a_version_1_baseline_with_the_old_probe_fields_still_gates(tmp_path):
    import json

    old = {"schema_version": 1, "longsum": {"docs_per_second": 12.0}, "machine": {"copy_bytes": 268435456}}
    (tmp_path / "v1.json").write_text(json.dumps(old), encoding="utf-8")
    assert check_regression({"longsum": {"docs_per_second": 10.0}}, tmp_path / "v1.json", 0.10).startswith(
        "regression: 10.000 docs/s is 16.7% below"
    )


def test_regression_check_needs_a_real_baseline(tmp_path):
    with pytest.raises(LongsumError, match="baseline not found"):
        check_regression({}, tmp_path / "missing.json", 0.1)
    (tmp_path / "junk.json").write_text("{}", encoding="utf-8")
    with pytest.raises(LongsumError, match="not a longsum bench report"):
        check_regression({}, tmp_path / "junk.json", 0.1)


@pytest.mark.parametrize(
    "report, minimum, failure",
    [
        ({"speedup": 2.5, "identical_predictions": True}, 2.0, None),
        (
            {"speedup": 1.5, "identical_predictions": True},
            2.0,
            "speed-up 1.50x over the docs recipe is below --min-speedup 2.00x",
        ),
        ({"speedup": 3.0, "identical_predictions": False}, 2.0, "different predictions"),
        ({"longsum": {}}, 2.0, "the docs recipe was not timed"),
    ],
)
def test_speedup_gate(report, minimum, failure):
    message = check_speedup(report, minimum)
    assert message is None if failure is None else failure in message
