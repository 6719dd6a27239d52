#!/usr/bin/python3
"""Talk to the ECS emulator's control endpoints (and, for scripts, sign API
calls).  Standard library only.

Environment: EMU_URL (e.g. https://127.0.0.1:PORT) and EMU_CA (the test CA
file; needed for https).  Output is terse and deterministic.

  emuctl.py stats [--action A] [--region R]   one integer: requests counted
  emuctl.py stats --hosts                     "host count" lines, sorted by host
  emuctl.py stats-json                        the whole stats document
  emuctl.py stats-reset                       zero the counters
  emuctl.py fault JSON                        add a fault rule
  emuctl.py faults                            list fault rules
  emuctl.py faults-clear                      remove every fault rule
  emuctl.py reset                             restore the seed state
  emuctl.py images [--account ID] [--region R] [--visible-to ID]
                                              JSON truth, one image per line
  emuctl.py seed                              instances, snapshots, buckets, tasks
  emuctl.py instances|snapshots [--account ID] [--region R]
                                              JSON truth, one per line
  emuctl.py add-instance JSON                 an instance of an image; prints it
  emuctl.py remove-instance ID                release an instance
  emuctl.py call [--key NAME] [--sig 1|3] [--method M] ACTION [K=V ...]
                                              a signed API call, prints the JSON answer
                                              (exit 1 on an API error or a non-JSON answer)
  emuctl.py sts [--duration-cap S] [--instance-role NAME | --no-instance-role]
                [--hardened | --imds-v1]      STS and metadata settings (prints nothing)
  emuctl.py oidc-token --out FILE [--expires-in S] [--audience A] [--issuer I]
                [--bad-signature]             write a fresh RRSA OIDC token to FILE
                                              (mode 0644; the token is never printed)
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

# The emulator's fixed keys (see ecs_emulator.py --help).
KEYS = {
    "owner": ("LTAI5tEmuOwner0000000001", "emu-owner-secret-0001", None),
    "peer": ("LTAI5tEmuPeer00000000002", "emu-peer-secret-0002", None),
    "sts": ("STS.EmuOwnerTemp000000003", "emu-sts-secret-0003", "emu-sts-token-0003"),
    "empty": ("LTAI5tEmuEmpty0000000004", "emu-empty-secret-0004", None),
    "noperm": ("LTAI5tEmuNoPerm000000005", "emu-noperm-secret-0005", None),
}
OOS_ACTIONS = ("StartExecution", "ListExecutions", "CancelExecution")
STS_ACTIONS = ("AssumeRole", "AssumeRoleWithOIDC", "GetCallerIdentity")


def pct(value):
    return urllib.parse.quote(str(value), safe="-_.~")


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_rpc(method, params, key_id, secret, token=None, timestamp=None, nonce=None):
    """RPC v1 (HMAC-SHA1): returns the full parameter dict with Signature."""
    p = dict(params)
    p.update(AccessKeyId=key_id, Format="JSON", SignatureMethod="HMAC-SHA1",
             SignatureVersion="1.0", SignatureNonce=nonce or uuid.uuid4().hex,
             Timestamp=timestamp or utc_now())
    if token:
        p["SecurityToken"] = token
    canonical = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(p.items()))
    sts = "%s&%s&%s" % (method, pct("/"), pct(canonical))
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    p["Signature"] = base64.b64encode(mac).decode()
    return p


def sign_acs3(method, host, action, version, query, body, key_id, secret, token=None,
              content_type=None, date=None, nonce=None):
    """ACS3-HMAC-SHA256: returns the headers to send."""
    headers = {"host": host, "x-acs-action": action, "x-acs-version": version,
               "x-acs-date": date or utc_now(),
               "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
               "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}
    if content_type:
        headers["content-type"] = content_type
    if token:
        headers["x-acs-security-token"] = token
    signed = sorted(headers)
    canonical_query = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(query.items()))
    creq = "\n".join([method, "/", canonical_query,
                      "".join("%s:%s\n" % (h, headers[h].strip()) for h in signed),
                      ";".join(signed), headers["x-acs-content-sha256"]])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(creq.encode()).hexdigest()
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
        key_id, ";".join(signed), sig)
    return headers


class NotJson(ValueError):
    """An API answer that is not JSON (e.g. from a respond fault)."""

    def __init__(self, status, data):
        super().__init__("HTTP %d, the answer is not JSON (%d bytes)" % (status, len(data)))
        self.status = status
        self.data = data


class Client:
    """A small HTTP client for the emulator (control endpoints and signed calls)."""

    def __init__(self, url=None, ca=None, timeout=30):
        self.url = (url or os.environ.get("EMU_URL") or "").rstrip("/")
        if not self.url:
            raise SystemExit("emuctl: EMU_URL is not set")
        ca = ca or os.environ.get("EMU_CA")
        self.context = ssl.create_default_context(cafile=ca) if self.url.startswith("https") else None
        self.timeout = timeout
        self.host = urllib.parse.urlsplit(self.url).netloc

    def raw(self, method, path, body=b"", headers=None):
        """Returns (status, headers, body bytes); HTTP errors are answers too."""
        req = urllib.request.Request(self.url + path, data=body if method != "GET" else None,
                                     method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as r:
                return r.status, dict(r.headers.items()), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers.items()), e.read()

    def control(self, method, path, doc=None):
        body = json.dumps(doc).encode() if doc is not None else b""
        status, _, data = self.raw(method, "/_emulator/" + path, body,
                                   {"Content-Type": "application/json"})
        answer = json.loads(data)
        if status != 200:
            raise SystemExit("emuctl: %s" % answer.get("error", answer))
        return answer

    def call(self, action, params=None, key="owner", sig=3, method="POST", form=False,
             host=None):
        """A signed API call; returns (status, answer dict).  host: another
        Host header (e.g. an official host name) than the emulator's address."""
        key_id, secret, token = KEYS[key]
        params = {k: str(v) for k, v in (params or {}).items()}
        version = "2019-06-01" if action in OOS_ACTIONS else \
            "2015-04-01" if action in STS_ACTIONS else "2014-05-26"
        headers = {}
        if sig == 1:
            signed = sign_rpc(method, dict(params, Action=action, Version=version),
                              key_id, secret, token)
            encoded = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in signed.items())
            if form:
                path, body = "/", encoded.encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                path, body = "/?" + encoded, b""
        else:
            query, body, ctype = params, b"", None
            if form:
                query, ctype = {}, "application/x-www-form-urlencoded"
                body = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(params.items())).encode()
            headers = sign_acs3(method, host or self.host, action, version, query, body, key_id,
                                secret, token, ctype)
            headers.pop("host")
            path = "/" + ("?" + "&".join("%s=%s" % (pct(k), pct(v))
                                          for k, v in sorted(query.items())) if query else "")
        if host:
            headers["Host"] = host
        status, _, data = self.raw(method, path, body, headers)
        try:
            return status, json.loads(data)
        except ValueError:
            raise NotJson(status, data) from None


def main(argv=None):
    p = argparse.ArgumentParser(prog="emuctl.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stats")
    s.add_argument("--hosts", action="store_true",
                   help="one line per Host header: the host and its requests")
    s.add_argument("--action")
    s.add_argument("--region")
    s.add_argument("--account")
    sub.add_parser("stats-json")
    sub.add_parser("stats-reset")
    s = sub.add_parser("fault")
    s.add_argument("rule")
    sub.add_parser("faults")
    sub.add_parser("faults-clear")
    sub.add_parser("reset")
    s = sub.add_parser("images")
    s.add_argument("--account")
    s.add_argument("--region")
    s.add_argument("--visible-to")
    sub.add_parser("seed")
    for name in ("instances", "snapshots"):
        s = sub.add_parser(name)
        s.add_argument("--account")
        s.add_argument("--region")
    s = sub.add_parser("add-instance")
    s.add_argument("spec")
    s = sub.add_parser("remove-instance")
    s.add_argument("id")
    s = sub.add_parser("call")
    s.add_argument("--key", default="owner", choices=sorted(KEYS))
    s.add_argument("--sig", type=int, default=3, choices=(1, 3))
    s.add_argument("--method", default="POST", choices=("GET", "POST"))
    s.add_argument("--form", action="store_true", help="send the parameters as a form body")
    s.add_argument("action")
    s.add_argument("params", nargs="*", metavar="K=V")
    s = sub.add_parser("settings")
    s.add_argument("--create-seconds", type=float)
    s = sub.add_parser("sts")
    s.add_argument("--duration-cap", type=int)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--instance-role")
    g.add_argument("--no-instance-role", action="store_true")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--hardened", action="store_true")
    g.add_argument("--imds-v1", action="store_true")
    s = sub.add_parser("oidc-token")
    s.add_argument("--out", required=True)
    s.add_argument("--expires-in", type=int)
    s.add_argument("--audience")
    s.add_argument("--issuer")
    s.add_argument("--bad-signature", action="store_true")
    args = p.parse_args(argv)
    c = Client()
    out = None

    if args.cmd == "stats" and args.hosts:
        out = "\n".join("%s %d" % (h, n) for h, n in c.control("GET", "stats")["by_host"].items())
    elif args.cmd == "stats":
        st = c.control("GET", "stats")
        if args.account:
            out = st.get("by_account", {}).get(args.account, 0)
        elif args.action and args.region:
            out = st["by_action_region"].get(args.action, {}).get(args.region, 0)
        elif args.action:
            out = st["by_action"].get(args.action, 0)
        elif args.region:
            out = st["by_region"].get(args.region, 0)
        else:
            out = st["total"]
    elif args.cmd == "stats-json":
        out = json.dumps(c.control("GET", "stats"), sort_keys=True)
    elif args.cmd == "settings":
        spec = {} if args.create_seconds is None else {"create_seconds": args.create_seconds}
        out = json.dumps(c.control("POST", "settings", spec), sort_keys=True)
    elif args.cmd == "stats-reset":
        c.control("POST", "stats/reset")
    elif args.cmd == "fault":
        try:
            rule = json.loads(args.rule)
        except ValueError as e:
            raise SystemExit("emuctl: the fault rule is not JSON: %s" % e)
        c.control("POST", "faults", rule)
    elif args.cmd == "faults":
        out = "\n".join(json.dumps(r, sort_keys=True) for r in c.control("GET", "faults"))
    elif args.cmd == "faults-clear":
        c.control("DELETE", "faults")
    elif args.cmd == "reset":
        c.control("POST", "reset")
    elif args.cmd == "images":
        q = {k: v for k, v in (("account", args.account), ("region", args.region),
                               ("visible_to", args.visible_to)) if v}
        images = c.control("GET", "images" + ("?" + urllib.parse.urlencode(q) if q else ""))
        out = "\n".join(json.dumps(i, sort_keys=True, ensure_ascii=False) for i in images)
    elif args.cmd in ("instances", "snapshots"):
        q = {k: v for k, v in (("account", args.account), ("region", args.region)) if v}
        found = c.control("GET", args.cmd + ("?" + urllib.parse.urlencode(q) if q else ""))
        out = "\n".join(json.dumps(i, sort_keys=True, ensure_ascii=False) for i in found)
    elif args.cmd == "add-instance":
        out = json.dumps(c.control("POST", "instances", json.loads(args.spec)), sort_keys=True)
    elif args.cmd == "remove-instance":
        c.control("DELETE", "instances?" + urllib.parse.urlencode({"id": args.id}))
    elif args.cmd == "seed":
        out = json.dumps(c.control("GET", "seed"), sort_keys=True, ensure_ascii=False)
    elif args.cmd == "sts":
        doc = {}
        if args.duration_cap is not None:
            doc["duration_cap"] = args.duration_cap
        if args.instance_role or args.no_instance_role:
            doc["instance_role"] = args.instance_role
        if args.hardened or args.imds_v1:
            doc["hardened"] = args.hardened
        c.control("POST", "sts", doc)
    elif args.cmd == "oidc-token":
        spec = {k: v for k, v in (("expires_in", args.expires_in), ("audience", args.audience),
                                  ("issuer", args.issuer)) if v is not None}
        if args.bad_signature:
            spec["bad_signature"] = True
        token = c.control("POST", "oidc-token", spec)["token"]
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp = "%s.tmp.%d" % (args.out, os.getpid())
        with open(tmp, "w") as f:
            f.write(token)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.out)
    elif args.cmd == "call":
        params = dict(kv.split("=", 1) for kv in args.params)
        try:
            status, answer = c.call(args.action, params, args.key, args.sig, args.method, args.form)
        except NotJson as e:
            sys.stderr.write("emuctl: %s\n" % e)
            return 1
        out = json.dumps(answer, sort_keys=True, ensure_ascii=False)
        if status != 200:
            print(out)
            return 1
    if out is not None and out != "":
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
