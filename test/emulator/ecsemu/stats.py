"""Request statistics (GET /_emulator/stats) and the per-account rate limit."""

import threading
import time


class Stats:
    """Request counters for GET /_emulator/stats."""

    def __init__(self):
        self.lock = threading.Lock()
        self.generation = 0
        self.reset()

    def reset(self):
        """Zero the counters.  Requests still in flight (a stalled one) are
        forgotten: in_flight and max_in_flight count only requests that
        began after the reset."""
        with self.lock:
            self.generation += 1
            self.in_flight = 0
            self.total = 0
            self.by_action = {}
            self.by_region = {}
            self.by_action_region = {}
            self.by_code = {}
            self.by_account = {}
            self.by_host = {}
            self.faults = {}
            self.signature = {"rpc": 0, "acs3": 0}
            self.connections = 0
            self.max_in_flight = self.in_flight

    def connected(self):
        """Count a new client connection (over HTTPS, one TLS handshake)."""
        with self.lock:
            self.connections += 1

    def begin(self, action, region, scheme, host=""):
        with self.lock:
            self.total += 1
            self.by_host[host] = self.by_host.get(host, 0) + 1
            self.by_action[action] = self.by_action.get(action, 0) + 1
            if region:
                self.by_region[region] = self.by_region.get(region, 0) + 1
                per = self.by_action_region.setdefault(action, {})
                per[region] = per.get(region, 0) + 1
            if scheme:
                self.signature[scheme] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.generation

    def account(self, account_id):
        """Count a request of an authenticated caller by its account."""
        with self.lock:
            self.by_account[account_id] = self.by_account.get(account_id, 0) + 1

    def leave(self, generation=None):
        """The request stops counting as in flight.  The handler calls it
        just before it writes the answer, so that a client that waits for
        one answer before it sends the next request is never counted twice.
        `generation`: what begin() returned."""
        with self.lock:
            if generation is None or generation == self.generation:
                self.in_flight -= 1

    def end(self, code=None, faults=()):
        """`faults`: the kinds that acted on the request (a kind or a list)."""
        with self.lock:
            if code:
                self.by_code[code] = self.by_code.get(code, 0) + 1
            for fault in [faults] if isinstance(faults, str) else faults:
                self.faults[fault] = self.faults.get(fault, 0) + 1

    def to_json(self):
        with self.lock:
            return {"total": self.total, "by_action": dict(sorted(self.by_action.items())),
                    "by_region": dict(sorted(self.by_region.items())),
                    "by_action_region": {a: dict(sorted(r.items()))
                                         for a, r in sorted(self.by_action_region.items())},
                    "by_code": dict(sorted(self.by_code.items())),
                    "by_account": dict(sorted(self.by_account.items())),
                    "by_host": dict(sorted(self.by_host.items())),
                    "faults": dict(sorted(self.faults.items())),
                    "signature": dict(self.signature), "connections": self.connections,
                    "max_in_flight": self.max_in_flight,
                    "in_flight": self.in_flight}


class RateLimiter:
    """--qps-limit: a per-account sliding one-second window."""

    def __init__(self, limit):
        self.limit = limit
        self.lock = threading.Lock()
        self.windows = {}

    def allow(self, account):
        if not self.limit:
            return True
        now = time.monotonic()
        with self.lock:
            window = [t for t in self.windows.get(account, []) if now - t < 1.0]
            allowed = len(window) < self.limit
            if allowed:
                window.append(now)
            self.windows[account] = window
            return allowed
