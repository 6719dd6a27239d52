"""Facts and helpers every part of the emulator shares: the API versions,
the error envelope (ApiError), Alibaba percent-encoding, timestamps and
JSON output."""

import calendar
import json
import time
import urllib.parse
import uuid


ECS_VERSION = "2014-05-26"
OOS_VERSION = "2019-06-01"

STS_VERSION = "2015-04-01"

TIME_WINDOW_S = 15 * 60

MAX_BODY = 8 * 1024 * 1024


class ApiError(Exception):
    """An API error answered with the documented envelope."""

    def __init__(self, status, code, message):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message


def missing_parameter(name):
    return ApiError(400, "MissingParameter",
                    'The input parameter "%s" that is mandatory for processing '
                    'this request is not supplied.' % name)


def invalid_parameter(name, code="InvalidParameter", status=400):
    return ApiError(status, code, 'The specified parameter "%s" is not valid.' % name)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def pct(value):
    """Alibaba percent-encoding: RFC 3986 unreserved kept, upper-case hex."""
    return urllib.parse.quote(str(value), safe="-_.~")


def iso(ts, seconds=True):
    fmt = "%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ"
    return time.strftime(fmt, time.gmtime(ts))


def parse_iso(text):
    """Parse yyyy-MM-ddTHH:mm[:ss]Z; None when malformed."""
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ"):
        try:
            return calendar.timegm(time.strptime(text, fmt))
        except ValueError:
            pass
    return None


def new_request_id():
    return str(uuid.uuid4()).upper()


class Raw:
    """Pre-serialised JSON text, spliced into a response unchanged."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def dump(obj):
    """json.dumps that splices Raw values in."""
    if isinstance(obj, Raw):
        return obj.text
    if isinstance(obj, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(dump(v) for v in obj) + "]"
    return json.dumps(obj, ensure_ascii=False)


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
