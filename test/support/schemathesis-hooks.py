"""Schemathesis hooks for test/e2e/schemathesis.e2e-spec.ts (and scripts/schemathesis.sh).

They teach the generator what the OpenAPI document cannot say in JSON Schema; no check is
skipped or relaxed, and no failure is filtered.

- format "e164" (destinationNumber, the recipient filter): a number libphonenumber considers
  valid. No pattern states that (it depends on each country's numbering plan), so the document
  gives the E.164 pattern plus this format, and valid numbers are made here: US and Canadian
  numbers (+1, an assigned area code, any exchange and line), the destinations Plivo sends MMS
  to. libphonenumber-js accepts every one of them (checked by the spec's self-test).
- Idempotency-Key: "unique per message". A key sent again with another body is refused (422
  IDEMPOTENCY_KEY_REUSED) by design, and the generator, drawing keys at random, reuses short
  ones ("0") across different bodies. A valid key already sent with another body gets a unique
  suffix, as a client would make; a key's first use, every invalid key and every repeat with
  the same body go out as generated.
- sendAt and validUntil (POST /send-mms): RFC 3339 date-times whose allowed range is relative
  to now (sendAt at most 35 days ahead, validUntil after sendAt and at most 72 h after it), which
  JSON Schema cannot say. A generated value that is a well-formed date-time is moved into that
  window (deterministically, from its own text): sendAt within the past day or the next hour,
  validUntil 2 to 70 hours ahead. Malformed values go out as generated.
- deliveryWindow (POST /campaigns): end must differ from start (the same time twice is no
  window), a comparison of two fields JSON Schema cannot state; a generated window whose end
  equals its start gets its end a minute later. Malformed times go out as generated.
- format "phone" (POST /campaigns' recipients): a number the campaign can send to, written as
  E.164 or a national US/Canadian spelling; an invalid one is reported by position (or, with
  strict: true, refuses the request), which no schema can state either.
"""

import hashlib
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

# Assigned US and Canadian area codes.
AREA_CODES = [
    "201", "202", "212", "213", "214", "305", "312", "404", "415", "503", "512", "617",
    "646", "702", "718", "773", "808", "917", "416", "514", "604", "613", "647", "778",
]

E164_NANP = st.builds(
    lambda area, exchange, line: f"+1{area}{exchange}{line:04d}",
    st.sampled_from(AREA_CODES),
    st.integers(200, 999),
    st.integers(0, 9999),
)

schemathesis.openapi.format("e164", E164_NANP)
schemathesis.openapi.format(
    "phone",
    st.one_of(
        E164_NANP,
        E164_NANP.map(lambda n: f"({n[2:5]}) {n[5:8]}-{n[8:]}"),
    ),
)

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_first_body_of_key: dict[str, str] = {}
_lock = threading.Lock()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    name = next((h for h in headers if h.lower() == "idempotency-key"), None)
    key = headers.get(name) if name else None
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.fullmatch(key):
        return
    body = repr((case.media_type, case.body))
    with _lock:
        first = _first_body_of_key.setdefault(key, body)
    if first != body:
        headers[name] = f"{key[:222]}-{uuid.uuid4().hex}"


RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)
WINDOWS = {"sendAt": (-86_400, 3_600), "validUntil": (7_200, 70 * 3_600)}


def _within(value: str, low_s: int, high_s: int) -> str:
    offset = low_s + int(hashlib.sha256(value.encode()).hexdigest(), 16) % (high_s - low_s)
    at = datetime.now(timezone.utc) + timedelta(seconds=offset)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _minute_later(value: str) -> str:
    minutes = (int(value[:2]) * 60 + int(value[3:]) + 1) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@schemathesis.hook
def map_body(ctx, body):
    if isinstance(body, dict):
        window = body.get("deliveryWindow")
        if isinstance(window, dict):
            start, end = window.get("start"), window.get("end")
            if isinstance(start, str) and start == end and HH_MM.fullmatch(start):
                window["end"] = _minute_later(start)
        for field, (low, high) in WINDOWS.items():
            value = body.get(field)
            if isinstance(value, str) and RFC3339.fullmatch(value):
                body[field] = _within(value, low, high)
    return body
