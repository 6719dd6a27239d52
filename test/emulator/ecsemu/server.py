"""HTTP(S) serving: Emulator (everything a request needs), the request
handler (API requests with their faults, the metadata service, the
control endpoints) and the threading server."""

import http.server
import json
import re
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse

from .accounts import ACCOUNTS, Account, add_extra_accounts, redact
from .actions.api import Api
from .auth import Auth
from .common import ApiError, MAX_BODY, OOS_VERSION, STS_VERSION, compact, dump, iso, new_request_id
from .control import Control
from .faults import ERROR_MESSAGES, Faults, REPLACE_FAULTS, bad_utf8
from .regions import check_host
from .request import ApiRequest
from .stats import RateLimiter, Stats
from .sts import Sts
from .world import World


class Emulator:
    """Everything a request handler needs."""

    def __init__(self, args):
        self.args = args
        self.faults = Faults(args, args.seed)
        self.world = World(args.seed, args.regions, args.images_per_region,
                           args.create_seconds, args.image_quota, self.faults, args.profile,
                           add_extra_accounts(args.extra_accounts))
        self.auth = Auth(ACCOUNTS, clock=lambda: time.time() + args.clock_offset)
        self.stats = Stats()
        self.limiter = RateLimiter(args.qps_limit)
        self.api = Api(self.world, self.faults, args.page_size_max, args.token_ttl)
        self.sts = self.api.sts = Sts(args)
        self.auth.temporary = self.sts.issued
        self.log_lock = threading.Lock()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.record = open(args.record, "a", encoding="utf-8") if args.record else None

    def write_record(self, method, target, headers, body):
        """--record: one API request as it arrived (headers in order), with
        its signature and security token masked, for request comparisons."""
        if self.record is None:
            return
        def mask(text):
            text = re.sub(r"(Signature=)[^&,\s]*", r"\1<signature>", text)
            return redact(re.sub(r"((?:^|&)(?:SecurityToken|OIDCToken)=)[^&]*", r"\1<token>", text))
        entry = {"method": method, "target": mask(target), "body": mask(body.decode("utf-8", "replace")),
                 "headers": [[k, "<token>" if k.lower() == "x-acs-security-token" else mask(v)]
                             for k, v in headers]}
        with self.log_lock:
            self.record.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.record.flush()

    def write_log(self, entry, hide=()):
        """Log one request; secrets, tokens and the strings in `hide` are redacted."""
        if self.log is not None:
            entry = {k: redact(v, hide) if isinstance(v, str) else v for k, v in entry.items()}
            with self.log_lock:
                self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.log.flush()


class Reset(Exception):
    """Drop the connection without answering."""


class Replace(Exception):
    """Answer with a respond/huge/deep fault instead of running the action."""

    def __init__(self, rule):
        super().__init__(rule.kind)
        self.rule = rule


HUGE_CHUNK = b"x" * (1 << 20)


class Handler(Control, http.server.BaseHTTPRequestHandler):

    protocol_version = "HTTP/1.1"

    server_version = "ecs-emulator/1.0"

    timeout = 120

    def setup(self):
        super().setup()
        # Headers and body of some answers (faults) go out in separate
        # writes; without NODELAY, Nagle and delayed ACKs add 40 ms to them.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.emu.stats.connected()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        try:
            body = self.read_body()
        except ValueError as e:
            self.send(400, compact({"error": str(e)}).encode())
            self.close_connection = True
            return
        if url.path.startswith("/_emulator/"):
            self.control(url, body)
        elif url.path.startswith("/latest/"):
            self.metadata(url)
        else:
            self.api_request(url, body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.isdigit() or int(length) > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(int(length))

    # the stats generation of the API request being answered, until it
    # leaves the in-flight count (leave_flight)
    flight = None

    def leave_flight(self):
        if self.flight is not None:
            self.server.emu.stats.leave(self.flight)
            self.flight = None

    def send(self, status, data, request_id=None, claimed_length=None,
             content_type="application/json;charset=utf-8"):
        self.leave_flight()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(claimed_length or len(data)))
        if request_id:
            self.send_header("x-acs-request-id", request_id)
        # headers and body in one write: one TLS record and one handover of
        # the interpreter lock fewer per answer
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def reset(self):
        self.leave_flight()
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    # -- API requests -------------------------------------------------------

    def api_request(self, url, body):
        emu = self.server.emu
        started = time.monotonic()
        emu.write_record(self.command, self.path, self.headers.items(), body)
        headers = {}
        for k, v in self.headers.items():
            headers.setdefault(k.lower(), v)
        undecodable = False
        try:
            query = urllib.parse.parse_qsl(url.query, keep_blank_values=True, errors="strict")
            form = []
            if headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
                form = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                              errors="strict")
        except UnicodeDecodeError:
            query, form, undecodable = [], [], True
        req = ApiRequest(self.command, url.path, query, form, body, headers)
        hide = (req.params.get("SecurityToken"), headers.get("x-acs-security-token"),
                req.params.get("OIDCToken"))
        scheme = "acs3" if "authorization" in headers else ("rpc" if "Signature" in req.params else None)
        self.flight = emu.stats.begin(req.action or "-",
                                     req.region if req.region in emu.world.prefix else "", scheme,
                                     headers.get("host", "").lower())
        request_id = new_request_id()
        code = fault = post_fault = account = plan = None
        paged = False
        rewrites = []
        succeeded = False
        status = 200
        try:
            try:
                if emu.faults.latency_ms:
                    time.sleep(emu.faults.latency_ms / 1000.0)
                if self.command not in ("GET", "POST"):
                    raise ApiError(403, "UnsupportedHTTPMethod", "This http method is not supported.")
                if url.path != "/":
                    raise ApiError(404, "InvalidAction.NotFound",
                                   "Specified api is not found, please check your url and method.")
                if undecodable:
                    raise ApiError(400, "InvalidParameter", "The request parameters are not valid UTF-8.")
                if req.version == STS_VERSION and req.action == "AssumeRoleWithOIDC":
                    caller = req.caller = Account(None, None, None, "anonymous")  # unsigned
                else:
                    caller = req.caller = emu.auth.authenticate(req)
                account = caller.account_id
                emu.stats.account(account)
                emu.api.resolve(req)
                check_host(headers.get("host"), req.version, req.region)
                paged = req.get("NextToken") is not None
                plan = emu.faults.plan(req.action, req.region, account, paged)
                if plan.sleep_ms > emu.faults.latency_ms:
                    time.sleep((plan.sleep_ms - emu.faults.latency_ms) / 1000.0)
                if plan.pre is not None:
                    fault = plan.pre.kind
                    if fault == "reset":
                        raise Reset()
                    if fault in REPLACE_FAULTS:
                        raise Replace(plan.pre)
                    if fault == "throttle":
                        raise ApiError(400, "Throttling.User", "Request was denied due to user flow control.")
                    raise ApiError(plan.pre.status, plan.pre.code, plan.pre.message)
                if not emu.limiter.allow(account):
                    raise ApiError(400, "Throttling.User", "Request was denied due to user flow control.")
                # a RAM user without permissions, or a read-only role session
                if caller.forbidden or (getattr(caller, "read_only", False) and
                                        not req.action.startswith(("Describe", "List", "Get"))):
                    if req.version != STS_VERSION:
                        raise ApiError(403, "Forbidden.RAM",
                                       "User not authorized to operate on the specified resource.")
                    if req.action != "GetCallerIdentity":
                        raise ApiError(403, "NoPermission", "You are not authorized to do this "
                                       "action. You should be authorized by RAM.")
                result = emu.api.call(req, account)
                text = dump(dict({"RequestId": request_id}, **result))
                succeeded = True
                if emu.faults.rules:
                    parsed = []

                    def rewrite_json(rule):
                        if not parsed:
                            parsed.append(json.loads(text))
                        return rule.rewrite(parsed[0])
                    rewrites = emu.faults.rewrite(("total_count", "patch"), req.action, req.region,
                                                  account, rewrite_json, paged)
                    if rewrites:
                        text = compact(parsed[0])
            except (Reset, Replace):
                raise
            except Exception as e:  # every failure becomes an API error envelope
                if not isinstance(e, ApiError):
                    sys.stderr.write(redact("ecs_emulator: internal error in %s: %r\n"
                                            % (req.action, e), hide))
                    e = ApiError(500, "InternalError", ERROR_MESSAGES["InternalError"])
                status, code = e.status, e.code
                product = {OOS_VERSION: "Oos", STS_VERSION: "Sts"}.get(req.version, "Ecs")
                host = "%s.%s.aliyuncs.com" % (product.lower(), req.region) \
                    if req.region in emu.world.prefix and product != "Sts" \
                    else "%s.aliyuncs.com" % product.lower()
                text = compact({"RequestId": request_id, "HostId": host, "Code": e.code,
                                "Message": e.message,
                                "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=%s"
                                             "&requestId=%s" % (e.code, product, request_id)})
            data = text.encode()
            if succeeded and emu.faults.rules:
                encoded = [data]

                def rewrite_bytes(rule):
                    changed = bad_utf8(encoded[0], rule.field)
                    encoded[0] = changed or encoded[0]
                    return changed is not None
                rewrites += emu.faults.rewrite(("bad_utf8",), req.action, req.region, account,
                                               rewrite_bytes, paged)
                data = encoded[0]
            post = plan.post if plan is not None else None
            if post is not None:
                post_fault = post.kind
                if post_fault == "lose_response":
                    raise Reset()
                if post_fault == "malformed":
                    self.send(200, data[:max(1, len(data) // 2)], request_id)
                else:
                    self.send(status, data[:len(data) // 2], request_id, claimed_length=len(data) + 64)
                    self.close_connection = True
            else:
                self.send(status, data, request_id)
        except Replace as r:
            status = self.replace(r.rule, request_id)
        except Reset:
            status = 0
            self.reset()
        finally:
            # Every fault that acted: the replacing one, the rewrites, the transport one.
            kinds = [k for k in [fault] + [r.kind for r in rewrites] + [post_fault] if k]
            self.leave_flight()
            emu.stats.end(code, kinds)
            emu.write_log({"time": iso(time.time()), "method": self.command,
                           "action": req.action, "version": req.version, "region": req.region,
                           "account": account, "scheme": scheme, "status": status, "code": code,
                           "fault": ",".join(kinds) or None,
                           "ms": round((time.monotonic() - started) * 1000, 1)}, hide)

    def metadata(self, url):
        """The instance metadata service (100.100.100.200 on a real instance)."""
        emu = self.server.emu
        started = time.monotonic()
        headers = {k.lower(): v for k, v in self.headers.items()}
        action = "Metadata:" + ("token" if url.path == "/latest/api/token" else "get")
        self.flight = emu.stats.begin(action, "", None)
        status, text = emu.sts.metadata(self.command, url.path, headers)
        self.leave_flight()
        emu.stats.end(None if status == 200 else str(status))
        self.send(status, text.encode(), content_type="application/json" if text.startswith("{")
                  else "text/plain")
        emu.write_log({"time": iso(time.time()), "method": self.command, "action": action,
                       "path": url.path, "status": status,
                       "ms": round((time.monotonic() - started) * 1000, 1)},
                      (headers.get("x-aliyun-ecs-metadata-token"),))

    def replace(self, rule, request_id):
        """Send the answer of a respond/huge/deep rule; returns the status."""
        self.leave_flight()
        if rule.kind == "respond":
            self.send_response(rule.status)
            if not any(name.lower() == "content-type" for name, _ in rule.headers):
                self.send_header("Content-Type", "application/json;charset=utf-8")
            for name, value in rule.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(rule.body)))
            self.end_headers()
            self.wfile.write(rule.body)
            return rule.status
        head = ('{"RequestId":"%s",' % request_id).encode()
        if rule.kind == "deep":
            head += b'"TotalCount":1,"PageNumber":1,"PageSize":10,"Images":{"Image":['
            self.send(200, head + b"[" * rule.depth + b"]" * rule.depth + b"]}}", request_id)
            return 200
        head = (head + b'"Pad":"')[:rule.bytes]
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        if rule.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(rule.bytes))
        self.send_header("x-acs-request-id", request_id)
        self.end_headers()
        try:
            left = rule.bytes
            piece = head
            while left > 0:
                if rule.chunked:
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                left -= len(piece)
                piece = memoryview(HUGE_CHUNK)[:min(left, len(HUGE_CHUNK))]
            if rule.chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:     # the client gave up: stop quietly
            self.close_connection = True
        return 200


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, host, port, emu, ssl_context=None):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.emu = emu
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True,
                                                  do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        sys.stderr.write(redact("ecs_emulator: error while serving %s:%s\n%s"
                                % (client_address[0], client_address[1], traceback.format_exc())))
