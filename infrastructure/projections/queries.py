"""Reads of the views: filters become SQL, one page at a time, with the total count."""

from dataclasses import dataclass, field
from typing import Any

from infrastructure.projections import audit, service_list, task_list
from infrastructure.projections.db import ViewDB


@dataclass
class Query:
    """AND of `column op ?` clauses, in bound parameters only (column names are ours)."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def where(self, clause: str, *params: Any) -> "Query":
        self.clauses.append(clause)
        self.params.extend(params)
        return self

    def any_of(self, column: str, values: list[Any]) -> "Query":
        if values:
            self.where(f"{column} IN ({', '.join('?' * len(values))})", *values)
        return self

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


def select_page(
    db: ViewDB,
    table: str,
    columns: tuple[str, ...],
    query: Query,
    order: str,
    number: int,
    size: int | None,
) -> Page:
    """One page (1-based) of rows, or every row with size None; `order` comes from our tables."""
    name = db.table(table)
    count = db.query(f"SELECT COUNT(*) FROM {name}{query.sql()}", query.params)  # noqa: S608
    limit = "" if size is None else f" LIMIT {int(size)} OFFSET {(int(number) - 1) * int(size)}"
    rows = db.query(
        f"SELECT {', '.join(columns)} FROM {name}{query.sql()} ORDER BY {order}{limit}",  # noqa: S608
        query.params,
    )
    return Page([dict(zip(columns, row, strict=True)) for row in rows], int(count[0][0]))


def order_clause(sortable: dict[str, str], key: str | None, descending: bool, default: str) -> str:
    column = sortable[key] if key is not None else default
    direction = "DESC" if descending else "ASC"
    # The primary key breaks ties, so pages never overlap or skip a row.
    return f"{column} {direction}, {default} {direction}"


AUDIT = (audit.TABLE, audit.COLUMNS)
TASKS = (task_list.TABLE, task_list.COLUMNS)
SERVICES = (service_list.TABLE, service_list.COLUMNS)
