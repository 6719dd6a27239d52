"""Request authentication: RPC (HMAC-SHA1) and ACS3-HMAC-SHA256 signatures,
the time window, nonces and security tokens."""

import base64
import hashlib
import hmac
import re
import threading
import time

from .common import ApiError, TIME_WINDOW_S, invalid_parameter, missing_parameter, parse_iso, pct


RPC_REQUIRED = ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
                "SignatureNonce", "Timestamp")
ACS3_REQUIRED = ("host", "x-acs-action", "x-acs-version", "x-acs-date",
                 "x-acs-signature-nonce", "x-acs-content-sha256")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def incomplete(reason):
    return ApiError(400, "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards. " + reason)


class Auth:
    """Verifies RPC v1 (HMAC-SHA1) and ACS3-HMAC-SHA256 signatures and
    rejects stale timestamps and reused nonces."""

    def __init__(self, accounts, clock=time.time):
        self.keys = {a.key_id: a for a in accounts}
        self.clock = clock
        self.lock = threading.Lock()
        self.nonces = {}        # access key id -> {nonce: expiry}
        self.temporary = {}     # access key id -> Account: issued by STS (Sts.issued)
        self.pruned = 0.0

    def authenticate(self, req):
        """Returns the Account of a correctly signed request or raises."""
        auth = req.headers.get("authorization")
        if auth is not None:
            req.scheme = "acs3"
            return self._acs3(req, auth)
        req.scheme = "rpc"
        return self._rpc(req)

    # RPC v1: every query and form parameter except Signature is signed.
    def _rpc(self, req):
        p = req.params
        for name in RPC_REQUIRED:
            if not p.get(name):
                raise missing_parameter(name)
        if p["SignatureMethod"] != "HMAC-SHA1":
            raise invalid_parameter("SignatureMethod")
        if p["SignatureVersion"] != "1.0":
            raise invalid_parameter("SignatureVersion")
        self._check_time(p["Timestamp"], "Timestamp")
        account = self._lookup(p["AccessKeyId"])
        pairs = sorted((k, v) for k, v in req.pairs if k != "Signature")
        canonical = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in pairs)
        sts = "%s&%s&%s" % (req.method, pct("/"), pct(canonical))
        mac = hmac.new((account.secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
        if not hmac.compare_digest(base64.b64encode(mac).decode(), p["Signature"]):
            raise self._mismatch(sts)
        self._check_token(account, p.get("SecurityToken"))
        self._use_nonce(account, p["SignatureNonce"], p["Timestamp"])
        return account

    # ACS3: canonical request over the query string, signed headers and body hash.
    def _acs3(self, req, auth):
        algo, _, rest = auth.partition(" ")
        if algo != "ACS3-HMAC-SHA256":
            raise incomplete("Unsupported signature algorithm.")
        fields = {}
        for part in rest.split(","):
            key, sep, value = part.partition("=")
            if not sep or key not in ("Credential", "SignedHeaders", "Signature") or key in fields:
                raise incomplete("Malformed Authorization header.")
            fields[key] = value
        if len(fields) != 3 or not all(fields.values()):
            raise incomplete("Malformed Authorization header.")
        signed = sorted(h.lower() for h in fields["SignedHeaders"].split(";"))
        required = list(ACS3_REQUIRED)
        if req.body:
            required.append("content-type")
        required += [h for h in req.headers if h.startswith("x-acs-")]
        for h in required:
            if h not in signed:
                raise incomplete('Header "%s" must be signed.' % h)
        for h in signed:
            if h not in req.headers:
                raise incomplete('Signed header "%s" is missing.' % h)
        self._check_time(req.headers["x-acs-date"], "x-acs-date")
        account = self._lookup(fields["Credential"])
        query = sorted(req.query_pairs)
        canonical_query = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in query)
        canonical_headers = "".join("%s:%s\n" % (h, req.headers[h].strip()) for h in signed)
        body_hash = hashlib.sha256(req.body).hexdigest()
        creq = "\n".join([req.method, req.path, canonical_query, canonical_headers,
                          ";".join(signed), body_hash])
        sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(creq.encode()).hexdigest()
        mine = hmac.new(account.secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
        if (req.headers["x-acs-content-sha256"] != body_hash
                or not hmac.compare_digest(mine, fields["Signature"])):
            raise self._mismatch(sts)
        self._check_token(account, req.headers.get("x-acs-security-token"))
        self._use_nonce(account, req.headers["x-acs-signature-nonce"], req.headers["x-acs-date"])
        return account

    def _check_time(self, text, name):
        if not TIMESTAMP_RE.match(text) or parse_iso(text) is None:
            raise ApiError(400, "InvalidTimeStamp.Format",
                           'Specified time stamp or date value is not well formatted: "%s".' % name)
        if abs(self.clock() - parse_iso(text)) > TIME_WINDOW_S:
            raise ApiError(400, "InvalidTimeStamp.Expired",
                           "Specified time stamp or date value is expired.")

    def _lookup(self, key_id):
        account = self.keys.get(key_id) or self.temporary.get(key_id)
        if account is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        return account

    @staticmethod
    def _mismatch(sts):
        return ApiError(400, "SignatureDoesNotMatch",
                        "Specified signature is not matched with our calculation. "
                        "server string to sign is:" + sts)

    @staticmethod
    def _check_token(account, token):
        if account.token is None:
            return
        if not token:
            raise ApiError(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
        if not hmac.compare_digest(token, account.token):
            raise ApiError(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
        if getattr(account, "expires", None) is not None and time.time() >= account.expires:
            raise ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")

    def _use_nonce(self, account, nonce, signed_time):
        """Remembers a nonce until its request's time has left the window, so
        that no replay of it can be accepted."""
        now = self.clock()
        with self.lock:
            if now - self.pruned > 60:
                for seen in self.nonces.values():
                    for n in [n for n, exp in seen.items() if exp < now]:
                        del seen[n]
                self.pruned = now
            seen = self.nonces.setdefault(account.key_id, {})
            if seen.get(nonce, 0) >= now:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            seen[nonce] = max(now, parse_iso(signed_time)) + TIME_WINDOW_S
