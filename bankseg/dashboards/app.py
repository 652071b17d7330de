"""HTTP for the dashboards: server-rendered pages, the quality gates' results, their stylesheet and
script, Data Docs and a JSON summary.

Every URL is relative to where the app is mounted (``/bankseg`` in Airflow and standalone alike).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.params import Depends
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.trustedhost import TrustedHostMiddleware

from bankseg.dashboards import MOUNT_PATH, pages
from bankseg.dashboards.data import Filters, FilterError, SnapshotCache, quality_reports, summary
from bankseg.layout import DataLayout

PACKAGE = Path(__file__).parent
NO_DATA = (
    "No dashboard data yet: the daily run builds it (task daily_pipeline of bank_segmentation_daily). "
    "Run `make run`, or trigger the DAG in the Airflow UI."
)


def data_docs_root(layout: DataLayout) -> Path:
    return Path(layout.quality) / "gx" / "uncommitted" / "data_docs" / "local_site"


# Great Expectations' Data Docs pages link styles and scripts on public CDNs: the browser may load
# nothing from outside this server (the machines running it have no internet, and should not try).
DATA_DOCS_POLICY = "default-src 'self' 'unsafe-inline' data:"
# Every other answer: the pages' own script and stylesheet only, no inline script and nothing from
# elsewhere, so a value that slipped past escaping still could not run. Charts size themselves with
# a style attribute (style-src-attr); the Airflow UI shows the pages in a frame of its own origin.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)


def create_app(layout: DataLayout | None = None, dependencies: Sequence[Depends] = ()) -> FastAPI:
    """The dashboards; ``dependencies`` guard every page and the API (the Airflow plugin passes
    Airflow's login check), not the stylesheet and script."""
    layout = layout or DataLayout.from_env()
    cache = SnapshotCache(layout)
    templates = Environment(loader=FileSystemLoader(PACKAGE / "templates"), autoescape=select_autoescape(["html"]))
    app = FastAPI(title="bankseg dashboards", docs_url=None, redoc_url=None, openapi_url=None, dependencies=list(dependencies))
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")

    @app.middleware("http")
    async def content_security_policy(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)  # Data Docs set their own
        return response

    def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        base = request.scope.get("root_path", "").rstrip("/") + "/"
        html = templates.get_template(template).render(base=base, query=query, dashboards=pages.DASHBOARDS, **context)
        return HTMLResponse(html, status_code=status)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        snapshot = cache.get()
        if snapshot is None:
            return render(request, "index.html", status=503, title="Dashboards", slug="", snapshot_date=None, message=NO_DATA)
        return render(request, "index.html", title="Dashboards", slug="", snapshot_date=snapshot.snapshot_date, message="")

    @app.get("/api/summary")
    def api_summary(request: Request):
        """Totals of the selection, for scripts and for checking the dashboards against Hive."""
        snapshot = cache.get()
        if snapshot is None:
            raise HTTPException(503, NO_DATA)
        try:
            filters = Filters.from_query(dict(request.query_params))
        except FilterError as error:
            raise HTTPException(400, str(error)) from None
        totals = {name: None if isinstance(value, float) and math.isnan(value) else value
                  for name, value in summary(filters.apply(snapshot.activity)).items()}
        return JSONResponse({"snapshot_date": snapshot.snapshot_date, "filters": {k: str(v) for k, v in filters.active().items()}, **totals})

    @app.get("/quality", response_class=HTMLResponse)
    def quality_page(request: Request):
        snapshot = cache.get()
        return render(request, "quality.html", title="Data quality", slug="quality",
                      snapshot_date=snapshot.snapshot_date if snapshot else None, reports=quality_reports(layout))

    @app.get("/data-docs/{path:path}")
    def data_docs(path: str):
        root = data_docs_root(layout).resolve()
        if "\x00" in path:  # no file has such a name; resolving it would raise
            raise HTTPException(404, "no Data Docs page with a NUL byte in its name")
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404, f"no Data Docs page {path!r}: they appear after the first validation run")
        return FileResponse(target, headers={"Content-Security-Policy": DATA_DOCS_POLICY})

    @app.get("/{slug}", response_class=HTMLResponse)
    def dashboard(request: Request, slug: str):
        if slug not in pages.DASHBOARDS:
            raise HTTPException(404, f"no dashboard {slug!r}; there are {', '.join(pages.DASHBOARDS)}")
        title = pages.DASHBOARDS[slug][0]
        snapshot = cache.get()
        if snapshot is None:
            return render(request, "index.html", status=503, title=title, slug=slug, snapshot_date=None, message=NO_DATA)
        try:
            filters = Filters.from_query(dict(request.query_params))
        except FilterError as error:
            raise HTTPException(400, str(error)) from None
        first_day, last_day = snapshot.date_range()
        return render(
            request, "dashboard.html", title=title, slug=slug, snapshot_date=snapshot.snapshot_date,
            page=pages.build(slug, snapshot, filters), filters=filters, active=filters.active(),
            options=snapshot.options(), first_day=first_day, last_day=last_day,
        )

    return app


def standalone_app(layout: DataLayout | None = None, trusted_hosts: Sequence[str] = ()) -> FastAPI:
    """The dashboards at the same ``/bankseg`` path as inside Airflow, for running them on their own;
    with ``trusted_hosts``, a request naming any other host (DNS rebinding) is refused with 400."""
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    if trusted_hosts:
        root.add_middleware(TrustedHostMiddleware, allowed_hosts=list(trusted_hosts))
    root.mount(MOUNT_PATH, create_app(layout))
    return root
