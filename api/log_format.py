"""How `arbiter` writes its log: text by default, or one JSON object per line
(ARBITER_LOG_FORMAT=json), each with the traceId of the request or step it was made under."""

import logging
from datetime import UTC, datetime

import orjson

from infrastructure.tracing import TRACE_ID

TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "traceId": TRACE_ID.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure(log_format: str) -> None:
    """`text` or `json` (ARBITER_LOG_FORMAT); anything else is refused."""
    if log_format not in ("text", "json"):
        raise SystemExit(f"ARBITER_LOG_FORMAT must be text or json, not {log_format!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
