"""Fault injection: the rules POST /_emulator/faults adds (and the random
rates of the command line), and the plan each request follows."""

import base64
import json
import random
import re
import threading

from .common import is_int


FAULT_KINDS = ("latency", "throttle", "error", "reset", "stall", "malformed", "truncated",
               "lose_response", "create_failed", "respond", "huge", "deep", "total_count",
               "patch", "bad_utf8")
# The answer is replaced and the action does not run; the first matching rule
# of this group applies.
PRE_FAULTS = ("throttle", "error", "reset", "respond", "huge", "deep")
REPLACE_FAULTS = ("respond", "huge", "deep")
# The action runs; every matching rule rewrites its successful answer, in rule
# order (JSON rewrites first, then bad_utf8 on the bytes).
REWRITE_FAULTS = ("total_count", "patch", "bad_utf8")
ERROR_MESSAGES = {
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
    "InternalError": "The request processing has failed due to some unknown error, "
                     "exception or failure.",
}
POST_FAULTS = ("malformed", "truncated", "lose_response")
COMMON_FIELDS = {"kind", "action", "region", "account", "count", "rate", "token"}
KIND_FIELDS = {  # fields of the new kinds (older kinds accept ms/status/code/message)
    "respond": {"status", "headers", "body", "body_b64"},
    "huge": {"bytes", "chunked"},
    "deep": {"depth"},
    "total_count": {"value", "delta"},
    "patch": {"set", "remove"},
    "bad_utf8": {"field"},
}
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
MAX_HUGE = 1 << 40
MAX_DEPTH = 10000000


def parse_path(path, what):
    if not isinstance(path, str) or not path or "" in path.split("."):
        raise ValueError("%s: a path is a non-empty dotted string without empty segments" % what)
    return path.split(".")


class FaultRule:
    def __init__(self, spec, rule_id):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        self.kind = spec.get("kind")
        if self.kind not in FAULT_KINDS:
            raise ValueError("kind must be one of: %s" % ", ".join(FAULT_KINDS))
        allowed = COMMON_FIELDS | KIND_FIELDS.get(self.kind, {"ms", "status", "code", "message"})
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError("unknown fault field(s): %s" % ", ".join(sorted(unknown)))
        self.id = rule_id
        self.action = spec.get("action")
        self.region = spec.get("region")
        for name in ("action", "region"):
            if spec.get(name) is not None and not isinstance(spec[name], str):
                raise ValueError("%s must be a string" % name)
        if spec.get("account") is not None and not isinstance(spec["account"], (str, int)):
            raise ValueError("account must be a string")
        self.account = None if spec.get("account") is None else str(spec["account"])
        # token: true = only requests that carry a NextToken (a later page), false = only others
        self.token = spec.get("token")
        if self.token is not None and not isinstance(self.token, bool):
            raise ValueError("token must be true or false")
        self.count = spec.get("count", 1 if self.kind == "create_failed" else None)
        self.rate = spec.get("rate")
        if self.count is not None and (not is_int(self.count) or self.count < 1):
            raise ValueError("count must be a positive integer")
        if self.rate is not None and not (isinstance(self.rate, (int, float))
                                          and not isinstance(self.rate, bool) and 0 <= self.rate <= 1):
            raise ValueError("rate must be a number between 0 and 1")
        self.hits = 0
        if self.kind in KIND_FIELDS:
            getattr(self, "_init_" + self.kind)(spec)
            return
        self.ms = spec.get("ms", 600000 if self.kind == "stall" else 1000)
        self.status = spec.get("status", 503)
        self.code = spec.get("code", "ServiceUnavailable" if self.status == 503 else "InternalError")
        self.message = spec.get("message", ERROR_MESSAGES.get(self.code, "Injected fault."))
        if not isinstance(self.ms, (int, float)) or isinstance(self.ms, bool) or self.ms < 0:
            raise ValueError("ms must be a non-negative number")
        if not is_int(self.status) or not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status")
        if not isinstance(self.code, str) or not isinstance(self.message, str):
            raise ValueError("code and message must be strings")

    def _init_respond(self, spec):
        self.status = spec.get("status", 200)
        if not is_int(self.status) or not 200 <= self.status <= 599:
            raise ValueError("status must be an integer within 200..599")
        headers = spec.get("headers", {})
        if not isinstance(headers, dict):
            raise ValueError("headers must be an object of strings")
        self.headers = []
        for name, value in headers.items():
            if not HEADER_NAME.match(name):
                raise ValueError("bad header name: %r" % name)
            if name.lower() in ("content-length", "transfer-encoding"):
                raise ValueError("%s is set by the emulator" % name)
            if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
                raise ValueError("header %s: the value must be a string without CR, LF or NUL" % name)
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError("header %s: the value must be Latin-1 text" % name) from None
            self.headers.append((name, value))
        if "body" in spec and "body_b64" in spec:
            raise ValueError("give body or body_b64, not both")
        if "body_b64" in spec:
            if not isinstance(spec["body_b64"], str):
                raise ValueError("body_b64 must be a base64 string")
            try:
                self.body = base64.b64decode(spec["body_b64"], validate=True)
            except ValueError:
                raise ValueError("body_b64 is not valid base64") from None
        else:
            body = spec.get("body", "")
            if not isinstance(body, str):
                raise ValueError("body must be a string (use body_b64 for bytes)")
            self.body = body.encode("utf-8")
        if self.status in (204, 304) and self.body:
            raise ValueError("a %d answer has no body" % self.status)

    def _init_huge(self, spec):
        self.bytes = spec.get("bytes")
        self.chunked = spec.get("chunked", False)
        if not is_int(self.bytes) or not 0 <= self.bytes <= MAX_HUGE:
            raise ValueError("bytes must be an integer within 0..%d" % MAX_HUGE)
        if not isinstance(self.chunked, bool):
            raise ValueError("chunked must be true or false")

    def _init_deep(self, spec):
        self.depth = spec.get("depth")
        if not is_int(self.depth) or not 0 <= self.depth <= MAX_DEPTH:
            raise ValueError("depth must be an integer within 0..%d" % MAX_DEPTH)

    def _init_total_count(self, spec):
        self.value, self.delta = spec.get("value"), spec.get("delta")
        if (self.value is None) == (self.delta is None):
            raise ValueError("give exactly one of value and delta")
        if not is_int(self.value if self.delta is None else self.delta):
            raise ValueError("value/delta must be an integer")

    def _init_patch(self, spec):
        sets, removes = spec.get("set", {}), spec.get("remove", [])
        if not isinstance(sets, dict):
            raise ValueError("set must be an object {dotted.path: JSON value}")
        if not isinstance(removes, list):
            raise ValueError("remove must be a list of dotted paths")
        if not sets and not removes:
            raise ValueError("patch needs set or remove")
        self.set = [(parse_path(p, "set"), v) for p, v in sets.items()]
        self.remove = [parse_path(p, "remove") for p in removes]
        self.spec_set, self.spec_remove = sets, removes

    def _init_bad_utf8(self, spec):
        self.field = spec.get("field", "ImageName")
        if not isinstance(self.field, str) or not self.field:
            raise ValueError("field must be a non-empty string")

    def matches(self, action, region, account, token=False):
        return ((self.action is None or self.action == action)
                and (self.region is None or self.region == region)
                and (self.account is None or self.account == account)
                and (self.token is None or self.token == token))

    def to_json(self):
        d = {"id": self.id, "kind": self.kind, "action": self.action, "region": self.region,
             "account": self.account, "count": self.count, "rate": self.rate}
        if self.kind == "respond":
            d.update(status=self.status, headers=dict(self.headers), bytes=len(self.body))
        elif self.kind == "huge":
            d.update(bytes=self.bytes, chunked=self.chunked)
        elif self.kind == "deep":
            d.update(depth=self.depth)
        elif self.kind == "total_count":
            d.update({"value": self.value} if self.delta is None else {"delta": self.delta})
        elif self.kind == "patch":
            d.update(set=self.spec_set, remove=self.spec_remove)
        elif self.kind == "bad_utf8":
            d.update(field=self.field)
        else:
            d.update(ms=self.ms, status=self.status, code=self.code, message=self.message)
        if self.token is not None:
            d["token"] = self.token
        d["hits"] = self.hits
        return d

    def rewrite(self, doc):
        """total_count / patch: change the parsed answer `doc` in place;
        whether there was anything to change."""
        if self.kind == "total_count":
            real = doc.get("TotalCount") if isinstance(doc, dict) else None
            if self.delta is None and "TotalCount" in doc:
                doc["TotalCount"] = self.value
            elif self.delta is not None and is_int(real):
                doc["TotalCount"] = real + self.delta
            else:
                return False
            return True
        changed = False
        for path, value in self.set:
            for parent, key in resolve_parents(doc, path):
                parent[key] = json.loads(json.dumps(value))     # a fresh copy each time
                changed = True
        for path in self.remove:
            targets = resolve_parents(doc, path)
            # Delete array elements from the highest index down.
            for parent, key in sorted(targets, key=lambda t: (id(t[0]), t[1] if isinstance(t[1], int) else 0),
                                      reverse=True):
                if isinstance(parent, dict):
                    if key in parent:
                        del parent[key]
                        changed = True
                else:
                    del parent[key]
                    changed = True
        return changed


def resolve_parents(doc, path):
    """(container, key) pairs that a dotted path names: "*" fans out over every
    element or value, an integer segment indexes an array.  The last key of an
    object may be missing; missing intermediates give nothing."""
    nodes = [doc]
    for seg in path[:-1]:
        step = []
        for node in nodes:
            if seg == "*":
                step.extend(node.values() if isinstance(node, dict)
                            else node if isinstance(node, list) else [])
            elif isinstance(node, dict):
                if seg in node:
                    step.append(node[seg])
            elif isinstance(node, list) and re.fullmatch(r"-?\d+", seg):
                i = int(seg)
                if -len(node) <= i < len(node):
                    step.append(node[i])
        nodes = step
    last, out = path[-1], []
    for node in nodes:
        if isinstance(node, dict):
            out.extend([(node, k) for k in list(node)] if last == "*" else [(node, last)])
        elif isinstance(node, list):
            if last == "*":
                out.extend((node, i) for i in range(len(node)))
            elif re.fullmatch(r"-?\d+", last):
                i = int(last)
                if -len(node) <= i < len(node):
                    out.append((node, i % len(node)))
    return out


def bad_utf8(data, field):
    """Insert 0xFF 0xFE 0xC3 after the opening quote of the first string value
    of a member named `field` in the serialised answer `data`; None when
    there is no such member."""
    m = re.search(re.escape(json.dumps(field).encode()) + rb'\s*:\s*"', data)
    if m is None:
        return None
    return data[:m.end()] + b"\xff\xfe\xc3" + data[m.end():]


class FaultPlan:
    def __init__(self):
        self.sleep_ms = 0
        self.pre = None     # FaultRule-like object with kind in PRE_FAULTS
        self.post = None    # kind in POST_FAULTS


class Faults:
    """Fault rules (POST /_emulator/faults) and the rate flags."""

    def __init__(self, args, seed):
        self.latency_ms = args.latency_ms
        self.rates = [("throttle", args.throttle_rate), ("error", args.error_rate),
                      ("reset", args.reset_rate)]
        self.rng = random.Random("faults/%s" % seed)
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1

    def add(self, spec):
        with self.lock:
            rule = FaultRule(spec, self.next_id)
            self.next_id += 1
            self.rules.append(rule)
            return rule

    def clear(self):
        with self.lock:
            self.rules = []
            self.next_id = 1

    def list(self):
        with self.lock:
            return [r.to_json() for r in self.rules]

    def _chance(self, rule):
        return rule.rate is None or self.rng.random() < rule.rate

    def _fire(self, rule):
        """Whether a matching rule applies now; consumes its count."""
        if not self._chance(rule):
            return False
        self._use(rule)
        return True

    def _use(self, rule):
        rule.hits += 1
        if rule.count is not None:
            rule.count -= 1
            if rule.count == 0:
                self.rules.remove(rule)

    def plan(self, action, region, account, token=False):
        plan = FaultPlan()
        plan.sleep_ms = self.latency_ms
        with self.lock:
            posts = []
            for rule in list(self.rules):
                if rule.kind in ("create_failed",) + REWRITE_FAULTS \
                        or not rule.matches(action, region, account, token):
                    continue
                if rule.kind in ("latency", "stall"):
                    if self._fire(rule):
                        plan.sleep_ms += rule.ms
                elif rule.kind in PRE_FAULTS:
                    if plan.pre is None and self._fire(rule):
                        plan.pre = rule
                else:
                    posts.append(rule)
            if plan.pre is None:
                for kind, rate in self.rates:
                    if rate and self.rng.random() < rate:
                        plan.pre = FaultRule({"kind": kind, "status": self.rng.choice([500, 503])}, 0)
                        break
            # A replaced answer (respond/huge/deep) is sent as given.
            if plan.pre is None or plan.pre.kind not in REPLACE_FAULTS:
                for rule in posts:
                    if self._fire(rule):
                        plan.post = rule
                        break
        return plan

    def rewrite(self, kinds, action, region, account, apply, token=False):
        """Offer the matching rules of `kinds`, in rule order, to apply(rule),
        which changes the answer and says whether it did.  Only a rule that
        changed it is used up (count, hits); returns those rules."""
        done = []
        with self.lock:
            for rule in list(self.rules):
                if rule.kind in kinds and rule.matches(action, region, account, token) \
                        and self._chance(rule) and apply(rule):
                    self._use(rule)
                    done.append(rule)
        return done

    def take_create_failed(self, action, region, account):
        """Whether a create_failed rule claims the image being created."""
        with self.lock:
            for rule in list(self.rules):
                if rule.kind == "create_failed" and rule.matches(action, region, account) \
                        and self._fire(rule):
                    return True
        return False
