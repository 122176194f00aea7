"""The HTML report (scripts/report.py): its command line, and the page rendered in headless Chromium.

The browser test needs the Debian packages `chromium` and `chromium-driver` (/usr/bin/chromium,
/usr/bin/chromedriver) and the pip package selenium; it fails, rather than skips, when they are missing.
Selenium is given the system chromedriver, so it never downloads a driver.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
REPORT = PROJECT_DIR / "scripts" / "report.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHART_COUNT = 7  # rates, flows, cohort heatmap, state mix, CLV holdout validation, returns, loyalty
# Installed before any page script runs: records uncaught errors and rejected promises.
ERROR_HOOK = """
window.__reportErrors = [];
window.addEventListener('error', e => window.__reportErrors.push(String(e.message || e)));
window.addEventListener('unhandledrejection', e => window.__reportErrors.push('unhandled rejection: ' + e.reason));
"""


def run_report(*args: str, db_env: Path | None = None) -> subprocess.CompletedProcess:
    """Run the report command as a user would, from the project directory (`db_env`: $DBT_DUCKDB_PATH)."""
    env = {key: value for key, value in os.environ.items() if key != "DBT_DUCKDB_PATH"}
    if db_env is not None:
        env["DBT_DUCKDB_PATH"] = str(db_env)
    return subprocess.run(
        [sys.executable, str(REPORT), *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("option", ["--grain", "--cohort-grain"])
def test_unknown_grain_is_a_one_line_error(option: str, tmp_path: Path) -> None:
    result = run_report(option, "fortnight", "--out", str(tmp_path / "report.html"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "fortnight" in result.stderr and "month" in result.stderr
    assert not (tmp_path / "report.html").exists()


def test_missing_database_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_report("--db", str(tmp_path / "absent.duckdb"), "--out", str(tmp_path / "report.html"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "dbt build" in result.stderr


def test_database_without_marts_is_a_one_line_error(tmp_path: Path) -> None:
    import duckdb

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    result = run_report("--out", str(tmp_path / "report.html"), db_env=empty)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "fct_lifecycle_metrics" in result.stderr and "dbt build" in result.stderr


@pytest.fixture
def browser(tmp_path: Path) -> Iterator:
    """Headless Chromium driven by the system chromedriver, with a fresh profile and no background traffic."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: apt-get install -y chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: pip install -r requirements.txt")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is not run, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
        yield driver
    finally:
        driver.quit()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its IHDR chunk; fails if the file is not a PNG."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_report_renders_offline_in_chromium(demo_db: Path, browser, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    out = tmp_path / "lifecycle_report.html"
    # The database comes from $DBT_DUCKDB_PATH, as after `dbt build` with that variable set.
    result = run_report("--grain", "month", "--cohort-grain", "month", "--out", str(out), db_env=demo_db)
    assert result.returncode == 0, result.stderr

    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE), "the report loads an external script"
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", page, re.IGNORECASE), "external stylesheet"
    for text in ("metrics_as_of", "客户保留率", "retention_rate", "老客户唤醒率", "reactivation_rate",
                 "客户退货率", "order_return_rate", "参与率", "兑换率", "participation_rate"):
        assert text in page

    browser.get(out.as_uri())
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script(
            "const divs = document.querySelectorAll('.plotly-graph-div');"
            "return divs.length > 0 && [...divs].every(div => div.querySelector('svg.main-svg'));"
        )
    )
    charts = browser.execute_script(
        "return [...document.querySelectorAll('.plotly-graph-div')].map(div => ["
        "  div.id, div.querySelectorAll('svg.main-svg').length, div.getBoundingClientRect().height,"
        "  div.querySelectorAll('.trace, .hm, image').length]);"
    )
    assert len(charts) == CHART_COUNT, charts
    for chart_id, svgs, height, traces in charts:
        assert svgs >= 1 and height > 200 and traces >= 1, (chart_id, svgs, height, traces)
    assert browser.execute_script("return typeof Plotly") == "object"

    errors = browser.execute_script("return window.__reportErrors")
    console = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [] and console == [], (errors, console)
    # Self-contained: the page fetched nothing over the network.
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => /^https?:/.test(n))"
    )
    assert fetched == [], fetched

    assert "Customer lifecycle report" in browser.title
    assert browser.find_element("id", "metrics-as-of").text.strip()
    headline = browser.find_element("id", "headline").text
    assert "%" in headline and "客户保留率" in headline
    # the predictive customer value: the validation figure's two lines, the fitted parameters, value by state
    validation = browser.execute_script(
        "return document.getElementById('chart-clv').data.map(trace => [trace.name, trace.x.length])")
    assert validation == [["actual", 8], ["predicted (BG/NBD)", 8]], validation
    parameters = browser.find_element("id", "clv-parameters").text
    assert "bg_nbd" in parameters and "gamma_gamma" in parameters and "alpha =" in parameters
    assert "dormant" in browser.find_element("id", "clv-by-state").text

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(height + 100, 8000))
    screenshot = tmp_path / "lifecycle_report.png"
    assert browser.save_screenshot(str(screenshot))
    width, shot_height = png_size(screenshot)
    assert width >= 1000 and shot_height >= 2000, (width, shot_height)
    assert screenshot.stat().st_size > 50_000, "the screenshot looks blank"


def report_module():
    """scripts/report.py as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("report", REPORT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["report"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_campaign_section_compares_campaigns_and_channels(demo_db: Path) -> None:
    """The demo's campaigns, their holdout comparison with the interval, the channels, and the caveat."""
    section = report_module().campaign_section(demo_db)
    for campaign_id in ("winback_2024q3_email", "winback_2024q4_sms", "churn_alert_72h", "winback_2025_coupon"):
        assert campaign_id in section
    assert "significant" in section          # the coupon programme's lift excludes zero in the demo
    # the churn-alert programme touches no dormant customer: no reactivation lift, said so rather than 0
    assert "a group is empty" in section
    assert "<h3>Channels (treated touches)</h3>" in section and "app_push" in section
    assert "not proof" in section


def test_campaign_section_without_marts(tmp_path: Path) -> None:
    import duckdb

    db_path = tmp_path / "empty.duckdb"
    duckdb.connect(str(db_path)).close()
    assert "No campaign marts" in report_module().campaign_section(db_path)
