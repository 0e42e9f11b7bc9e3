"""The supervisor statistics page (督促检查) and its CSV exports."""
from __future__ import annotations

from flask import Response, abort, render_template, request

from ..accounts.policies import operator_required
from ..core.catalogue import CATEGORIES, CITIES
from . import charts
from . import stats as figures
from .routes import bp


def _names(dim: str) -> dict:
    if dim == "mode":
        return {k: str(v) for k, v in figures.MODE_NAMES.items()}
    if dim == "category":
        return {k: str(v[1]) for k, v in CATEGORIES.items()}
    if dim == "city":
        return {k: str(v) for k, v in CITIES.items()}
    return {}


def csv_response(name: str, dim: str) -> Response:
    body = figures.to_csv(name, dim, figures.table(name, dim))
    return Response("\ufeff" + body, mimetype="text/csv",  # the BOM lets spreadsheet programs read UTF-8
                    headers={"Content-Disposition": f'attachment; filename="huizhong-{name}-by-{dim}.csv"'})


@bp.get("/stats")
@operator_required
def stats():
    by = request.args.get("by", "mode")
    if by not in figures.DIMENSIONS or by == "month":
        by = "mode"
    sections = []
    for name, spec in figures.TABLES.items():
        labels = {c: str(v) for c, v in spec["columns"].items()}
        columns = list(spec["columns"])
        chart_columns = [c for c in columns if not c.startswith("avg_")]
        by_month = figures.table(name, "month")
        by_dim = figures.table(name, by)
        money = bool(spec.get("money"))
        sections.append({
            "name": name, "title": spec["title"], "columns": columns, "labels": labels, "money": money,
            "month_rows": by_month, "dim_rows": by_dim,
            "month_chart": charts.bars_by_month(by_month[-12:], chart_columns, labels, money=money,
                                                title=str(spec["title"])),
            "dim_chart": charts.horizontal_bars(by_dim, chart_columns[0], _names(by), money=money,
                                                title=str(spec["title"])),
        })
    return render_template("operator/stats.html", sections=sections, by=by, names=_names(by),
                           dimensions=figures.DIMENSIONS)


@bp.get("/stats.csv")
@operator_required
def stats_csv():
    name, dim = request.args.get("table", "tasks"), request.args.get("by", "month")
    if name not in figures.TABLES or dim not in figures.DIMENSIONS:
        abort(404)
    return csv_response(name, dim)
