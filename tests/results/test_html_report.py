"""The HTML report: content, self-containment, escaping, and a screenshot in headless Chromium."""

import json
import re
import shutil
import subprocess

import pytest
from conftest import EXAMPLES
from fakes import EchoSummarizer

from longsum.config import DataSettings, EvalConfig, ModelSettings, ScoreSettings
from longsum.results.html_report import grouped_chart, histogram_chart
from longsum.runs.evaluation import evaluate
from longsum.runs.scoring import score_file

BAR_BLUE = (0x3B, 0x6F, 0xB6)
BAR_ORANGE = (0xE0, 0x8A, 0x2E)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report-run")
    config = EvalConfig(
        model=ModelSettings(model="lead-2"),
        data=DataSettings(dataset=str(EXAMPLES)),
        scoring=ScoreSettings(bootstrap_samples=50),
    )
    evaluate(config, output_dir=directory, report=directory / "report.html")
    return directory


def test_report_holds_the_signature_scores_buckets_statistics_and_examples(run):
    html = (run / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["signature"] in html
    assert f"{100 * metrics['rouge']['rouge1']['f']:.2f}" in html
    for section in ('id="scores"', 'id="by-length"', 'id="statistics"', "Best documents", "Worst documents"):
        assert section in html
    assert html.count('class="example"') == 6
    # One bar per ROUGE type and bucket, and per side and bin in each of the 4 histograms.
    assert html.count('class="bar"') == 4 * len(metrics["by_length"]) + 4 * 2 * 12


def test_report_is_self_contained(run):
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_report_escapes_what_the_texts_hold(tmp_path, examples):
    class Hostile(EchoSummarizer):
        def generate(self, batch):
            return [type(o)(text="<script>alert(1)</script> & more", tokens=3) for o in super().generate(batch)]

    config = EvalConfig(
        model=ModelSettings(model="x"),
        data=DataSettings(dataset=str(examples), limit=2),
        scoring=ScoreSettings(bootstrap_samples=20),
    )
    evaluate(config, summarizer=Hostile(), output_dir=tmp_path, report=tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_report_gives_the_share_cut_at_the_length_limit(tmp_path, examples):
    config = EvalConfig(
        model=ModelSettings(model="x"),
        data=DataSettings(dataset=str(examples), limit=2),
        scoring=ScoreSettings(bootstrap_samples=20),
    )
    evaluate(config, summarizer=EchoSummarizer(), output_dir=tmp_path, report=tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    # Every example is longer than the six words echoed: each summary was cut.
    assert '<span id="cut-at-limit">2 summaries (100.0%) cut at the length limit</span>' in html


def test_report_from_predictions_without_statistics(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": str(i), "prediction": f"the cell {i}", "reference": "the cell cycle"}) + "\n"
            for i in range(4)
        )
    )
    metrics = score_file(path, None, ScoreSettings(bootstrap_samples=20), report=tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert metrics["statistics"] == {} and "carry no statistics" in html
    assert "No input lengths were recorded" in html


def test_charts_scale_bars_to_the_tallest_value():
    chart = grouped_chart("t", ["a", "b"], {"s": [1.0, 4.0]})
    heights = [b.height for b in chart.bars]
    assert heights[1] == pytest.approx(4 * heights[0]) and max(heights) == pytest.approx(240 - 44 - 12)
    histogram = histogram_chart("h", {"p": [1, 1, 2, 9], "r": [5]}, bins=4)
    assert len(histogram.bars) == 8 and len(histogram.x_labels) == 2


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed")
def test_report_renders_in_headless_chromium(run, tmp_path):
    from PIL import Image

    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    page = (run / "report.html").resolve().as_uri()
    dom = subprocess.run([chromium(), *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert 'id="scores"' in dom.stdout and "rougeLsum" in dom.stdout
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium(), *flags, "--window-size=1280,1600", "--hide-scrollbars", f"--screenshot={shot}", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1600)
    pixels = list(image.get_flattened_data()) if hasattr(image, "get_flattened_data") else list(image.getdata())
    # Not a blank page: text, tables and bars cover a good part of it, in the chart colours.
    assert sum(p != (255, 255, 255) for p in pixels) > 0.03 * len(pixels)
    assert sum(p == BAR_BLUE for p in pixels) > 500
    assert sum(p == BAR_ORANGE for p in pixels) > 500
