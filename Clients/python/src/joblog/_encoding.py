"""Wire encoding: one compact JSON-RPC 2.0 message per line (PROTOCOL.md 1-2).

Everything is encoded as ``json.dumps(obj, separators=(",", ":"),
ensure_ascii=False)`` would encode it (a reused encoder object is just
faster), in UTF-8, followed by ``\\n``. Values JSON cannot carry are made
representable instead of raising (see ``sanitize``).
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, Optional, Tuple

__all__ = [
    "encode",
    "encode_notification",
    "encode_request",
    "sanitize",
    "clip_utf8",
    "MAX_MESSAGE_BYTES",
    "MAX_OBJECT_BYTES",
    "MAX_NAME_BYTES",
    "MAX_DEPTH",
]

MAX_MESSAGE_BYTES = 64 * 1024  # message (PROTOCOL.md 4)
MAX_OBJECT_BYTES = 64 * 1024  # context / params, as sent
MAX_NAME_BYTES = 200  # stage, unit, key, jobName, trigger, scope, algorithmVersion
MAX_DEPTH = 32  # context / params nesting

# allow_nan=False: NaN/Infinity are not JSON; sanitize() turns them into strings.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_encode = _ENCODER.encode


def sanitize(value: Any, _depth: int = 0) -> Any:
    """A JSON-encodable copy of ``value``.

    Non-string keys become strings, tuples/sets/generators lists, bytes are
    decoded (invalid UTF-8 replaced), non-finite floats become the strings
    ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, anything else its ``str()``.
    Nesting deeper than 64 levels is cut with ``"..."``.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if _depth >= 64:
        return "..."
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                k = _key(k)
            out[k] = sanitize(v, _depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [sanitize(v, _depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    # numbers of other libraries (numpy, Decimal integral values ...)
    index = getattr(value, "__index__", None)
    if index is not None:
        try:
            return int(index())
        except Exception:
            pass
    try:
        return str(value)
    except Exception:
        return "<%s>" % type(value).__name__


def _key(k: Any) -> str:
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, (int, float)):
        return _encode(sanitize(k)).strip('"')
    return str(k)


def encode(obj: Any) -> bytes:
    """``obj`` as one line: compact JSON, UTF-8, ``\\n``. Never raises for
    ordinary Python data (falls back to ``sanitize``)."""
    try:
        text = _encode(obj)
    except (TypeError, ValueError, RecursionError):
        text = _encode(sanitize(obj))
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # lone surrogates
        return text.encode("utf-8", "replace") + b"\n"


def encode_notification(method: str, params: Optional[Dict[str, Any]] = None) -> bytes:
    msg: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    return encode(msg)


def encode_request(method: str, params: Optional[Dict[str, Any]], id: Any) -> bytes:
    msg: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    msg["id"] = id
    return encode(msg)


def clip_utf8(text: str, limit: int, marker: str = "...[truncated]") -> Tuple[str, bool]:
    """``text`` cut to at most ``limit`` UTF-8 bytes (with ``marker``)."""
    if len(text) * 4 <= limit:  # fast path: cannot be over
        return text, False
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text, False
    keep = max(0, limit - len(marker.encode("utf-8")))
    return data[:keep].decode("utf-8", "ignore") + marker, True


def clip_middle_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, keeping head and tail
    (for tracebacks: the end names the exception)."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    marker = "\n...[%d bytes truncated]...\n" % (len(data) - limit)
    room = max(0, limit - len(marker.encode("utf-8")) - 16)
    head = room // 3
    tail = room - head
    return (data[:head].decode("utf-8", "ignore") + marker + data[len(data) - tail:].decode("utf-8", "ignore"))


def json_depth(value: Any, _depth: int = 1) -> int:
    """Nesting depth of a JSON value (an empty object or array counts 1)."""
    if isinstance(value, dict):
        return max([_depth] + [json_depth(v, _depth + 1) for v in value.values()])
    if isinstance(value, (list, tuple)):
        return max([_depth] + [json_depth(v, _depth + 1) for v in value])
    return _depth - 1
