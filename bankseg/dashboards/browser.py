"""Open the dashboards in headless Chromium (Debian's package, driven by Playwright) as a reader would.

Used by the browser tests and by ``make bench``: it loads a page, waits until every chart is drawn,
and reports how long that took, what the console said and what each chart drew. Chromium comes
from the system (``apt-get install chromium``), never downloaded by Playwright.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ENV = "BANKSEG_CHROMIUM"
# This machine's network is closed: without these flags Chromium keeps trying to reach Google's
# services in the background, and each refused connection is noise in the console.
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1400, "height": 1000}
# As the bank's staff read the pages: dates day first (the date pickers follow the browser's locale).
LOCALE = "en-IN"


@dataclass
class RenderedPage:
    url: str
    status: int
    seconds: float  # navigation start to the load event, by the browser's clock: the charts are inline SVG, drawn by then
    console_errors: list[str] = field(default_factory=list)
    charts: dict[str, int] = field(default_factory=dict)  # chart name -> marks drawn (0: "no data" shown)
    kpis: dict[str, str] = field(default_factory=dict)  # KPI label -> exact figure
    # chart name -> the tooltip of each mark ("DELHI · Amount: ₹1.2 L"): what a reader sees on hover
    chart_values: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)  # table name -> rows shown


def chromium_path() -> str:
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise FileNotFoundError(
            "Chromium was not found: apt-get install chromium (Debian/Ubuntu), or set BANKSEG_CHROMIUM to its path"
        )
    return path


@contextmanager
def browser():
    """A headless Chromium with a fresh profile, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bankseg-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS), viewport=VIEWPORT,
            locale=LOCALE,
        )
        try:
            yield context
        finally:
            context.close()


def render(context, url: str, screenshot: Path | None = None) -> RenderedPage:
    """Load ``url`` in a new tab, wait for the load event, read what was drawn, optionally screenshot it."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(url, wait_until="load")
        rendered = read(page, url, response.status if response else 0, errors)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        return rendered
    finally:
        page.close()


def read(page, url: str, status: int, errors: list[str]) -> RenderedPage:
    """What the current page shows: its timing, charts and KPIs."""
    seconds = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd / 1000")
    charts = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-chart]')]"
        ".map(e => [e.dataset.chart, Number(e.dataset.marks || 0)]))"
    )
    kpis = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.kpi')]"
        ".map(e => [e.dataset.kpi, e.querySelector('.kpi-detail').textContent]))"
    )
    chart_values = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('svg[data-chart]')]"
        ".map(e => [e.dataset.chart, [...e.querySelectorAll('.mark > title')].map(t => t.textContent)]))"
    )
    tables = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('table[data-table]')]"
        ".map(e => [e.dataset.table, e.querySelectorAll('tbody tr').length]))"
    )
    return RenderedPage(url, status, seconds, list(errors), charts, kpis, chart_values, tables)


def time_pages(base_url: str, slugs: list[str], screenshots: Path | None = None, repeats: int = 3) -> dict[str, float]:
    """Median seconds to a fully drawn page per dashboard; the first load of each is also screenshot."""
    timings: dict[str, float] = {}
    with browser() as context:
        for slug in slugs:
            runs = []
            for attempt in range(repeats):
                shot = screenshots / f"{slug}.png" if screenshots is not None and attempt == 0 else None
                result = render(context, f"{base_url}{slug}", shot)
                empty = [name for name, marks in result.charts.items() if marks == 0]
                if result.console_errors or result.status != 200 or empty:
                    raise RuntimeError(f"{slug}: status {result.status}, console errors {result.console_errors}, charts without data {empty}")
                runs.append(result.seconds)
            timings[slug] = sorted(runs)[len(runs) // 2]
    return timings
