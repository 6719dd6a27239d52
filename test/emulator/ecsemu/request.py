"""One parsed API request (query and form parameters merged) and its typed
parameter accessors."""

import re

from .common import invalid_parameter, missing_parameter


class ApiRequest:
    """One parsed API request: query and form parameters merged."""

    def __init__(self, method, path, query_pairs, form_pairs, body, headers):
        self.method = method
        self.path = path
        self.query_pairs = query_pairs
        self.pairs = query_pairs + form_pairs
        self.body = body
        self.headers = headers
        self.params = {}
        for k, v in self.pairs:
            self.params.setdefault(k, v)
        self.scheme = None
        if "authorization" in headers:
            self.action = headers.get("x-acs-action", "")
            self.version = headers.get("x-acs-version", "")
        else:
            self.action = self.params.get("Action", "")
            self.version = self.params.get("Version", "")
        self.region = self.params.get("RegionId", "")

    def get(self, name, default=None):
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def require(self, name):
        value = self.get(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def boolean(self, name, default=None):
        value = self.get(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise invalid_parameter(name)
        return value.lower() == "true"

    def integer(self, name, default, lo, hi):
        value = self.get(name)
        if value is None:
            return default
        if not re.fullmatch(r"-?\d{1,10}", value) or not lo <= int(value) <= hi:
            raise invalid_parameter(name)
        return int(value)

    def indexed(self, prefix, fields=None, limit=None):
        """Prefix.N (fields None) or Prefix.N.Field -> {N: value or {Field: value}},
        in N order.  With limit, only the first `limit` N are kept."""
        pattern = re.compile(r"^%s\.(\d+)%s$" % (re.escape(prefix),
                             r"\.(%s)" % "|".join(fields) if fields else ""))
        out = {}
        for k, v in self.pairs:
            m = pattern.match(k)
            if not m:
                continue
            n = int(m.group(1))
            if fields:
                out.setdefault(n, {}).setdefault(m.group(2), v)
            else:
                out.setdefault(n, v)
        items = sorted(out.items())
        return dict(items[:limit] if limit else items)


TOKEN_IGNORED = {"Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                 "Timestamp", "AccessKeyId", "SecurityToken", "Format", "Version", "Action",
                 "ClientToken", "SignatureType"}
