#!/usr/bin/python3
"""Self-test of the ECS emulator: signatures (official vectors and live),
paging, filters, errors, faults, lifecycle, OOS and determinism.

Run: /usr/bin/python3 test/emulator/test_emulator.py -v
It starts the emulator over HTTPS on port 0 with a throwaway CA.
"""

import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ecsemu.accounts import (Account, DIRECTORY_ACCOUNTS, EMPTY_ID,  # noqa: E402
                             IMDS_TOKEN_PREFIX, ISSUED_SECRET_PREFIX, ISSUED_TOKEN_PREFIX,
                             OWNER_ID, PEER_ID, redact)
from ecsemu.actions.api import Api  # noqa: E402
from ecsemu.auth import Auth  # noqa: E402
from ecsemu.cli import parse_args  # noqa: E402
from ecsemu.common import ApiError, ECS_VERSION, dump as dump_json, iso, parse_iso, pct  # noqa: E402
from ecsemu.model import BOOT_MODES, FIELD_ORDER  # noqa: E402
from ecsemu.oidc import OIDC_ISSUER, OIDC_PROVIDER_ARN, oidc_token  # noqa: E402
from ecsemu.regions import REGIONS  # noqa: E402
from ecsemu.request import ApiRequest  # noqa: E402
from ecsemu.sts import INSTANCE_ROLE  # noqa: E402
from ecsemu.world import World  # noqa: E402
import emuctl  # noqa: E402

ALL = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"
OWNER, PEER, EMPTY = OWNER_ID, PEER_ID, EMPTY_ID
CREATE_SECONDS = 1.0


class Server:
    """An emulator process on a free port."""

    def __init__(self, tmp, *extra):
        self.port_file = tempfile.mktemp(prefix="port.", dir=tmp)
        cmd = [sys.executable, os.path.join(HERE, "ecs_emulator.py"), "--port", "0",
               "--port-file", self.port_file, "--tls-cert", os.path.join(tmp, "server.pem"),
               "--tls-key", os.path.join(tmp, "server.key")] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("emulator did not start: %s" % self.proc.stderr.read())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.client = emuctl.Client("https://127.0.0.1:%d" % self.port, os.path.join(tmp, "ca.pem"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(5)
        self.stderr_text = self.proc.stderr.read().decode("utf-8", "replace")
        self.proc.stderr.close()


def setUpModule():
    global TMP, SERVER, C
    TMP = tempfile.mkdtemp(prefix="ecs-emu-test.")
    subprocess.run(["sh", os.path.join(HERE, "make_test_ca.sh"), TMP], check=True)
    SERVER = Server(TMP, "--regions", "4", "--images-per-region", "12",
                    "--create-seconds", str(CREATE_SECONDS))
    C = SERVER.client


def tearDownModule():
    started = time.time()
    SERVER.stop()
    assert time.time() - started < 3, "SIGTERM took too long"
    shutil.rmtree(TMP, ignore_errors=True)


def call(action, params=None, **kw):
    return C.call(action, params, **kw)


def ok(action, params=None, **kw):
    status, body = call(action, params, **kw)
    if status != 200:
        raise AssertionError("%s failed: %s" % (action, body))
    return body


def images(region="cn-hangzhou", key="owner", **params):
    params.setdefault("PageSize", 100)
    body = ok("DescribeImages", dict(params, RegionId=region), key=key)
    return body["Images"]["Image"]


def wait_image(image_id, region="cn-hangzhou", key="owner", timeout=10):
    deadline = time.time() + timeout
    while True:
        found = images(region, key, ImageId=image_id, Status=ALL)
        if found and found[0]["Status"] not in ("Creating", "Waiting"):
            return found[0]
        if time.time() > deadline:
            raise AssertionError("image %s did not settle: %s" % (image_id, found))
        time.sleep(0.1)


class ApiTestCase(unittest.TestCase):
    def assertError(self, answer, code, status=None):
        got_status, body = answer
        self.assertEqual(body.get("Code"), code, body)
        if status is not None:
            self.assertEqual(got_status, status, body)
        return body


# ---------------------------------------------------------------------------
# Signature algorithms against the reference vectors (no server needed)


def fake_request(method, query, headers=None, body=b"", form=()):
    return ApiRequest(method, "/", list(query), list(form), body,
                          {k.lower(): v for k, v in (headers or {}).items()})


class VectorTest(ApiTestCase):
    def auth(self, when, key="testid", secret="testsecret"):
        account = Account("1", key, secret, "vector")
        return Auth([account], clock=lambda: parse_iso(when)), account

    def test_rpc_official_vector(self):
        auth, account = self.auth("2016-02-23T12:46:24Z")
        q = [("Action", "DescribeRegions"), ("Format", "XML"), ("Version", "2014-05-26"),
             ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"),
             ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
             ("Timestamp", "2016-02-23T12:46:24Z"), ("AccessKeyId", "testid"),
             ("Signature", "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")]
        self.assertIs(auth.authenticate(fake_request("GET", q)), account)
        # The legacy-doc value belongs to the misspelt "TimeStamp" and must fail.
        q[-1] = ("Signature", "CT9X0VtwR86fNWSnsc6v8YGOjuE=")
        with self.assertRaises(ApiError) as cm:
            auth.authenticate(fake_request("GET", q))
        self.assertEqual(cm.exception.code, "SignatureDoesNotMatch")

    def test_rpc_extra_vectors(self):
        params = [("AccessKeyId", "testid"), ("Action", "DescribeImages"), ("Format", "JSON"),
                  ("RegionId", "cn-hangzhou"), ("ImageName", "my img*~/é"), ("Tag.1.Key", "env"),
                  ("Tag.1.Value", "a b+c"), ("PageSize", "100"), ("SignatureMethod", "HMAC-SHA1"),
                  ("SignatureNonce", "11111111-2222-3333-4444-555555555555"),
                  ("SignatureVersion", "1.0"), ("Timestamp", "2024-01-02T03:04:05Z"),
                  ("Version", "2014-05-26")]
        for method, sig in (("GET", "JJsyTWnYa/s5bqQT7oG02pC0MDg="),
                            ("POST", "+7myZnh0+BE3x+HqV22WewUh6hI=")):
            auth, account = self.auth("2024-01-02T03:04:05Z")
            self.assertIs(auth.authenticate(fake_request(method, params + [("Signature", sig)])), account)
        # Form body: the same parameters signed together with the query.
        auth, account = self.auth("2024-01-02T03:04:05Z")
        req = fake_request("POST", params[:3], form=params[3:] + [("Signature", "+7myZnh0+BE3x+HqV22WewUh6hI=")])
        self.assertIs(auth.authenticate(req), account)

    def test_oos_rpc_vectors(self):
        params = [("AccessKeyId", "testid"), ("Action", "StartExecution"),
                  ("ClientToken", "11111111-2222-3333-4444-555555555555"), ("Format", "JSON"),
                  ("Mode", "Automatic"),
                  ("Parameters", '{"sourceImageId":"m-test","instanceType":"ecs.g7.large",'
                                 '"commandContent":"yum -y update"}'),
                  ("RegionId", "cn-hangzhou"), ("SafetyCheck", "Skip"), ("SignatureMethod", "HMAC-SHA1"),
                  ("SignatureNonce", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), ("SignatureVersion", "1.0"),
                  ("TemplateName", "ACS-ECS-UpdateImage"), ("Timestamp", "2024-01-02T03:04:05Z"),
                  ("Version", "2019-06-01")]
        for method, sig in (("POST", "nBl0B8UgvCCREMFinkxZiAw1YDs="), ("GET", "iVTcl9Efi/sQ9+9UO7vghMmxzl8=")):
            auth, account = self.auth("2024-01-02T03:04:05Z")
            self.assertIs(auth.authenticate(fake_request(method, params + [("Signature", sig)])), account)

    def acs3_headers(self, action, version, signed, sig, extra=None):
        h = {"host": "oos.cn-hangzhou.aliyuncs.com", "x-acs-action": action, "x-acs-version": version,
             "x-acs-date": "2024-01-02T03:04:05Z",
             "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
             "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
        h.update(extra or {})
        h["authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
            "testid", signed, sig)
        return h

    def test_acs3_official_vector(self):
        account = Account("1", "YourAccessKeyId", "YourAccessKeySecret", "vector")
        auth = Auth([account], clock=lambda: parse_iso("2023-10-26T10:22:32Z"))
        headers = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
                   "x-acs-version": "2014-05-26", "x-acs-date": "2023-10-26T10:22:32Z",
                   "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
                   "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
                   "authorization": "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders="
                   "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
                   "x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"}
        query = [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")]
        self.assertIs(auth.authenticate(fake_request("POST", query, headers)), account)
        # One changed byte in the query fails.
        auth = Auth([account], clock=lambda: parse_iso("2023-10-26T10:22:32Z"))
        query[1] = ("RegionId", "cn-shanghaj")
        with self.assertRaises(ApiError) as cm:
            auth.authenticate(fake_request("POST", query, headers))
        self.assertEqual(cm.exception.code, "SignatureDoesNotMatch")

    def test_acs3_oos_vectors(self):
        signed = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
        auth, account = self.auth("2024-01-02T03:04:05Z")
        h = self.acs3_headers("ListExecutions", "2019-06-01", signed,
                              "bcb3e272f5be3cc4d40be2568cb47543dc410c6cd4e0ef78e2829656da99c87f")
        q = [("ExecutionId", "exec-0123456789abcdef"), ("RegionId", "cn-hangzhou")]
        self.assertIs(auth.authenticate(fake_request("POST", q, h)), account)
        body = (b"Parameters=%7B%22sourceImageId%22%3A%22m-test%22%2C%22instanceType%22%3A%22"
                b"ecs.g7.large%22%7D&RegionId=cn-hangzhou&TemplateName=ACS-ECS-UpdateImage")
        auth, account = self.auth("2024-01-02T03:04:05Z")
        h = self.acs3_headers("StartExecution", "2019-06-01", "content-type;" + signed,
                              "eca0ada6b92d87936ad8e77f79a703b0d328d2e44e5026c3c7b05ec1ff574864",
                              {"content-type": "application/x-www-form-urlencoded",
                               "x-acs-content-sha256": hashlib.sha256(body).hexdigest()})
        form = urllib.parse.parse_qsl(body.decode())
        self.assertIs(auth.authenticate(fake_request("POST", [], h, body, form)), account)
        # The same headers over a body with one byte changed fail.
        auth, account = self.auth("2024-01-02T03:04:05Z")
        with self.assertRaises(ApiError) as cm:
            auth.authenticate(fake_request("POST", [], h, body.replace(b"g7", b"g8"), form))
        self.assertEqual(cm.exception.code, "SignatureDoesNotMatch")

    def test_nonce_outlives_a_future_timestamp(self):
        now = [parse_iso("2026-01-01T00:00:00Z")]
        account = Account("1", "testid", "testsecret", "vector")
        auth = Auth([account], clock=lambda: now[0])
        signed = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"}, "testid",
                                 "testsecret", timestamp="2026-01-01T00:14:00Z")
        req = lambda: fake_request("GET", list(signed.items()))
        auth.authenticate(req())
        for later in (0, 16 * 60):
            now[0] += later
            with self.assertRaises(ApiError) as cm:
                auth.authenticate(req())
            self.assertEqual(cm.exception.code, "SignatureNonceUsed")
        now[0] += 14 * 60
        with self.assertRaises(ApiError) as cm:
            auth.authenticate(req())
        self.assertEqual(cm.exception.code, "InvalidTimeStamp.Expired")

    def test_percent_encoding(self):
        self.assertEqual(pct(" *~+/:é"), "%20%2A~%2B%2F%3A%C3%A9")


# ---------------------------------------------------------------------------
# Live authentication and protocol


class AuthTest(ApiTestCase):
    def send_rpc(self, params, method="GET", form=False, mutate=None):
        encoded = "&".join("%s=%s" % (emuctl.pct(k), emuctl.pct(v)) for k, v in params.items())
        if mutate:
            encoded = mutate(encoded)
        if form:
            status, headers, data = C.raw(method, "/", encoded.encode(),
                                          {"Content-Type": "application/x-www-form-urlencoded"})
        else:
            status, headers, data = C.raw(method, "/?" + encoded)
        return status, json.loads(data)

    def rpc(self, key="owner", **extra):
        key_id, secret, token = emuctl.KEYS[key]
        params = {"Action": "DescribeImages", "Version": "2014-05-26", "RegionId": "cn-hangzhou"}
        params.update(extra)
        return emuctl.sign_rpc("GET", params, key_id, secret, token)

    def test_all_signature_forms_pass(self):
        for sig in (1, 3):
            for method in ("GET", "POST"):
                for form in (False, True):
                    if method == "GET" and form:
                        continue
                    body = ok("DescribeImages", {"RegionId": "cn-hangzhou", "ImageName": "web* ~/é",
                                                 "Tag.1.Key": "env"}, sig=sig, method=method, form=form)
                    self.assertIn("TotalCount", body)

    def test_tampered_byte_fails(self):
        p = self.rpc(PageSize="10")
        self.assertEqual(self.send_rpc(p)[0], 200)
        p = self.rpc(PageSize="10")
        self.assertError(self.send_rpc(p, mutate=lambda s: s.replace("PageSize=10", "PageSize=11")),
                         "SignatureDoesNotMatch", 400)
        p = self.rpc(PageSize="10")
        self.assertError(self.send_rpc(p, mutate=lambda s: s.replace("cn-hangzhou", "cn-shanghai")),
                         "SignatureDoesNotMatch", 400)
        p = self.rpc(PageSize="10")
        body = self.assertError(self.send_rpc(p, method="POST"), "SignatureDoesNotMatch", 400)
        self.assertIn("server string to sign is:POST&%2F&AccessKeyId", body["Message"])
        # Lower-case hex in the wire encoding is decoded first, so it passes.
        p = self.rpc(ImageName="a:b")
        self.assertEqual(self.send_rpc(p, mutate=lambda s: s.replace("%3A", "%3a"))[0], 200)

    def test_rpc_checks(self):
        self.assertError(self.send_rpc(self.rpc(key="owner") | {"AccessKeyId": "LTAI5tNoSuchKey"}),
                         "InvalidAccessKeyId.NotFound", 404)
        key_id, _, _ = emuctl.KEYS["owner"]
        bad = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"}, key_id, "wrong")
        self.assertError(self.send_rpc(bad), "SignatureDoesNotMatch", 400)
        p = self.rpc()
        del p["Signature"]
        self.assertError(self.send_rpc(p), "MissingParameter", 400)
        p = self.rpc()
        del p["SignatureNonce"]
        self.assertError(self.send_rpc(p), "MissingParameter", 400)
        stale = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                                key_id, emuctl.KEYS["owner"][1], timestamp=iso(time.time() - 1000))
        self.assertError(self.send_rpc(stale), "InvalidTimeStamp.Expired", 400)
        future = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                                 key_id, emuctl.KEYS["owner"][1], timestamp=iso(time.time() + 1000))
        self.assertError(self.send_rpc(future), "InvalidTimeStamp.Expired", 400)
        fmt = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                              key_id, emuctl.KEYS["owner"][1], timestamp="2026/01/01 10:00:00")
        self.assertError(self.send_rpc(fmt), "InvalidTimeStamp.Format", 400)

    def test_nonce_reuse(self):
        p = self.rpc()
        self.assertEqual(self.send_rpc(p)[0], 200)
        self.assertError(self.send_rpc(p), "SignatureNonceUsed", 400)
        # A request with a bad signature does not burn its nonce.
        key_id, secret, _ = emuctl.KEYS["owner"]
        bad = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                              key_id, "wrong", nonce="nonce-kept-1")
        self.assertError(self.send_rpc(bad), "SignatureDoesNotMatch")
        good = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                               key_id, secret, nonce="nonce-kept-1")
        self.assertEqual(self.send_rpc(good)[0], 200)

    def test_sts(self):
        self.assertEqual(self.send_rpc(self.rpc(key="sts"))[0], 200)
        key_id, secret, _ = emuctl.KEYS["sts"]
        no_token = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"}, key_id, secret)
        self.assertError(self.send_rpc(no_token), "MissingSecurityToken", 400)
        wrong = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                                key_id, secret, token="not-the-token")
        self.assertError(self.send_rpc(wrong), "InvalidSecurityToken.Malformed", 400)
        self.assertEqual(call("DescribeRegions", key="sts")[0], 200)

    def acs3(self, query, body=b"", ctype=None, tamper=None, **hdr):
        key_id, secret, token = emuctl.KEYS["owner"]
        headers = emuctl.sign_acs3("POST", C.host, "DescribeImages", "2014-05-26", query, body,
                                   key_id, secret, token, ctype)
        headers.pop("host")
        headers.update(hdr)
        if tamper:
            tamper(headers)
        path = "/?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "/"
        status, _, data = C.raw("POST", path, body, headers)
        return status, json.loads(data)

    def test_acs3_checks(self):
        q = {"RegionId": "cn-hangzhou", "PageSize": "5"}
        self.assertEqual(self.acs3(q)[0], 200)
        self.assertError(self.acs3(q, tamper=lambda h: h.update(
            {"Authorization": h["Authorization"][:-1] + ("0" if h["Authorization"][-1] != "0" else "1")})),
            "SignatureDoesNotMatch", 400)
        self.assertError(self.acs3(q, tamper=lambda h: h.update(
            {"Authorization": "ACS3-HMAC-SHA256 Credential=x"})), "IncompleteSignature", 400)
        self.assertError(self.acs3(q, tamper=lambda h: h.update(
            {"Authorization": h["Authorization"].replace("host;", "")})), "IncompleteSignature", 400)
        self.assertError(self.acs3(q, **{"x-acs-extra": "1"}), "IncompleteSignature", 400)
        self.assertError(self.acs3(q, tamper=lambda h: h.update(
            {"Authorization": h["Authorization"].replace("LTAI5tEmuOwner0000000001", "LTAI5tNope")})),
            "InvalidAccessKeyId.NotFound", 404)
        self.assertError(self.acs3(q, tamper=lambda h: h.update({"x-acs-date": "2020-01-01T00:00:00Z"})),
                         "InvalidTimeStamp.Expired", 400)
        body = b"RegionId=cn-hangzhou&PageSize=3"
        self.assertEqual(self.acs3({}, body, "application/x-www-form-urlencoded")[1]["PageSize"], 3)
        # A body that differs from x-acs-content-sha256 fails.
        key_id, secret, _ = emuctl.KEYS["owner"]
        headers = emuctl.sign_acs3("POST", C.host, "DescribeImages", "2014-05-26", {}, body, key_id,
                                   secret, content_type="application/x-www-form-urlencoded")
        headers.pop("host")
        status, _, data = C.raw("POST", "/", body.replace(b"3", b"4"), headers)
        self.assertEqual(json.loads(data)["Code"], "SignatureDoesNotMatch")
        # A body must have a signed content-type.
        self.assertError(self.acs3({}, body, None, **{"Content-Type": "application/x-www-form-urlencoded"}),
                         "IncompleteSignature", 400)

    def test_envelope_and_routing(self):
        status, headers, data = C.raw("GET", "/?Action=DescribeRegions")
        body = json.loads(data)
        self.assertEqual(sorted(body), ["Code", "HostId", "Message", "Recommend", "RequestId"])
        self.assertEqual(headers["x-acs-request-id"], body["RequestId"])
        self.assertRegex(body["RequestId"], r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[0-9A-F]{4}-[0-9A-F]{12}$")
        self.assertEqual(body["Recommend"], "https://api.aliyun.com/troubleshoot?q=%s&product=Ecs"
                         "&requestId=%s" % (body["Code"], body["RequestId"]))
        self.assertError(call("DescribeImagez", {"RegionId": "cn-hangzhou"}), "InvalidAction.NotFound", 404)
        key_id, secret, _ = emuctl.KEYS["owner"]
        p = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2015-01-01"}, key_id, secret)
        status, _, data = C.raw("GET", "/?" + urllib.parse.urlencode(p))
        self.assertEqual((status, json.loads(data)["Code"]), (400, "InvalidVersion"))
        self.assertError(call("DescribeImages", {}), "MissingParameter", 400)
        self.assertError(call("DescribeImages", {"RegionId": "mars-north-1"}), "InvalidRegionId.NotFound", 404)
        self.assertError(call("DescribeImages", {"RegionId": "eu-central-1"}), "InvalidRegionId.NotFound", 404)
        self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou"}, key="noperm"), "Forbidden.RAM", 403)
        self.assertError(call("DescribeRegions", key="noperm"), "Forbidden.RAM", 403)
        status, body = call("DescribeRegions", sig=1, method="GET")
        self.assertEqual(status, 200)
        self.assertEqual([r["RegionId"] for r in body["Regions"]["Region"]],
                         ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen"])
        self.assertEqual(body["Regions"]["Region"][0],
                         {"RegionId": "cn-hangzhou", "LocalName": "华东1（杭州）",
                          "RegionEndpoint": "ecs-cn-hangzhou.aliyuncs.com", "Status": "available"})

    def test_keep_alive(self):
        conn = http.client.HTTPSConnection("127.0.0.1", SERVER.port, context=C.context)
        for _ in range(3):
            key_id, secret, _ = emuctl.KEYS["owner"]
            p = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"}, key_id, secret)
            conn.request("GET", "/?" + urllib.parse.urlencode(p, quote_via=urllib.parse.quote))
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(int(r.getheader("Content-Length")), len(r.read()))
        conn.close()


# ---------------------------------------------------------------------------
# DescribeImages


class DescribeImagesTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        C.control("POST", "reset")

    def test_a_repeated_listing_follows_changes(self):
        # the same listing twice: the same answer (bar the request id); after a
        # rename, a share and an instance, the listing shows each change
        try:
            params = {"RegionId": "cn-shenzhen", "ImageOwnerAlias": "self", "PageSize": 3, "PageNumber": 2}
            first, again = ok("DescribeImages", params), ok("DescribeImages", params)
            self.assertNotEqual(first.pop("RequestId"), again.pop("RequestId"))
            self.assertEqual(first, again)
            img = [i for i in first["Images"]["Image"] if i["Usage"] == "none"][0]
            ok("ModifyImageAttribute", {"RegionId": "cn-shenzhen", "ImageId": img["ImageId"],
                                        "ImageName": "renamed-while-listed"})
            self.assertIn("renamed-while-listed",
                          [i["ImageName"] for i in ok("DescribeImages", params)["Images"]["Image"]])
            listed = lambda: {i["ImageId"] for i in images("cn-shenzhen", key="peer", ImageOwnerAlias="others")}
            before = listed()
            ok("ModifyImageSharePermission", {"RegionId": "cn-shenzhen", "ImageId": img["ImageId"],
                                              "AddAccount.1": PEER})
            self.assertEqual(listed() - before, {img["ImageId"]})
            used = lambda: {i["ImageId"] for i in images("cn-shenzhen", ImageOwnerAlias="self", Usage="instance")}
            before = used()
            inst = C.control("POST", "instances", {"region": "cn-shenzhen", "image_id": img["ImageId"]})
            self.assertEqual(used() - before, {img["ImageId"]})
            C.control("DELETE", "instances?id=" + inst["InstanceId"])
            self.assertEqual(used(), before)
        finally:
            C.control("POST", "reset")

    def test_a_listing_is_filtered_once(self):
        # in process: the pages of one listing filter the region once, until
        # an action changes the world
        world = World("1", 2, 30, 1.0)
        api = Api(world, None, 100)
        filtered = []
        match = api._match_images
        api._match_images = lambda *a: filtered.append(1) or match(*a)
        ecs = [("Action", "DescribeImages"), ("Version", ECS_VERSION), ("RegionId", "cn-hangzhou"),
               ("ImageOwnerAlias", "self"), ("PageSize", "10")]
        pages = [api.call(fake_request("GET", ecs + [("PageNumber", str(n))]), OWNER) for n in (1, 2, 1)]
        self.assertEqual(len(filtered), 1)
        self.assertEqual(dump_json(pages[0]), dump_json(pages[2]))
        self.assertNotEqual(dump_json(pages[0]), dump_json(pages[1]))
        image_id = json.loads(dump_json(pages[0]))["Images"]["Image"][0]["ImageId"]
        api.call(fake_request("GET", [("Action", "ModifyImageAttribute"), ("Version", ECS_VERSION),
                                      ("RegionId", "cn-hangzhou"), ("ImageId", image_id),
                                      ("ImageName", "renamed-in-process")]), OWNER)
        page = json.loads(dump_json(api.call(fake_request("GET", ecs + [("PageNumber", "1")]), OWNER)))
        self.assertEqual(len(filtered), 2)
        self.assertEqual(page["Images"]["Image"][0]["ImageName"], "renamed-in-process")

    def test_default_is_available_only(self):
        default = images()
        self.assertTrue(default)
        self.assertEqual({i["Status"] for i in default}, {"Available"})
        own = images(ImageOwnerAlias="self", Status=ALL)
        self.assertEqual({i["Status"] for i in own}, set(ALL.split(",")))
        self.assertEqual(len(own), 12)
        self.assertTrue(all(i["ImageOwnerAlias"] == "self" and i["ImageOwnerId"] == int(OWNER) for i in own))

    def test_paging_is_stable_and_complete(self):
        full = images(Status=ALL)
        key = [(i["CreationTime"], i["ImageId"]) for i in full]
        self.assertEqual(key, sorted(key, key=lambda k: (-parse_iso(k[0]), k[1])))
        paged, number = [], 1
        while True:
            body = ok("DescribeImages", {"RegionId": "cn-hangzhou", "Status": ALL, "PageSize": 4,
                                         "PageNumber": number})
            self.assertEqual(body["TotalCount"], len(full))
            self.assertEqual((body["PageNumber"], body["PageSize"]), (number, 4))
            if not body["Images"]["Image"]:
                break
            paged += body["Images"]["Image"]
            number += 1
        self.assertEqual([i["ImageId"] for i in paged], [i["ImageId"] for i in full])
        body = ok("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.assertEqual(body["PageSize"], 10)
        for bad in ({"PageSize": 0}, {"PageSize": 101}, {"PageNumber": 0}, {"PageSize": "x"}):
            self.assertError(call("DescribeImages", dict(bad, RegionId="cn-hangzhou")), "InvalidParameter", 400)

    def test_visibility_per_account(self):
        truth = C.control("GET", "images?region=cn-hangzhou")
        owner_self = {i["ImageId"] for i in truth if i["owner"] == OWNER}
        shared_to_owner = {i["ImageId"] for i in truth if OWNER in i["shared_with"]}
        shared_to_peer = {i["ImageId"] for i in truth if PEER in i["shared_with"]}
        self.assertTrue(shared_to_owner and shared_to_peer)
        got = images(ImageOwnerAlias="self", Status=ALL)
        self.assertEqual({i["ImageId"] for i in got}, owner_self)
        others = images(ImageOwnerAlias="others", Status=ALL)
        self.assertEqual({i["ImageId"] for i in others}, shared_to_owner)
        self.assertTrue(all(i["ImageOwnerId"] == int(PEER) and i["ImageOwnerAlias"] == "others"
                            for i in others))
        peer_view = images(key="peer", ImageOwnerAlias="others", Status=ALL)
        self.assertEqual({i["ImageId"] for i in peer_view}, shared_to_peer)
        self.assertTrue(all(i["IsSelfShared"] in (False, "False") for i in peer_view))
        mine = {i["ImageId"]: i["IsSelfShared"] for i in got}
        self.assertTrue(all(mine[i] in (True, "True") for i in shared_to_peer))
        self.assertEqual(images(key="empty", ImageOwnerAlias="self", Status=ALL), [])
        # no alias: system, self and others, never marketplace (DescribeImages docs)
        empty_all = images(key="empty", Status=ALL)
        self.assertEqual({i["ImageOwnerAlias"] for i in empty_all}, {"system"})
        self.assertEqual({i["ImageOwnerAlias"] for i in images(Status=ALL)}, {"system", "self", "others"})
        self.assertEqual({i["ImageOwnerAlias"] for i in images(ImageOwnerAlias="marketplace")},
                         {"marketplace"})
        system = images(ImageOwnerAlias="system")
        self.assertIn("ubuntu_22_04_x64_20G_alibase_20240101.vhd", [i["ImageId"] for i in system])
        self.assertEqual({i["ImageId"] for i in system},
                         {i["ImageId"] for i in images("cn-beijing", ImageOwnerAlias="system")})
        self.assertTrue(images(ImageOwnerAlias="marketplace")[0]["ProductCode"])
        self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou", "ImageOwnerAlias": "mine"}),
                         "InvalidImageOwnerAlias.ValueNotSupported", 400)

    def test_host_must_serve_the_region(self):
        def status(host, action="DescribeImages", region="cn-beijing", sig=3):
            params = {"RegionId": region} if region else {}
            answer = call(action, params, host=host, sig=sig)
            return answer[0] if answer[0] == 200 else answer[1]["Code"]
        for host in ("ecs.cn-beijing.aliyuncs.com", "ecs-vpc.cn-beijing.aliyuncs.com",
                     "ecs.aliyuncs.com", "127.0.0.1:%d" % SERVER.port):
            self.assertEqual(status(host), 200, host)
            self.assertEqual(status(host, sig=1), 200, host)
        self.assertEqual(status("ecs-cn-hangzhou.aliyuncs.com", region="cn-hangzhou"), 200)
        self.assertEqual(status("ecs.cn-hangzhou.aliyuncs.com", region="cn-hangzhou"), 200)
        for host in ("ecs.cn-shanghai.aliyuncs.com", "ecs-cn-hangzhou.aliyuncs.com",
                     "oos.cn-beijing.aliyuncs.com"):
            self.assertEqual(status(host), "IncorrectHost", host)
            self.assertEqual(status(host, sig=1), "IncorrectHost", host)
        # DescribeRegions names no region: any ECS host serves it
        self.assertEqual(status("ecs.cn-shanghai.aliyuncs.com", "DescribeRegions", None), 200)
        self.assertEqual(status("oos.cn-beijing.aliyuncs.com", "ListExecutions"), 200)
        self.assertEqual(status("ecs.cn-beijing.aliyuncs.com", "ListExecutions"), "IncorrectHost")
        self.assertEqual(status("oos-vpc.cn-shanghai.aliyuncs.com", "ListExecutions"), "IncorrectHost")

    def test_certificate_names_every_region(self):
        text = subprocess.run(["openssl", "x509", "-in", os.path.join(TMP, "server.pem"), "-noout",
                               "-text"], capture_output=True, text=True, check=True).stdout
        for region, _, _ in REGIONS:
            self.assertIn("DNS:*.%s.aliyuncs.com" % region, text)
        self.assertIn("DNS:*.aliyuncs.com", text)
        self.assertNotIn("localhost", text)

    def test_region_languages(self):
        names = {lang: {r["RegionId"]: r["LocalName"] for r in
                        ok("DescribeRegions", dict({"AcceptLanguage": lang} if lang else {}))
                        ["Regions"]["Region"]}
                 for lang in (None, "zh-CN", "en-US", "ja")}
        self.assertEqual(names[None], names["zh-CN"])
        self.assertEqual(names["zh-CN"]["cn-hangzhou"], "华东1（杭州）")
        self.assertEqual(names["en-US"]["cn-hangzhou"], "China (Hangzhou)")
        self.assertEqual(names["ja"]["cn-shenzhen"], "中国（深セン）")
        for bad in ("fr", "zh_TW", "en"):
            self.assertError(call("DescribeRegions", {"AcceptLanguage": bad}),
                             "InvalidAcceptLanguage.NotFound", 404)
        endpoints = {r["RegionId"]: r["RegionEndpoint"]
                     for r in ok("DescribeRegions")["Regions"]["Region"]}
        self.assertEqual(endpoints["cn-hangzhou"], "ecs-cn-hangzhou.aliyuncs.com")
        self.assertEqual(endpoints["cn-beijing"], "ecs.cn-beijing.aliyuncs.com")

    def test_filters(self):
        own = images(ImageOwnerAlias="self", Status=ALL)
        target = own[5]
        self.assertEqual([i["ImageId"] for i in images(ImageId=target["ImageId"], Status=ALL)],
                         [target["ImageId"]])
        part = target["ImageName"][1:5].swapcase()
        by_name = images(ImageOwnerAlias="self", Status=ALL, ImageName=part)
        self.assertIn(target["ImageId"], [i["ImageId"] for i in by_name])
        self.assertTrue(all(part.lower() in i["ImageName"].lower() for i in by_name))
        names = [i["ImageName"] for i in own]
        self.assertTrue(any(a != b and a.lower() == b.lower() for a in names for b in names),
                        "the seed has names that differ only in case")
        for field, values in (("OSType", ("linux", "windows")), ("Architecture", ("x86_64", "arm64")),
                              ("Usage", ("instance", "none"))):
            for value in values:
                got = images(ImageOwnerAlias="self", Status=ALL, **{field: value})
                self.assertEqual(got, [i for i in own if i[field] == value])
        for field, code in (("OSType", "InvalidOSType"), ("Architecture", "InvalidArchitecture"),
                            ("Usage", "InvalidUsage")):
            self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou", field: "bogus"}), code, 404)
        got = images(ImageOwnerAlias="self", Status="CreateFailed,Deprecated")
        self.assertEqual(sorted(i["Status"] for i in got), ["CreateFailed", "Deprecated"])

    def test_tags_and_time_filters(self):
        own = images(ImageOwnerAlias="self", Status=ALL)
        tagged = [i for i in own if i.get("Tags", {}).get("Tag")]
        t = tagged[0]["Tags"]["Tag"][0]
        by_pair = images(ImageOwnerAlias="self", Status=ALL, **{"Tag.1.Key": t["TagKey"], "Tag.1.Value": t["TagValue"]})
        self.assertIn(tagged[0]["ImageId"], [i["ImageId"] for i in by_pair])
        by_key = images(ImageOwnerAlias="self", Status=ALL, **{"Tag.1.Key": t["TagKey"]})
        self.assertGreaterEqual(len(by_key), len(by_pair))
        both = images(ImageOwnerAlias="self", Status=ALL, **{"Tag.1.Key": t["TagKey"], "Tag.2.Key": "no-such-key"})
        self.assertEqual(both, [])
        special = images(ImageOwnerAlias="self", Status=ALL, **{"Tag.1.Key": "cost center"})
        self.assertEqual(len(special), 1)
        self.assertIn({"TagKey": "cost center", "TagValue": "研发中心 Zürich"}, special[0]["Tags"]["Tag"])
        body = self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou", "Tag.21.Key": "a"}),
                                "InvalidTagCount", 400)
        self.assertEqual(body["Message"], "The maximum number of Tags is exceeded.")
        self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou", "Tag.1.Value": "a"}),
                         "InvalidTag.Mismatch", 400)
        mid = sorted(i["CreationTime"] for i in own)[6]
        later = images(ImageOwnerAlias="self", Status=ALL, **{"Filter.1.Key": "CreationStartTime",
                                                             "Filter.1.Value": mid[:16] + "Z"})
        self.assertEqual({i["ImageId"] for i in later},
                         {i["ImageId"] for i in own if i["CreationTime"][:16] >= mid[:16]})
        self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou", "Filter.1.Key": "Bogus",
                                                 "Filter.1.Value": "x"}), "InvalidFilterKey.NotFound", 404)

    def test_field_variety(self):
        own = []
        for region in ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen"):
            own += images(region, ImageOwnerAlias="self", Status=ALL)
        self.assertTrue(any("Description" not in i for i in own))
        self.assertTrue(any(isinstance(i["IsSelfShared"], bool) for i in own))
        self.assertTrue(any(isinstance(i["IsSelfShared"], str) for i in own))
        sizes = [d["Size"] for i in own for d in i["DiskDeviceMappings"]["DiskDeviceMapping"]]
        self.assertTrue(any(isinstance(s, int) for s in sizes) and any(isinstance(s, str) for s in sizes))
        self.assertTrue(any(i["ResourceGroupId"].startswith("rg-") for i in own))
        for i in own:
            self.assertRegex(i["ImageId"], r"^m-[0-9a-z]{2,3}[0-9a-z]{17}$")
            self.assertRegex(i["ImageName"], r"^[A-Za-z]")
            self.assertRegex(i["CreationTime"], r"^20(24|25|26)-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertIn(i["BootMode"], BOOT_MODES)

    def test_truth_matches_api(self):
        truth = {i["ImageId"]: i for i in C.control("GET", "images?account=%s&region=cn-shanghai" % OWNER)}
        api = {i["ImageId"]: i for i in images("cn-shanghai", ImageOwnerAlias="self", Status=ALL)}
        self.assertEqual(set(truth), set(api))
        for image_id, img in api.items():
            t = dict(truth[image_id])
            for extra in ("region", "owner", "shared_with"):
                t.pop(extra)
            self.assertEqual(t, img)


# ---------------------------------------------------------------------------
# Faults, statistics and flags


class FaultTest(ApiTestCase):
    def setUp(self):
        C.control("POST", "reset")

    def test_throttle_count_then_recover(self):
        C.control("POST", "faults", {"kind": "throttle", "action": "DescribeRegions", "count": 2})
        self.assertError(call("DescribeRegions"), "Throttling.User", 400)
        body = self.assertError(call("DescribeRegions"), "Throttling.User", 400)
        self.assertEqual(body["Message"], "Request was denied due to user flow control.")
        self.assertEqual(call("DescribeRegions")[0], 200)
        self.assertEqual(C.control("GET", "faults"), [])
        st = C.control("GET", "stats")
        self.assertEqual(st["by_action"]["DescribeRegions"], 3)
        self.assertEqual(st["by_code"], {"Throttling.User": 2})

    def test_error_rule_filters(self):
        C.control("POST", "faults", {"kind": "error", "region": "cn-shanghai", "status": 500,
                                     "code": "InternalError"})
        self.assertEqual(call("DescribeImages", {"RegionId": "cn-hangzhou"})[0], 200)
        self.assertError(call("DescribeImages", {"RegionId": "cn-shanghai"}), "InternalError", 500)
        C.control("DELETE", "faults")
        C.control("POST", "faults", {"kind": "error", "account": PEER})
        self.assertEqual(call("DescribeRegions")[0], 200)
        self.assertError(call("DescribeRegions", key="peer"), "ServiceUnavailable", 503)
        C.control("POST", "faults/clear")
        self.assertEqual(call("DescribeRegions", key="peer")[0], 200)
        status, _, data = C.raw("POST", "/_emulator/faults", b'{"kind": "nope"}')
        self.assertEqual(status, 400)

    def test_transport_faults(self):
        C.control("POST", "faults", {"kind": "reset", "count": 1})
        with self.assertRaises((ConnectionError, OSError, http.client.HTTPException)):
            call("DescribeRegions")
        C.control("POST", "faults", {"kind": "malformed", "count": 1})
        status, _, data = C.raw("GET", "/?" + urllib.parse.urlencode(
            emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                            *emuctl.KEYS["owner"][:2])))
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(data)
        C.control("POST", "faults", {"kind": "truncated", "count": 1})
        with self.assertRaises(http.client.IncompleteRead):
            call("DescribeRegions")
        C.control("POST", "faults", {"kind": "stall", "ms": 300, "count": 1})
        started = time.time()
        self.assertEqual(call("DescribeRegions")[0], 200)
        self.assertGreaterEqual(time.time() - started, 0.3)
        self.assertEqual(C.control("GET", "stats")["faults"],
                         {"malformed": 1, "reset": 1, "truncated": 1})

    def test_lose_response_then_retry_with_client_token(self):
        snap = own_snapshot()
        C.control("POST", "faults", {"kind": "lose_response", "action": "CreateImage", "count": 1})
        params = {"RegionId": "cn-hangzhou", "SnapshotId": snap, "ImageName": "lost-reply-1",
                  "ClientToken": "token-lost-1"}
        with self.assertRaises((ConnectionError, OSError, http.client.HTTPException)):
            call("CreateImage", params)
        retry = ok("CreateImage", params)
        truth = C.control("GET", "images?account=%s&region=cn-hangzhou" % OWNER)
        self.assertEqual([i["ImageId"] for i in truth if i["ImageName"] == "lost-reply-1"], [retry["ImageId"]])

    def test_concurrency_is_measured(self):
        C.control("POST", "faults", {"kind": "latency", "ms": 400})
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: call("DescribeRegions")[0], range(6)))
        self.assertEqual(results, [200] * 6)
        st = C.control("GET", "stats")
        self.assertGreaterEqual(st["max_in_flight"], 4)
        self.assertEqual(st["in_flight"], 0)

    def test_connections_are_counted(self):
        # each urllib call is a connection of its own; one kept alive counts once
        C.control("POST", "stats/reset")
        for _ in range(3):
            ok("DescribeRegions")
        conn = http.client.HTTPSConnection("127.0.0.1", SERVER.port, context=C.context)
        for _ in range(3):
            conn.request("GET", "/_emulator/stats")
            self.assertEqual(conn.getresponse().read()[:1], b"{")
        conn.close()
        st = C.control("GET", "stats")
        self.assertEqual((st["total"], st["connections"]), (3, 3 + 1 + 1))

    def test_stats_filters_and_reset(self):
        ok("DescribeImages", {"RegionId": "cn-beijing"})
        ok("DescribeImages", {"RegionId": "cn-beijing"}, sig=1)
        call("DescribeImages", {"RegionId": "cn-beijing"}, key="noperm")
        env = dict(os.environ, EMU_URL=C.url, EMU_CA=os.path.join(TMP, "ca.pem"))
        run = lambda *a: subprocess.run([sys.executable, os.path.join(HERE, "emuctl.py")] + list(a),
                                        env=env, capture_output=True, text=True, check=True).stdout
        self.assertEqual(run("stats", "--action", "DescribeImages", "--region", "cn-beijing"), "3\n")
        self.assertEqual(run("stats", "--region", "cn-beijing"), "3\n")
        self.assertEqual(run("stats"), "3\n")
        st = json.loads(run("stats-json"))
        self.assertEqual(st["signature"], {"acs3": 2, "rpc": 1})
        self.assertEqual(st["by_code"], {"Forbidden.RAM": 1})
        self.assertEqual(run("stats-reset"), "")
        self.assertEqual(run("stats"), "0\n")
        self.assertEqual(run("fault", '{"kind":"latency","ms":1}'), "")
        self.assertIn('"kind": "latency"', run("faults"))
        self.assertEqual(run("faults-clear"), "")
        lines = run("images", "--account", EMPTY).splitlines()
        self.assertEqual(lines, [])
        first = json.loads(run("images", "--account", OWNER, "--region", "cn-shenzhen").splitlines()[0])
        self.assertEqual((first["owner"], first["region"]), (OWNER, "cn-shenzhen"))
        self.assertEqual(run("reset"), "")

    def test_flags_on_a_second_server(self):
        other = Server(TMP, "--regions", "1", "--images-per-region", "2", "--qps-limit", "3",
                       "--page-size-max", "50", "--seed", "7")
        try:
            codes = [other.client.call("DescribeRegions")[1].get("Code") for _ in range(5)]
            self.assertEqual(codes[:3], [None] * 3)
            self.assertIn("Throttling.User", codes[3:])
            time.sleep(1.05)
            status, body = other.client.call("DescribeImages", {"RegionId": "cn-hangzhou", "PageSize": 51})
            self.assertEqual(body["Code"], "InvalidParameter")
            status, body = other.client.call("DescribeImages", {"RegionId": "cn-shanghai"})
            self.assertEqual(body["Code"], "InvalidRegionId.NotFound")
        finally:
            other.stop()
        other = Server(TMP, "--regions", "1", "--images-per-region", "0", "--clock-offset", "1200")
        try:
            self.assertEqual(other.client.call("DescribeRegions")[1]["Code"], "InvalidTimeStamp.Expired")
        finally:
            other.stop()
        other = Server(TMP, "--regions", "1", "--images-per-region", "0", "--error-rate", "0.5",
                       "--throttle-rate", "0.2")
        try:
            codes = [other.client.call("DescribeRegions")[1].get("Code") for _ in range(40)]
            self.assertTrue({"ServiceUnavailable", "InternalError"} & set(codes))
            self.assertIn("Throttling.User", codes)
            self.assertIn(None, codes)
        finally:
            other.stop()


# ---------------------------------------------------------------------------
# Lifecycle


def own_snapshot(region="cn-hangzhou", disk_type="system"):
    seed = C.control("GET", "seed")
    return [s["SnapshotId"] for s in seed["snapshots"] if s["OwnerId"] == OWNER and s["RegionId"] == region
            and s["SourceDiskType"] == disk_type and s["Status"] == "accomplished"][0]


def own_instance(status="Running", region="cn-hangzhou"):
    seed = C.control("GET", "seed")
    return [i for i in seed["instances"] if i["OwnerId"] == OWNER and i["RegionId"] == region
            and i["Status"] == status][0]


# ---------------------------------------------------------------------------
# Faults that shape the answer


def raw_api(action, params=None, key="owner", server=None):
    """A signed RPC GET over http.client (no redirects followed); returns
    (status, headers with lower-case names, body bytes)."""
    server = server or SERVER
    key_id, secret, token = emuctl.KEYS[key]
    version = "2019-06-01" if action in emuctl.OOS_ACTIONS else "2014-05-26"
    signed = emuctl.sign_rpc("GET", dict(params or {}, Action=action, Version=version),
                             key_id, secret, token)
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=server.client.context,
                                       timeout=30)
    try:
        conn.request("GET", "/?" + urllib.parse.urlencode(signed, quote_via=urllib.parse.quote))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class ShapeFaultTest(ApiTestCase):
    """respond, huge, deep, total_count, patch, bad_utf8."""

    def setUp(self):
        C.control("POST", "reset")

    def add(self, rule):
        return C.control("POST", "faults", rule)

    def test_rule_validation(self):
        bad = [{"kind": "respond", "body": "a", "body_b64": "YQ=="}, {"kind": "respond", "status": 99},
               {"kind": "respond", "status": "502"}, {"kind": "respond", "body": 5},
               {"kind": "respond", "body_b64": "not base64!"}, {"kind": "respond", "headers": []},
               {"kind": "respond", "headers": {"Content-Length": "3"}},
               {"kind": "respond", "headers": {"X-A": "a\r\nX-B: b"}},
               {"kind": "respond", "headers": {"bad name": "v"}}, {"kind": "respond", "ms": 5},
               {"kind": "huge"}, {"kind": "huge", "bytes": -1}, {"kind": "huge", "bytes": 10, "chunked": 1},
               {"kind": "deep", "depth": "9"}, {"kind": "total_count"},
               {"kind": "total_count", "value": 1, "delta": 1}, {"kind": "total_count", "value": 1.5},
               {"kind": "total_count", "delta": True}, {"kind": "patch"}, {"kind": "patch", "set": []},
               {"kind": "patch", "remove": "TotalCount"}, {"kind": "patch", "set": {"a..b": 1}},
               {"kind": "patch", "remove": [""]}, {"kind": "bad_utf8", "field": ""},
               {"kind": "bad_utf8", "field": 3}, {"kind": "huge", "bytes": 10, "count": 0},
               {"kind": "respond", "status": 204, "body": "x"}, {"kind": "deep", "depth": 5, "rate": 2}]
        for rule in bad:
            status, _, data = C.raw("POST", "/_emulator/faults", json.dumps(rule).encode())
            self.assertEqual(status, 400, rule)
            self.assertIn("error", json.loads(data))
        self.assertEqual(C.control("GET", "faults"), [])
        self.add({"kind": "patch", "action": "DescribeImages", "set": {"TotalCount": "many"}, "count": 2})
        listed = C.control("GET", "faults")[0]
        self.assertEqual((listed["kind"], listed["set"], listed["remove"], listed["count"]),
                         ("patch", {"TotalCount": "many"}, [], 2))

    def test_respond(self):
        self.add({"kind": "respond", "action": "DescribeRegions", "status": 502, "count": 1,
                  "headers": {"Content-Type": "text/html"}, "body": "<html><h1>502 Bad Gateway</h1></html>"})
        self.add({"kind": "respond", "action": "DescribeRegions", "status": 302, "count": 1,
                  "headers": {"Location": "https://evil.example.com/steal"}})
        self.add({"kind": "respond", "action": "DescribeRegions", "count": 1,
                  "body_b64": "eyJSZXF1ZXN0SWQiOiL/In0="})
        status, headers, data = raw_api("DescribeRegions")
        self.assertEqual((status, headers["content-type"], data),
                         (502, "text/html", b"<html><h1>502 Bad Gateway</h1></html>"))
        self.assertEqual(int(headers["content-length"]), len(data))
        self.assertNotIn("x-acs-request-id", headers)
        status, headers, data = raw_api("DescribeRegions")
        self.assertEqual((status, headers["location"], data), (302, "https://evil.example.com/steal", b""))
        status, headers, data = raw_api("DescribeRegions")
        self.assertEqual((status, headers["content-type"], data),
                         (200, "application/json;charset=utf-8", b'{"RequestId":"\xff"}'))
        self.assertEqual(raw_api("DescribeRegions")[0], 200)
        # The action does not run.
        self.add({"kind": "respond", "action": "CreateImage", "body": "{}", "count": 1})
        params = {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(), "ImageName": "never-made"}
        self.assertEqual(call("CreateImage", params), (200, {}))
        truth = C.control("GET", "images?account=%s&region=cn-hangzhou" % OWNER)
        self.assertNotIn("never-made", [i["ImageName"] for i in truth])
        # The first matching rule of the replacing group wins and is sent as
        # given: a malformed rule is left for the next request.
        self.add({"kind": "respond", "body": "x", "count": 1})
        self.add({"kind": "throttle", "count": 1})
        self.add({"kind": "malformed", "count": 1})
        self.assertEqual(raw_api("DescribeRegions")[2], b"x")
        self.assertEqual([r["kind"] for r in C.control("GET", "faults")], ["throttle", "malformed"])
        status, _, data = raw_api("DescribeRegions")
        self.assertEqual(status, 200)                # half of the Throttling.User envelope
        self.assertTrue(data.startswith(b'{"RequestId":"'))
        with self.assertRaises(ValueError):
            json.loads(data)
        self.assertEqual(C.control("GET", "stats")["faults"], {"respond": 5, "throttle": 1, "malformed": 1})
        # Through emuctl, as the pg_regress tests do.
        env = dict(os.environ, EMU_URL=C.url, EMU_CA=os.path.join(TMP, "ca.pem"))
        run = lambda *a: subprocess.run([sys.executable, os.path.join(HERE, "emuctl.py")] + list(a),
                                        env=env, capture_output=True, text=True)
        done = run("fault", '{"kind":"respond","status":502,"body":"<html></html>",'
                            '"headers":{"Content-Type":"text/html"},"count":1}')
        self.assertEqual((done.returncode, done.stdout, done.stderr), (0, "", ""))
        done = run("call", "DescribeRegions")
        self.assertEqual((done.returncode, done.stdout, done.stderr),
                         (1, "", "emuctl: HTTP 502, the answer is not JSON (13 bytes)\n"))
        done = run("fault", '{"kind":"respond","body":"a","body_b64":"YQ=="}')
        self.assertEqual((done.returncode, done.stderr), (1, "emuctl: give body or body_b64, not both\n"))

    def test_huge(self):
        n = 5 * 1024 * 1024 + 7
        prefix = b'{"RequestId":"'
        self.add({"kind": "huge", "bytes": n, "count": 1})
        status, headers, data = raw_api("DescribeRegions")
        self.assertEqual((status, int(headers["content-length"]), len(data)), (200, n, n))
        self.assertTrue(data.startswith(prefix))
        self.assertEqual(data[14:50].decode(), headers["x-acs-request-id"])
        self.assertTrue(data[50:].startswith(b'","Pad":"xxx'))
        self.assertEqual(data.count(b"x"), n - len(b'{"RequestId":"%s","Pad":"' % data[14:50]))
        self.add({"kind": "huge", "bytes": n, "chunked": True, "count": 1})
        status, headers, data = raw_api("DescribeRegions")
        self.assertEqual((status, headers.get("transfer-encoding"), len(data)), (200, "chunked", n))
        self.assertNotIn("content-length", headers)
        self.assertTrue(data.startswith(prefix) and data.endswith(b"xxx"))
        # A client that gives up early (stderr stays clean: see HygieneTest).
        self.add({"kind": "huge", "bytes": 1 << 30, "count": 1})
        conn = http.client.HTTPSConnection("127.0.0.1", SERVER.port, context=C.context, timeout=30)
        key_id, secret, _ = emuctl.KEYS["owner"]
        conn.request("GET", "/?" + urllib.parse.urlencode(emuctl.sign_rpc(
            "GET", {"Action": "DescribeRegions", "Version": "2014-05-26"}, key_id, secret)))
        r = conn.getresponse()
        self.assertEqual(len(r.read(100000)), 100000)
        conn.close()
        self.assertEqual(call("DescribeRegions")[0], 200)
        deadline = time.time() + 5
        while C.control("GET", "stats")["in_flight"] and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(C.control("GET", "stats")["faults"], {"huge": 3})

    def test_deep(self):
        self.add({"kind": "deep", "depth": 40, "count": 1})
        status, headers, data = raw_api("DescribeImages", {"RegionId": "cn-hangzhou"})
        doc = json.loads(data)
        self.assertEqual((status, doc["RequestId"], doc["TotalCount"], doc["PageSize"]),
                         (200, headers["x-acs-request-id"], 1, 10))
        node, depth = doc["Images"]["Image"], 0
        while node:
            node, depth = node[0], depth + 1
        self.assertEqual(depth, 40)
        self.add({"kind": "deep", "depth": 200000, "count": 1})
        status, headers, data = raw_api("DescribeImages", {"RegionId": "cn-hangzhou"})
        head = b'{"RequestId":"%s","TotalCount":1,"PageNumber":1,"PageSize":10,"Images":{"Image":[' \
            % headers["x-acs-request-id"].encode()
        self.assertEqual(data, head + b"[" * 200000 + b"]" * 200000 + b"]}}")
        with self.assertRaises(RecursionError):
            json.loads(data)

    def test_total_count(self):
        real = ok("DescribeImages", {"RegionId": "cn-beijing"})
        self.add({"kind": "total_count", "action": "DescribeImages", "value": 1000, "count": 1})
        self.add({"kind": "total_count", "action": "DescribeImages", "region": "cn-beijing",
                  "delta": -2, "count": 1})
        self.add({"kind": "total_count", "action": "DescribeRegions", "value": 5, "count": 1})
        body = ok("DescribeImages", {"RegionId": "cn-beijing"})
        self.assertEqual(body["TotalCount"], 998)     # value 1000, then delta -2, in rule order
        self.assertEqual(body["Images"], real["Images"])
        self.assertNotIn("TotalCount", ok("DescribeRegions"))
        # A rule is used up only by an answer it changes.
        self.assertEqual([(r["action"], r["hits"]) for r in C.control("GET", "faults")],
                         [("DescribeRegions", 0)])
        C.control("POST", "faults/clear")
        self.assertEqual(ok("DescribeImages", {"RegionId": "cn-beijing"})["TotalCount"], real["TotalCount"])
        # A failed action is not rewritten and does not use the rule up.
        self.add({"kind": "total_count", "action": "DescribeImages", "value": 7})
        self.assertError(call("DescribeImages", {"RegionId": "cn-beijing", "PageSize": 0}), "InvalidParameter")
        self.assertEqual(C.control("GET", "faults")[0]["hits"], 0)
        self.assertEqual(ok("DescribeImages", {"RegionId": "cn-beijing"})["TotalCount"], 7)
        self.assertEqual(C.control("GET", "stats")["faults"], {"total_count": 3})

    def test_patch(self):
        real = ok("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.add({"kind": "patch", "count": 1, "set": {"Images.Image.0.ImageId": 42, "TotalCount": "many",
                                                       "Images.Image.-1.New": {"a": [1]},
                                                       "Images.Image.99.ImageId": "ignored",
                                                       "Nope.Deeper": 1}})
        body = ok("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.assertEqual((body["TotalCount"], body["Images"]["Image"][0]["ImageId"]), ("many", 42))
        self.assertEqual(body["Images"]["Image"][-1]["New"], {"a": [1]})
        self.assertEqual(body["Images"]["Image"][1:-1], real["Images"]["Image"][1:-1])
        self.assertNotIn("Nope", body)
        self.add({"kind": "patch", "count": 1, "remove": ["Images.Image.*.ImageId", "PageSize",
                                                          "Images.Image.*.Tags.Tag.0"]})
        body = ok("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.assertNotIn("PageSize", body)
        for got, want in zip(body["Images"]["Image"], real["Images"]["Image"]):
            self.assertNotIn("ImageId", got)
            if want.get("Tags", {}).get("Tag"):
                self.assertEqual(got["Tags"]["Tag"], want["Tags"]["Tag"][1:])
        self.add({"kind": "patch", "count": 1, "set": {"Images.Image": "not-a-list", "Images.*": None}})
        self.assertEqual(ok("DescribeImages", {"RegionId": "cn-hangzhou"})["Images"], {"Image": None})
        self.add({"kind": "patch", "count": 1, "remove": ["Images.Image.*"]})
        self.assertEqual(ok("DescribeImages", {"RegionId": "cn-hangzhou"})["Images"], {"Image": []})
        # With malformed after it: the patched answer, cut in half.
        self.add({"kind": "patch", "count": 1, "set": {"TotalCount": -1}})
        self.add({"kind": "malformed", "count": 1})
        status, _, data = raw_api("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.assertEqual(status, 200)
        self.assertIn(b'"TotalCount":-1', data)
        with self.assertRaises(ValueError):
            json.loads(data)
        self.add({"kind": "patch", "count": 1, "set": {"No.Such": 1}, "remove": ["Nor.This", "Neither"]})
        self.assertEqual(call("DescribeRegions")[0], 200)
        self.assertEqual(C.control("GET", "faults")[0]["hits"], 0)       # nothing changed
        self.assertEqual(C.control("GET", "stats")["faults"], {"malformed": 1, "patch": 5})

    def test_bad_utf8(self):
        real_status, _, real = raw_api("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.add({"kind": "bad_utf8", "count": 1})
        status, _, data = raw_api("DescribeImages", {"RegionId": "cn-hangzhou"})
        self.assertEqual(status, 200)
        self.assertEqual(data.count(b"\xff\xfe\xc3"), 1)
        self.assertIn(b'"ImageName":"\xff\xfe\xc3', data)
        with self.assertRaises(UnicodeDecodeError):
            data.decode("utf-8")
        fixed = json.loads(data.replace(b"\xff\xfe\xc3", b""))
        self.assertEqual(fixed["Images"], json.loads(real)["Images"])
        # The first *string* value; a patch goes first; no such member: unchanged.
        self.add({"kind": "bad_utf8", "field": "ImageName", "count": 1})
        self.add({"kind": "patch", "set": {"Images.Image.0.ImageName": 7}, "count": 1})
        data = raw_api("DescribeImages", {"RegionId": "cn-hangzhou"})[2]
        doc = json.loads(data.replace(b"\xff\xfe\xc3", b""))
        self.assertIn(b'"ImageName":"\xff\xfe\xc3' + doc["Images"]["Image"][1]["ImageName"].encode(), data)
        self.add({"kind": "bad_utf8", "field": "LocalName", "count": 1})
        self.assertIn(b'"LocalName":"\xff\xfe\xc3China (Hangzhou)"',
                      raw_api("DescribeRegions", {"AcceptLanguage": "en-US"})[2])
        self.add({"kind": "bad_utf8", "field": "NoSuchField", "count": 1})
        json.loads(raw_api("DescribeRegions")[2].decode("utf-8"))
        self.assertEqual([r["field"] for r in C.control("GET", "faults")], ["NoSuchField"])
        C.control("POST", "faults/clear")
        # Error answers are not rewritten.
        self.add({"kind": "bad_utf8", "field": "Code", "count": 1})
        self.assertError(call("DescribeImages", {"RegionId": "cn-hangzhou", "PageSize": 0}), "InvalidParameter")
        self.assertEqual(C.control("GET", "faults")[0]["hits"], 0)
        self.assertEqual(C.control("GET", "stats")["faults"], {"bad_utf8": 3, "patch": 1})


class HygieneTest(unittest.TestCase):
    def test_no_secret_in_log_or_stderr(self):
        log = os.path.join(TMP, "hygiene.log")
        other = Server(TMP, "--regions", "1", "--images-per-region", "2", "--log", log)
        try:
            c = other.client
            for key in emuctl.KEYS:
                c.call("DescribeImages", {"RegionId": "cn-hangzhou"}, key=key, sig=1)
                c.call("DescribeImages", {"RegionId": "cn-hangzhou"}, key=key, sig=3)
            key_id, secret, token = emuctl.KEYS["sts"]
            p = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                                key_id, secret, token + "-wrong")
            p["RegionId"] = token               # a token where a logged value goes
            c.raw("GET", "/?" + urllib.parse.urlencode(p))
            p = emuctl.sign_rpc("GET", {"Action": "DescribeRegions", "Version": "2014-05-26"},
                                key_id, secret, token)
            p["Signature"] = "AAAA" + p["Signature"][4:]
            c.raw("GET", "/?" + urllib.parse.urlencode(p))
            # A client that hangs up in the middle of a huge answer.
            c.control("POST", "faults", {"kind": "huge", "bytes": 1 << 30, "chunked": True, "count": 1})
            conn = http.client.HTTPSConnection("127.0.0.1", other.port, context=c.context, timeout=30)
            conn.request("GET", "/?" + urllib.parse.urlencode(emuctl.sign_rpc(
                "GET", {"Action": "DescribeRegions", "Version": "2014-05-26"}, *emuctl.KEYS["owner"][:2])))
            conn.getresponse().read(50000)
            conn.close()
            deadline = time.time() + 5
            while c.control("GET", "stats")["in_flight"] and time.time() < deadline:
                time.sleep(0.02)
        finally:
            other.stop()
        with open(log, encoding="utf-8") as f:
            logged = f.read()
        stderr = other.stderr_text
        self.assertEqual(len(logged.splitlines()), 2 * len(emuctl.KEYS) + 3)
        self.assertIn('"fault": "huge"', logged)
        self.assertEqual(stderr.count("\n"), 1, stderr)      # the listening line only
        for key_id, secret, token in emuctl.KEYS.values():
            for s in filter(None, (secret, token, token and token + "-wrong")):
                self.assertNotIn(s, logged)
                self.assertNotIn(s, stderr)


class LifecycleTest(ApiTestCase):
    def setUp(self):
        C.control("POST", "reset")

    def available_own(self, region="cn-hangzhou", usage="none", shared=False):
        truth = C.control("GET", "images?account=%s&region=%s" % (OWNER, region))
        return [i for i in truth if i["Status"] == "Available" and bool(i["shared_with"]) == shared
                and (usage is None or i["Usage"] == usage)][0]

    def test_create_image_lifecycle_and_client_token(self):
        params = {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(), "ImageName": "web-new-2026.11",
                  "Description": "created by the self-test", "ClientToken": "ct-1",
                  "Tag.1.Key": "env", "Tag.1.Value": "test"}
        image_id = ok("CreateImage", params)["ImageId"]
        first = images(ImageId=image_id, Status=ALL)[0]
        self.assertEqual((first["Status"], first["ImageOwnerAlias"]), ("Creating", "self"))
        self.assertEqual(images(ImageId=image_id), [])          # default Status hides it
        self.assertEqual(ok("CreateImage", params)["ImageId"], image_id)
        self.assertError(call("CreateImage", dict(params, Description="different")),
                         "IdempotentParameterMismatch", 400)
        done = wait_image(image_id)
        self.assertEqual((done["Status"], done["Progress"]), ("Available", "100%"))
        self.assertEqual(done["Tags"]["Tag"], [{"TagKey": "env", "TagValue": "test"}])
        del params["ClientToken"]
        self.assertError(call("CreateImage", params), "InvalidImageName.Duplicated", 400)
        inst = own_instance()
        from_instance = ok("CreateImage", {"RegionId": "cn-hangzhou", "InstanceId": inst["InstanceId"]})
        self.assertEqual(images(ImageId=from_instance["ImageId"], Status=ALL)[0]["OSType"], inst["OSType"])
        self.assertError(call("CreateImage", {"RegionId": "cn-hangzhou",
                                              "InstanceId": own_instance("Starting")["InstanceId"]}),
                         "IncorrectInstanceStatus", 400)
        self.assertError(call("CreateImage", {"RegionId": "cn-hangzhou"}), "MissingParameter", 400)
        for bad in ("1abc", "a", "aliyun-x", "acs:x", "x" * 129, "has space", "http://x"):
            self.assertError(call("CreateImage", {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(),
                                                  "ImageName": bad}), "InvalidImageName.Malformed", 400)
        self.assertError(call("CreateImage", {"RegionId": "cn-hangzhou", "SnapshotId": "s-nope"}),
                         "InvalidSnapshotId.NotFound", 404)
        self.assertError(call("CreateImage", {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(disk_type="data")}),
                         "OperationDenied", 403)
        mapped = ok("CreateImage", {"RegionId": "cn-hangzhou", "DiskDeviceMapping.1.SnapshotId": own_snapshot(),
                                    "DiskDeviceMapping.2.Size": "100", "DiskDeviceMapping.2.DiskType": "data"})
        disks = images(ImageId=mapped["ImageId"], Status=ALL)[0]["DiskDeviceMappings"]["DiskDeviceMapping"]
        self.assertEqual([(d["Device"], d["Type"]) for d in disks], [("/dev/xvda", "system"), ("/dev/xvdb", "data")])

    def test_failures_on_purpose(self):
        failing = ok("CreateImage", {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(),
                                     "ImageName": "bad-emu-fail-1"})["ImageId"]
        C.control("POST", "faults", {"kind": "create_failed", "action": "CreateImage"})
        faulted = ok("CreateImage", {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(),
                                     "ImageName": "ok-name-1"})["ImageId"]
        fine = ok("CreateImage", {"RegionId": "cn-hangzhou", "SnapshotId": own_snapshot(),
                                  "ImageName": "ok-name-2"})["ImageId"]
        self.assertEqual(wait_image(failing)["Status"], "CreateFailed")
        self.assertEqual(wait_image(faulted)["Status"], "CreateFailed")
        self.assertEqual(wait_image(fine)["Status"], "Available")

    def test_copy_and_cancel(self):
        src = self.available_own()
        params = {"RegionId": "cn-hangzhou", "ImageId": src["ImageId"], "DestinationRegionId": "cn-beijing",
                  "DestinationImageName": "copied-1", "ClientToken": "copy-1"}
        copy_id = ok("CopyImage", params)["ImageId"]
        self.assertTrue(copy_id.startswith("m-2ze"))
        self.assertEqual(ok("CopyImage", params)["ImageId"], copy_id)
        self.assertError(call("CopyImage", dict(params, ClientToken="copy-2", DestinationImageName="copied-2")),
                         "OperationDenied.ImageCopyConflict", 400)
        self.assertError(call("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": src["ImageId"]}),
                         "OperationDenied.ImageCopying", 403)
        copy = images("cn-beijing", ImageId=copy_id, Status=ALL)[0]
        self.assertEqual((copy["Status"], copy["IsCopied"]), ("Creating", True))
        self.assertError(call("CancelCopyImage", {"RegionId": "cn-hangzhou", "ImageId": src["ImageId"]}),
                         "ImageCreatedNotFromCopy", 400)
        ok("CancelCopyImage", {"RegionId": "cn-beijing", "ImageId": copy_id})
        self.assertEqual(images("cn-beijing", ImageId=copy_id, Status=ALL), [])
        again = ok("CopyImage", dict(params, ClientToken="copy-3", DestinationImageName="copied-3"))["ImageId"]
        self.assertEqual(wait_image(again, "cn-beijing")["Status"], "Available")
        self.assertError(call("CancelCopyImage", {"RegionId": "cn-beijing", "ImageId": again}),
                         "IncorrectImageStatus", 400)
        body = self.assertError(call("CopyImage", dict(params, ClientToken="copy-4", DestinationImageName="copied-3")),
                                "InvalidImageName.Duplicated", 400)
        self.assertEqual(body["Message"], "The specified image name is already in use in the target region.")
        self.assertError(call("CopyImage", dict(params, ClientToken=None, DestinationRegionId="cn-hangzhou")),
                         "IncorrectDestinationRegion", 403)
        self.assertError(call("CopyImage", dict(params, ClientToken="k", KMSKeyId="key-1")),
                         "InvalidParameter.EncryptedIllegal", 400)
        not_available = [i for i in C.control("GET", "images?account=%s&region=cn-hangzhou" % OWNER)
                         if i["Status"] == "Deprecated"][0]
        self.assertError(call("CopyImage", {"RegionId": "cn-hangzhou", "ImageId": not_available["ImageId"],
                                            "DestinationRegionId": "cn-beijing"}), "IncorrectImageStatus", 400)
        # Only the owner may copy: the peer gets NotFound even for an image shared with it.
        shared = self.available_own(usage=None, shared=True)
        self.assertError(call("CopyImage", {"RegionId": "cn-hangzhou", "ImageId": shared["ImageId"],
                                            "DestinationRegionId": "cn-beijing"}, key="peer"),
                         "InvalidImageId.NotFound", 404)

    def test_share_rules(self):
        img = self.available_own()
        rid = {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"]}
        ok("ModifyImageSharePermission", dict(rid, **{"AddAccount.1": PEER}))
        seen = images(key="peer", ImageOwnerAlias="others", ImageId=img["ImageId"])
        self.assertEqual(seen[0]["ImageOwnerAlias"], "others")
        perm = ok("DescribeImageSharePermission", rid)
        self.assertEqual([a["AliyunId"] for a in perm["Accounts"]["Account"]], [PEER])
        self.assertError(call("DescribeImageSharePermission", rid, key="peer"), "InvalidImageId.NotFound", 404)
        self.assertError(call("ModifyImageSharePermission", dict(rid, **{"AddAccount.1": OWNER})),
                         "InvalidAccount.Forbbiden", 404)
        self.assertError(call("ModifyImageSharePermission", dict(rid, **{"AddAccount.1": "9999999999999999"})),
                         "InvalidAccount.NotFound", 404)
        self.assertError(call("ModifyImageSharePermission", dict(rid, **{"AddAccount.1": EMPTY}), key="peer"),
                         "InvalidImageId.NotFound", 404)
        directory = DIRECTORY_ACCOUNTS
        twelve = {"AddAccount.%d" % n: directory[n] for n in range(1, 13)}
        ok("ModifyImageSharePermission", dict(rid, **twelve))
        perm = ok("DescribeImageSharePermission", dict(rid, PageSize=100))
        self.assertEqual(perm["TotalCount"], 11)              # PEER + the first 10 only
        for batch in range(4):                                # 11 + 10 + 10 + 10 + 9 = 50
            ok("ModifyImageSharePermission", dict(rid, **{"AddAccount.%d" % (n + 1): directory[20 + batch * 10 + n]
                                                          for n in range(10 if batch < 3 else 9)}))
        self.assertEqual(ok("DescribeImageSharePermission", rid)["TotalCount"], 50)
        self.assertError(call("ModifyImageSharePermission", dict(rid, **{"AddAccount.1": directory[199]})),
                         "QuotaExceed.ShareImageUser", 403)
        self.assertError(call("ModifyImageAttribute", dict(rid, Status="Deprecated")), "ImageUseShared", 403)
        self.assertError(call("DeleteImage", rid), "ImageUseShared", 403)
        deprecated = [i for i in C.control("GET", "images?account=%s&region=cn-hangzhou" % OWNER)
                      if i["Status"] == "Deprecated"][0]
        self.assertError(call("ModifyImageSharePermission", {"RegionId": "cn-hangzhou", "ImageId": deprecated["ImageId"],
                                                             "AddAccount.1": PEER}),
                         "OperationDenied.InvalidImageStatus", 403)

    def test_modify_and_delete(self):
        img = self.available_own()
        rid = {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"]}
        ok("ModifyImageAttribute", dict(rid, ImageName="renamed-1", Description="new words", BootMode="UEFI"))
        got = images(ImageId=img["ImageId"])[0]
        self.assertEqual((got["ImageName"], got["Description"], got["BootMode"]), ("renamed-1", "new words", "UEFI"))
        self.assertEqual(list(got), [k for k in FIELD_ORDER if k in got])
        ok("ModifyImageAttribute", dict(rid, Status="Deprecated"))
        self.assertEqual(images(ImageId=img["ImageId"]), [])
        self.assertEqual(images(ImageId=img["ImageId"], Status="Deprecated")[0]["Status"], "Deprecated")
        ok("ModifyImageAttribute", dict(rid, Status="Available"))
        other = [i for i in C.control("GET", "images?account=%s&region=cn-hangzhou" % OWNER)
                 if i["ImageId"] != img["ImageId"]][0]
        self.assertError(call("ModifyImageAttribute", dict(rid, ImageName=other["ImageName"])),
                         "InvalidImageName.Duplicated", 400)
        self.assertError(call("ModifyImageAttribute", dict(rid, Description="h")), "InvalidDescription.Malformed", 400)
        self.assertError(call("ModifyImageAttribute", dict(rid, Status="Gone")), "InvalidParameter", 400)
        self.assertError(call("ModifyImageAttribute", rid, key="peer"), "InvalidImageId.NotFound", 404)
        ok("DeleteImage", rid)
        self.assertError(call("DeleteImage", rid), "InvalidImageId.NotFound", 404)
        used = self.available_own(usage="instance")
        self.assertError(call("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": used["ImageId"]}),
                         "ImageUsingByInstance", 403)
        ok("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": used["ImageId"], "Force": "true"})

    def test_import_export_tasks(self):
        bucket = "emu-cn-hangzhou-images"
        imp = ok("ImportImage", {"RegionId": "cn-hangzhou", "DiskDeviceMapping.1.OSSBucket": bucket,
                                 "DiskDeviceMapping.1.OSSObject": "images/ubuntu-22.04.qcow2",
                                 "ImageName": "imported-1", "ClientToken": "imp-1"})
        self.assertEqual(set(imp), {"RequestId", "ImageId", "TaskId", "RegionId"})
        self.assertError(call("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": imp["ImageId"]}),
                         "ImageIsImporting", 403)
        task = ok("DescribeTaskAttribute", {"RegionId": "cn-hangzhou", "TaskId": imp["TaskId"]})
        self.assertEqual((task["TaskAction"], task["TaskStatus"]), ("ImportImage", "Processing"))
        self.assertEqual(wait_image(imp["ImageId"])["Status"], "Available")
        task = ok("DescribeTaskAttribute", {"RegionId": "cn-hangzhou", "TaskId": imp["TaskId"]})
        self.assertEqual((task["TaskStatus"], task["TaskProcess"]), ("Finished", "100%"))
        body = self.assertError(call("ImportImage", {"RegionId": "cn-hangzhou", "DiskDeviceMapping.1.OSSBucket": bucket,
                                                     "DiskDeviceMapping.1.OSSObject": "images/ubuntu-22.04.qcow2",
                                                     "ImageName": "imported-1"}),
                                "InvalidImageName.Duplicated", 400)
        self.assertEqual(body["Message"], "The specified image name is already in use.")
        for key, value, code in (("DiskDeviceMapping.1.OSSObject", "images/missing.qcow2", "InvalidOSSObject.NotFound"),
                                 ("DiskDeviceMapping.1.OSSObject", "images/notes.txt", "UnsupportedSuffix.OSSObject"),
                                 ("DiskDeviceMapping.1.OSSObject", "images/empty.qcow2", "InvalidOSSObject.Size"),
                                 ("DiskDeviceMapping.1.OSSBucket", "emu-cn-beijing-images", "InvalidOSSBucket.NotMatched"),
                                 ("DiskDeviceMapping.1.OSSBucket", "no-bucket", "InvalidOSSBucket.NotFound")):
            params = {"RegionId": "cn-hangzhou", "DiskDeviceMapping.1.OSSBucket": bucket,
                      "DiskDeviceMapping.1.OSSObject": "images/win2022.vhd", key: value}
            self.assertError(call("ImportImage", params), code, 400)
        self.assertError(call("ImportImage", {"RegionId": "cn-hangzhou"}), "MissingParameter", 400)

        img = self.available_own()
        exp = ok("ExportImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"], "OSSBucket": bucket,
                                 "OSSPrefix": "demo", "ImageFormat": "qcow2"})
        self.assertError(call("ExportImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"],
                                              "OSSBucket": bucket}), "ImageIsExporting", 403)
        self.assertError(call("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"]}),
                         "ImageIsExporting", 403)
        self.assertError(call("ExportImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"],
                                              "OSSBucket": bucket, "OSSPrefix": "bad-prefix"}),
                         "InvalidOSSPrefix.Malformed", 400)
        # an export waits in a queue first, then runs
        listed = ok("DescribeTasks", {"RegionId": "cn-hangzhou", "TaskIds": exp["TaskId"]})
        self.assertEqual(listed["TaskSet"]["Task"][0]["TaskStatus"], "Waiting")
        self.assertEqual(listed["TaskSet"]["Task"][0]["SupportCancel"], "true")
        deadline = time.time() + 10
        while ok("DescribeTaskAttribute", {"RegionId": "cn-hangzhou", "TaskId": exp["TaskId"]})["TaskStatus"] == "Waiting":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        deadline = time.time() + 10
        while ok("DescribeTaskAttribute", {"RegionId": "cn-hangzhou", "TaskId": exp["TaskId"]})["TaskStatus"] != "Finished":
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        attr = ok("DescribeTaskAttribute", {"RegionId": "cn-hangzhou", "TaskId": exp["TaskId"]})
        items = {i["Name"]: i["Value"] for i in
                 attr["OperationProgressSet"]["OperationProgress"][0]["RelatedItemSet"]["RelatedItem"]}
        self.assertEqual(items["OSSObject"], "demo_%s_%s.qcow2" % (img["ImageId"], exp["TaskId"]))
        self.assertIn(items["OSSObject"], C.control("GET", "seed")["buckets"][bucket]["objects"])
        exp2 = ok("ExportImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"], "OSSBucket": bucket})
        ok("CancelTask", {"RegionId": "cn-hangzhou", "TaskId": exp2["TaskId"]})
        self.assertError(call("CancelTask", {"RegionId": "cn-hangzhou", "TaskId": exp2["TaskId"]}),
                         "InvalidTaskId.IncorrectTaskStatus", 403)
        ok("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"]})
        everything = ok("DescribeTasks", {"RegionId": "cn-hangzhou", "PageSize": 100})
        self.assertGreaterEqual(everything["TotalCount"], 5)
        finished = ok("DescribeTasks", {"RegionId": "cn-hangzhou", "TaskStatus": "Failed"})
        self.assertTrue(all(t["TaskStatus"] == "Failed" for t in finished["TaskSet"]["Task"]))
        self.assertError(call("DescribeTaskAttribute", {"RegionId": "cn-hangzhou", "TaskId": "t-nope"}),
                         "InvalidTaskId.NotFound", 400)

    def test_oos_update_image(self):
        src = self.available_own()
        params = {"sourceImageId": src["ImageId"], "instanceType": "ecs.g7.large",
                  "commandContent": "yum -y update", "targetImageName": "updated-by-oos-1"}
        start = {"RegionId": "cn-hangzhou", "TemplateName": "ACS-ECS-UpdateImage", "Mode": "Automatic",
                 "SafetyCheck": "Skip", "Parameters": json.dumps(params), "ClientToken": "oos-1"}
        ex = ok("StartExecution", start, form=True)["Execution"]
        self.assertTrue(ex["ExecutionId"].startswith("exec-"))
        self.assertIn(ex["Status"], ("Started", "Running"))
        self.assertIsInstance(ex["Parameters"], str)
        self.assertEqual(ok("StartExecution", start, sig=1, form=True)["Execution"]["ExecutionId"], ex["ExecutionId"])
        failing = ok("StartExecution", dict(start, ClientToken="oos-2", Parameters=json.dumps(
            dict(params, commandContent="set -e\nexit 1", targetImageName="never-made"))))["Execution"]
        deadline = time.time() + 15
        while True:
            listed = ok("ListExecutions", {"RegionId": "cn-hangzhou", "ExecutionId": ex["ExecutionId"]})
            self.assertIsInstance(listed["Executions"], list)
            got = listed["Executions"][0]
            if got["Status"] in ("Success", "Failed", "Cancelled"):
                break
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)
        self.assertEqual(got["Status"], "Success", got)
        self.assertIsInstance(got["Parameters"], dict)
        image_id = json.loads(got["Outputs"])["imageId"]
        made = images(ImageId=image_id)[0]
        self.assertEqual(made["ImageName"], "updated-by-oos-1")
        bad = ok("ListExecutions", {"RegionId": "cn-hangzhou", "ExecutionId": failing["ExecutionId"]})["Executions"][0]
        self.assertEqual(bad["Status"], "Failed")
        self.assertIn("runCommand", bad["StatusMessage"])
        self.assertEqual(ok("ListExecutions", {"RegionId": "cn-hangzhou", "ExecutionId": "exec-none"})["Executions"], [])
        self.assertError(call("StartExecution", dict(start, TemplateName="ACS-Nope", ClientToken="x")),
                         "EntityNotExists.Template", 404)
        self.assertError(call("StartExecution", dict(start, ClientToken="oos-1", Mode="Debug")),
                         "IdempotentParameterMismatch", 400)
        running = ok("StartExecution", dict(start, ClientToken="oos-3", Parameters=json.dumps(
            dict(params, targetImageName="cancelled-1"))))["Execution"]
        ok("CancelExecution", {"RegionId": "cn-hangzhou", "ExecutionId": running["ExecutionId"]})
        got = ok("ListExecutions", {"RegionId": "cn-hangzhou", "ExecutionId": running["ExecutionId"]})
        self.assertEqual(got["Executions"][0]["Status"], "Cancelled")
        self.assertEqual(ok("ListExecutions", {"RegionId": "cn-hangzhou"}, key="peer")["Executions"], [])
        self.assertError(call("CancelExecution", {"RegionId": "cn-hangzhou", "ExecutionId": "exec-x"}),
                         "EntityNotExists.Execution", 404)


# ---------------------------------------------------------------------------
# The official npm SDKs (optional: set ECS_SDK_NODE_PATH to a node_modules
# directory holding @alicloud/ecs20140526, @alicloud/openapi-client and
# @alicloud/pop-core)


@unittest.skipUnless(os.environ.get("ECS_SDK_NODE_PATH") and shutil.which("node"),
                     "ECS_SDK_NODE_PATH is not set or node is missing")
class SdkTest(unittest.TestCase):
    def test_official_sdk_requests_pass(self):
        C.control("POST", "reset")
        truth = C.control("GET", "images?account=%s&region=cn-hangzhou" % OWNER)
        image = [i for i in truth if i["Status"] == "Available" and not i["shared_with"]][0]["ImageId"]
        env = dict(os.environ, NODE_PATH=os.environ["ECS_SDK_NODE_PATH"],
                   NODE_EXTRA_CA_CERTS=os.path.join(TMP, "ca.pem"))
        run = subprocess.run(["node", os.path.join(HERE, "sdk_check.js"), "127.0.0.1:%d" % SERVER.port,
                              own_snapshot(), image], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("all SDK calls behaved", run.stdout)


# ---------------------------------------------------------------------------
# Seed determinism and scale (in process)


class ExtraAccountsTest(unittest.TestCase):
    """--extra-accounts: more keyed accounts with images of their own; the
    fixed accounts' data stays the same, and stats count by account."""

    def test_extra_accounts(self):
        plain = Server(TMP, "--regions", "2", "--images-per-region", "4", "--seed", "7")
        more = Server(TMP, "--regions", "2", "--images-per-region", "4", "--seed", "7",
                      "--extra-accounts", "3")
        try:
            before = plain.client.control("GET", "images")
            after = more.client.control("GET", "images")
            extra = [i for i in after if i["owner"].startswith("500000000000000")]
            self.assertEqual([i for i in after if i not in extra], before)
            self.assertEqual(len(extra), 3 * 2 * 4)
            c = more.client
            c.control("POST", "stats/reset")
            signed = emuctl.sign_rpc("GET", {"Action": "DescribeImages", "Version": "2014-05-26",
                                             "RegionId": "cn-shanghai", "ImageOwnerAlias": "self"},
                                     "LTAI5tEmuAcct00000000003", "emu-acct-secret-0003")
            status, _, body = c.raw("GET", "/?" + urllib.parse.urlencode(signed))
            self.assertEqual(status, 200)
            found = json.loads(body)["Images"]["Image"]
            self.assertEqual(len(found), 4)
            self.assertTrue(all(i["ImageOwnerId"] == 5000000000000003 for i in found))
            c.call("DescribeRegions", {}, key="owner")
            self.assertEqual(c.control("GET", "stats")["by_account"],
                             {"1234567890123456": 1, "5000000000000003": 1})
        finally:
            plain.stop()
            more.stop()
        self.assertNotIn("emu-acct-secret", more.stderr_text)


class SeedTest(unittest.TestCase):
    def test_same_seed_same_bytes(self):
        a = World("42", 3, 8, 1.0)
        b = World("42", 3, 8, 1.0)
        c = World("43", 3, 8, 1.0)
        dump = lambda w: json.dumps([w.truth(), w.seed_doc()], sort_keys=True)
        self.assertEqual(dump(a), dump(b))
        self.assertNotEqual(dump(a), dump(c))
        # A region's data does not depend on how many regions are seeded.
        d = World("42", 1, 8, 1.0)
        self.assertEqual(json.dumps(d.truth(region="cn-hangzhou")), json.dumps(a.truth(region="cn-hangzhou")))

    def test_scale(self):
        # 24 regions of 1,000 images each seed and page (how fast is for
        # test/bench to print, not for a test to assert)
        world = World("1", 24, 1000, 3.0)
        api = Api(world, None, 100)
        req = fake_request("POST", [("RegionId", "ap-southeast-1"), ("PageSize", "100"), ("PageNumber", "3"),
                                    ("Status", ALL)])
        first = dump_json(api.DescribeImages(req, OWNER))
        body = dump_json(api.DescribeImages(req, OWNER))    # from the per-image JSON cache
        self.assertEqual(body, first)
        self.assertEqual(len(json.loads(body)["Images"]["Image"]), 100)


class RealisticSeedTest(unittest.TestCase):
    """--profile realistic: regions of different sizes and purposes."""

    def setUp(self):
        self.world = World("2026", 10, 400, 1.0, profile="realistic")

    def own(self, region):
        return [i for i in self.world.truth(account=OWNER, region=region)]

    def test_deterministic(self):
        dump = lambda w: json.dumps([w.truth(), w.seed_doc()], sort_keys=True)
        self.assertEqual(dump(self.world), dump(World("2026", 10, 400, 1.0, profile="realistic")))
        self.assertNotEqual(dump(self.world), dump(World("2027", 10, 400, 1.0, profile="realistic")))
        # a region's data does not depend on how many regions are seeded
        small = World("2026", 2, 400, 1.0, profile="realistic")
        self.assertEqual(json.dumps(small.truth(region="cn-shanghai")),
                         json.dumps(self.world.truth(region="cn-shanghai")))
        # and the default profile is what it was: the same data as without the option
        self.assertEqual(dump(World("7", 4, 12, 1.0)),
                         dump(World("7", 4, 12, 1.0, profile="default")))

    def test_region_sizes(self):
        sizes = {r: len(self.own(r)) for r in self.world.region_ids}
        self.assertEqual(max(sizes.values()), sizes["cn-hangzhou"])
        self.assertGreaterEqual(sizes["cn-hangzhou"], 390)
        self.assertEqual([r for r, n in sizes.items() if n == 0][:1], ["cn-qingdao"])
        small = [r for r, n in sizes.items() if 0 < n <= 40]
        self.assertGreaterEqual(len(small), 3, sizes)
        self.assertGreater(len(set(sizes.values())), 6, sizes)

    def test_production_region_looks_real(self):
        own = self.own("cn-hangzhou")
        statuses = {i["Status"] for i in own}
        self.assertEqual(statuses, {"Available", "Deprecated", "Creating", "Waiting",
                                    "CreateFailed", "UnAvailable"})
        families = {i["ImageFamily"] for i in own if i["ImageFamily"]}
        self.assertGreaterEqual(len(families), 10)
        # the newest build of every family is Available or still being built
        newest = {}
        for i in sorted(own, key=lambda i: i["CreationTime"], reverse=True):
            newest.setdefault(i["ImageFamily"], i)
        self.assertTrue(all(i["Status"] in ("Available", "Creating", "Waiting")
                            for f, i in newest.items() if f))
        # builds of a family are named after it and versioned
        for i in own:
            if i["ImageFamily"]:
                self.assertTrue(i["ImageName"].startswith(i["ImageFamily"] + "-"), i["ImageName"])
                self.assertTrue(i["ImageVersion"])
        names = [i["ImageName"] for i in own]
        self.assertEqual(len(names), len(set(names)))
        ages = sorted(i["CreationTime"] for i in own)
        self.assertLess(ages[0], "2024-07-01")
        self.assertGreater(ages[-1], "2026-10-01")
        tagged = [i for i in own if i.get("Tags", {}).get("Tag")]
        self.assertGreater(len(tagged), len(own) * 0.6)
        self.assertLess(len(tagged), len(own))      # and some one-off images are untagged
        teams = {t["TagValue"] for i in own for t in i["Tags"]["Tag"] if t["TagKey"] == "team"}
        self.assertGreaterEqual(len(teams), 5)
        self.assertTrue(any(i["shared_with"] for i in own))
        shared_in = self.world.truth(region="cn-hangzhou", visible_to=OWNER)
        self.assertTrue(any(i["owner"] == PEER for i in shared_in))

    def test_api_lists_it(self):
        api = Api(self.world, None, 100)
        req = fake_request("POST", [("RegionId", "cn-hangzhou"), ("PageSize", "100"),
                                    ("ImageOwnerAlias", "self"), ("Status", ALL)])
        self.assertEqual(api.DescribeImages(req, OWNER)["TotalCount"], len(self.own("cn-hangzhou")))
        req = fake_request("POST", [("RegionId", "cn-qingdao"), ("ImageOwnerAlias", "self"),
                                    ("Status", ALL)])
        self.assertEqual(api.DescribeImages(req, OWNER)["TotalCount"], 0)
        self.assertEqual(parse_args(["--profile", "realistic"]).profile, "realistic")


# ---------------------------------------------------------------------------
# STS (2015-04-01) and the instance metadata service

AUDITOR = "acs:ram::%s:role/image-auditor" % PEER
PEER_ADMIN = "acs:ram::%s:role/image-admin" % PEER
RRSA = "acs:ram::%s:role/rrsa-image-reader" % OWNER


def signed_call(action, params, key_id, secret, token=None, version="2014-05-26"):
    """An RPC call signed with any credentials (temporary ones included)."""
    signed = emuctl.sign_rpc("POST", dict(params, Action=action, Version=version),
                             key_id, secret, token)
    body = urllib.parse.urlencode(signed, quote_via=urllib.parse.quote).encode()
    status, _, data = C.raw("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
    return status, json.loads(data)


def unsigned_oidc(token, role=RRSA, provider=OIDC_PROVIDER_ARN, **extra):
    params = dict({"Action": "AssumeRoleWithOIDC", "Version": "2015-04-01", "Format": "JSON",
                   "Timestamp": emuctl.utc_now(), "RoleArn": role, "OIDCProviderArn": provider,
                   "OIDCToken": token, "RoleSessionName": "pod"}, **extra)
    body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
    status, _, data = C.raw("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
    return status, json.loads(data)


class StsTest(ApiTestCase):
    def tearDown(self):
        C.control("POST", "sts", {"duration_cap": 0, "instance_role": INSTANCE_ROLE,
                                  "hardened": True})

    def assume(self, role=AUDITOR, key="owner", **params):
        return call("AssumeRole", dict({"RoleArn": role, "RoleSessionName": "selftest"}, **params),
                    key=key)

    def test_assume_role_into_another_account(self):
        status, body = self.assume(ExternalId="emu-audit-2026", DurationSeconds="900")
        self.assertEqual(status, 200, body)
        cred = body["Credentials"]
        self.assertTrue(cred["AccessKeyId"].startswith("STS."))
        self.assertTrue(cred["AccessKeySecret"].startswith(ISSUED_SECRET_PREFIX))
        self.assertTrue(cred["SecurityToken"].startswith(ISSUED_TOKEN_PREFIX))
        expires = parse_iso(cred["Expiration"])
        self.assertAlmostEqual(expires - time.time(), 900, delta=5)
        self.assertEqual(body["AssumedRoleUser"]["Arn"],
                         "acs:ram::%s:assumed-role/image-auditor/selftest" % PEER)
        args = (cred["AccessKeyId"], cred["AccessKeySecret"], cred["SecurityToken"])
        status, got = signed_call("DescribeImages", {"RegionId": "cn-hangzhou", "PageSize": "100"}, *args)
        self.assertEqual(status, 200, got)
        self.assertEqual(sorted(i["ImageId"] for i in got["Images"]["Image"]),
                         sorted(i["ImageId"] for i in images(key="peer")))
        # the auditor is read-only
        self.assertError(signed_call("ModifyImageAttribute",
                                     {"RegionId": "cn-hangzhou", "ImageId": "m-x", "Description": "xx"},
                                     *args), "Forbidden.RAM", 403)
        status, who = signed_call("GetCallerIdentity", {}, *args, version="2015-04-01")
        self.assertEqual((who["AccountId"], who["IdentityType"]), (PEER, "AssumedRoleUser"), who)
        # and a role session may assume another role (chaining)
        status, chained = signed_call("AssumeRole", {"RoleArn": PEER_ADMIN, "RoleSessionName": "c2"},
                                      *args, version="2015-04-01")
        self.assertEqual(status, 403, chained)   # the read-only auditor may not call it
        self.assertEqual(chained["Code"], "NoPermission")
        self.assertIn("authorized by RAM", chained["Message"])

    def test_assume_role_errors(self):
        self.assertError(self.assume(), "NoPermission", 403)                  # no ExternalId
        self.assertError(self.assume(ExternalId="wrong-id"), "NoPermission", 403)
        self.assertError(self.assume(ExternalId="x y"), "InvalidParameter.ExternalId", 400)
        self.assertError(self.assume(role="acs:ram::%s:role/no-trust" % PEER), "NoPermission", 403)
        self.assertError(self.assume(role="acs:ram::%s:role/none" % PEER), "EntityNotExist.Role", 404)
        self.assertError(self.assume(role="arn:aws:iam::1:role/x"), "InvalidParameter.RoleArn", 400)
        self.assertError(self.assume(role=PEER_ADMIN, DurationSeconds="899"),
                         "InvalidParameter.DurationSeconds", 400)
        self.assertError(self.assume(role=PEER_ADMIN, DurationSeconds="3601"),
                         "InvalidParameter.DurationSeconds", 400)
        self.assertEqual(self.assume(role="acs:ram::%s:role/image-admin" % OWNER,
                                     DurationSeconds="43200")[0], 200)
        self.assertError(self.assume(role=PEER_ADMIN, RoleSessionName="a"),
                         "InvalidParameter.RoleSessionName", 400)
        self.assertError(self.assume(role=PEER_ADMIN, Policy="{not json"),
                         "InvalidParameter.PolicyGrammar", 400)
        self.assertEqual(self.assume(role=PEER_ADMIN, Policy='{"Version":"1","Statement":[]}')[0], 200)
        self.assertError(self.assume(role=PEER_ADMIN, key="noperm"), "NoPermission", 403)
        # STS is signed like any RPC call: a tampered request fails
        key_id, secret, _ = emuctl.KEYS["owner"]
        self.assertError(signed_call("AssumeRole", {"RoleArn": PEER_ADMIN, "RoleSessionName": "s"},
                                     key_id, secret + "x", version="2015-04-01"),
                         "SignatureDoesNotMatch", 400)

    def test_credentials_really_expire(self):
        C.control("POST", "sts", {"duration_cap": 1})
        status, body = self.assume(role=PEER_ADMIN)
        cred = body["Credentials"]
        args = (cred["AccessKeyId"], cred["AccessKeySecret"], cred["SecurityToken"])
        self.assertEqual(signed_call("DescribeRegions", {}, *args)[0], 200)
        self.assertError(signed_call("DescribeRegions", {}, args[0], args[1], "wrong-token"),
                         "InvalidSecurityToken.Malformed", 400)
        self.assertError(signed_call("DescribeRegions", {}, args[0], args[1]), "MissingSecurityToken", 400)
        time.sleep(1.2)
        self.assertError(signed_call("DescribeRegions", {}, *args), "InvalidSecurityToken.Expired", 400)

    def test_caller_identity(self):
        body = ok("GetCallerIdentity", key="peer")
        self.assertEqual((body["AccountId"], body["IdentityType"]), (PEER, "RAMUser"))
        self.assertEqual(ok("GetCallerIdentity", key="noperm")["AccountId"], OWNER)

    def test_oidc(self):
        token = oidc_token()
        status, body = unsigned_oidc(token)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["OIDCTokenInfo"]["Issuer"], OIDC_ISSUER)
        cred = body["Credentials"]
        status, who = signed_call("GetCallerIdentity", {}, cred["AccessKeyId"], cred["AccessKeySecret"],
                                  cred["SecurityToken"], version="2015-04-01")
        self.assertEqual(who["Arn"], "acs:ram::%s:assumed-role/rrsa-image-reader/pod" % OWNER)
        self.assertError(unsigned_oidc(oidc_token(expires_in=-5)),
                         "AuthenticationFail.OIDCToken.Expired", 401)
        self.assertError(unsigned_oidc(oidc_token(bad_signature=True)),
                         "AuthenticationFail.OIDCToken.InvalidSignature", 401)
        self.assertError(unsigned_oidc(oidc_token(audience="someone-else")),
                         "AuthenticationFail.OIDCToken.AudienceNotMatch", 401)
        self.assertError(unsigned_oidc(oidc_token(issuer="https://evil.example")),
                         "AuthenticationFail.OIDCToken.Invalid", 401)
        self.assertError(unsigned_oidc("a.b"), "AuthenticationFail.OIDCToken.Invalid", 401)
        self.assertError(unsigned_oidc(token, provider="acs:ram::%s:oidc-provider/x" % OWNER),
                         "AuthenticationFail.NoPermission", 401)
        self.assertError(unsigned_oidc(token, role="acs:ram::%s:role/image-admin" % OWNER),
                         "AuthenticationFail.NoPermission", 401)
        # only AssumeRoleWithOIDC goes unsigned
        params = {"Action": "AssumeRole", "Version": "2015-04-01", "RoleArn": PEER_ADMIN,
                  "RoleSessionName": "s"}
        status, _, data = C.raw("POST", "/?" + urllib.parse.urlencode(params), b"")
        self.assertEqual(json.loads(data)["Code"], "MissingParameter")

    def metadata(self, method, path, token=None, ttl=None):
        headers = {}
        if token is not None:
            headers["X-aliyun-ecs-metadata-token"] = token
        if ttl is not None:
            headers["X-aliyun-ecs-metadata-token-ttl-seconds"] = str(ttl)
        status, _, data = C.raw(method, path, b"" if method != "GET" else b"", headers)
        return status, data.decode()

    def test_metadata_hardened(self):
        base = "/latest/meta-data/ram/security-credentials/"
        self.assertEqual(self.metadata("PUT", "/latest/api/token")[0], 400)
        self.assertEqual(self.metadata("PUT", "/latest/api/token", ttl=21601)[0], 400)
        self.assertEqual(self.metadata("GET", "/latest/api/token", ttl=60)[0], 405)
        status, token = self.metadata("PUT", "/latest/api/token", ttl=60)
        self.assertEqual(status, 200)
        self.assertTrue(token.startswith(IMDS_TOKEN_PREFIX))
        self.assertEqual(self.metadata("GET", base), (403, "Forbidden"))        # token-less
        self.assertEqual(self.metadata("GET", base, token="made-up")[0], 401)
        self.assertEqual(self.metadata("GET", base, token=token), (200, INSTANCE_ROLE))
        status, doc = self.metadata("GET", base + INSTANCE_ROLE, token=token)
        doc = json.loads(doc)
        self.assertEqual(doc["Code"], "Success")
        self.assertEqual(signed_call("GetCallerIdentity", {}, doc["AccessKeyId"], doc["AccessKeySecret"],
                                     doc["SecurityToken"], version="2015-04-01")[1]["AccountId"], OWNER)
        self.assertEqual(self.metadata("GET", base + "other", token=token)[0], 404)
        C.control("POST", "sts", {"instance_role": None})
        self.assertEqual(self.metadata("GET", base, token=token)[0], 404)
        C.control("POST", "sts", {"instance_role": INSTANCE_ROLE, "hardened": False})
        self.assertEqual(self.metadata("GET", base)[0], 200)                   # IMDSv1 when allowed
        status, short = self.metadata("PUT", "/latest/api/token", ttl=1)
        time.sleep(1.1)
        self.assertEqual(self.metadata("GET", base, token=short)[0], 401)       # tokens expire

    def test_redaction(self):
        status, body = self.assume(role=PEER_ADMIN)
        cred = body["Credentials"]
        text = "x %s y %s z %s" % (cred["AccessKeySecret"], cred["SecurityToken"], oidc_token())
        self.assertEqual(redact(text), "x [redacted] y [redacted] z [redacted]")


# Hygiene: instances, snapshots, tags, families


def all_pages(action, list_name, item_name, key="owner", **params):
    """Every item of a NextToken-paged listing, and the number of pages."""
    items, pages, token = [], 0, None
    while True:
        p = dict(params, **({"NextToken": token} if token else {}))
        body = ok(action, p, key=key)
        pages += 1
        items += body[list_name][item_name]
        token = body.get("NextToken")
        if not token:
            return items, pages


class AuditTest(ApiTestCase):
    def setUp(self):
        C.control("POST", "reset")

    def test_instances_token_paging(self):
        truth = C.control("GET", "instances?account=%s&region=cn-hangzhou" % OWNER)
        found, pages = all_pages("DescribeInstances", "Instances", "Instance",
                                 RegionId="cn-hangzhou", MaxResults=1)
        self.assertEqual([i["InstanceId"] for i in found], [t["InstanceId"] for t in truth])
        self.assertEqual(pages, len(truth))
        first = ok("DescribeInstances", {"RegionId": "cn-hangzhou", "MaxResults": 1})
        self.assertEqual(first["TotalCount"], len(truth))
        token = first["NextToken"]
        # a token of another account, or of another query, is foreign
        self.assertError(call("DescribeInstances", {"RegionId": "cn-hangzhou", "MaxResults": 1,
                                                    "NextToken": token}, key="peer"),
                         "InvalidNextToken.Malformed", 400)
        self.assertError(call("DescribeInstances", {"RegionId": "cn-hangzhou", "MaxResults": 1,
                                                    "Status": "Running", "NextToken": token}),
                         "InvalidNextToken.Malformed", 400)
        self.assertError(call("DescribeInstances", {"RegionId": "cn-hangzhou", "NextToken": "x" + token[1:]}),
                         "InvalidNextToken.Malformed", 400)
        self.assertError(call("DescribeInstances", {"RegionId": "cn-hangzhou", "MaxResults": 101}),
                         "InvalidParameter", 400)
        # PageNumber still works
        paged = ok("DescribeInstances", {"RegionId": "cn-hangzhou", "PageNumber": 2, "PageSize": 1})
        self.assertEqual(paged["Instances"]["Instance"][0]["InstanceId"], truth[1]["InstanceId"])

    def test_expired_token(self):
        world = World("7", 1, 12, 3.0)
        api = Api(world, None, 100, token_ttl=-1)
        query = [("Action", "DescribeInstances"), ("RegionId", "cn-hangzhou"), ("MaxResults", "1")]
        token = api.DescribeInstances(fake_request("POST", query), OWNER)["NextToken"]
        with self.assertRaises(ApiError) as e:
            api.DescribeInstances(fake_request("POST", query + [("NextToken", token)]), OWNER)
        self.assertEqual(e.exception.code, "InvalidNextToken.Expired")

    def test_filters(self):
        truth = C.control("GET", "instances?account=%s&region=cn-hangzhou" % OWNER)
        image = truth[0]["ImageId"]
        got = ok("DescribeInstances", {"RegionId": "cn-hangzhou", "ImageId": image, "MaxResults": 100})
        self.assertEqual({i["InstanceId"] for i in got["Instances"]["Instance"]},
                         {t["InstanceId"] for t in truth if t["ImageId"] == image})
        ids = [truth[0]["InstanceId"], truth[-1]["InstanceId"]]
        got = ok("DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": json.dumps(ids)})
        self.assertEqual(sorted(i["InstanceId"] for i in got["Instances"]["Instance"]), sorted(ids))
        self.assertError(call("DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": "i-1"}),
                         "InvalidInstanceIds.Malformed")
        self.assertError(call("DescribeSnapshots", {"RegionId": "cn-hangzhou", "Usage": "instance"}),
                         "InvalidUsage", 404)

    def test_usage_follows_instances(self):
        img = [i for i in images(ImageOwnerAlias="self") if i["Usage"] == "none" and not i["IsSelfShared"]][0]
        inst = C.control("POST", "instances", {"region": "cn-hangzhou", "image_id": img["ImageId"]})
        self.assertEqual(images(ImageId=img["ImageId"])[0]["Usage"], "instance")
        self.assertError(call("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"]}),
                         "ImageUsingByInstance", 403)
        C.control("DELETE", "instances?id=" + inst["InstanceId"])
        self.assertEqual(images(ImageId=img["ImageId"])[0]["Usage"], "none")
        ok("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": img["ImageId"]})

    def test_snapshots_held_by_images(self):
        inst = own_instance()
        image_id = ok("CreateImage", {"RegionId": "cn-hangzhou", "InstanceId": inst["InstanceId"],
                                      "ImageName": "hygiene-held"})["ImageId"]
        made = wait_image(image_id)
        sids = [d["SnapshotId"] for d in made["DiskDeviceMappings"]["DiskDeviceMapping"]]
        self.assertEqual(len(sids), 1 + len(inst["DataDiskSizes"]))
        snaps, _ = all_pages("DescribeSnapshots", "Snapshots", "Snapshot", RegionId="cn-hangzhou",
                             SnapshotIds=json.dumps(sids), MaxResults=1)
        self.assertEqual(sorted(s["SnapshotId"] for s in snaps), sorted(sids))
        self.assertEqual({s["Usage"] for s in snaps}, {"image"})
        self.assertEqual({s["Status"] for s in snaps}, {"accomplished"})
        held = ok("DescribeSnapshots", {"RegionId": "cn-hangzhou", "Usage": "image", "MaxResults": 100})
        self.assertTrue(set(sids) <= {s["SnapshotId"] for s in held["Snapshots"]["Snapshot"]})
        ok("DeleteImage", {"RegionId": "cn-hangzhou", "ImageId": image_id})
        after = ok("DescribeSnapshots", {"RegionId": "cn-hangzhou", "SnapshotIds": json.dumps(sids)})
        self.assertEqual({s["Usage"] for s in after["Snapshots"]["Snapshot"]}, {"none"})

    def test_tags(self):
        img = images(ImageOwnerAlias="self")[0]
        other = images("cn-hangzhou", "peer", ImageOwnerAlias="self")[0]
        base = {"RegionId": "cn-hangzhou", "ResourceType": "image", "ResourceId.1": img["ImageId"]}
        ok("TagResources", dict(base, **{"Tag.1.Key": "owner", "Tag.1.Value": "zoe",
                                         "Tag.2.Key": "empty", "Tag.2.Value": ""}))
        tags = {t["TagKey"]: t["TagValue"] for t in images(ImageId=img["ImageId"])[0]["Tags"]["Tag"]}
        self.assertEqual((tags["owner"], tags["empty"]), ("zoe", ""))
        ok("UntagResources", dict(base, **{"TagKey.1": "owner", "TagKey.2": "missing"}))
        tags = {t["TagKey"] for t in images(ImageId=img["ImageId"])[0]["Tags"]["Tag"]}
        self.assertNotIn("owner", tags)
        self.assertIn("empty", tags)
        many = {"Tag.%d.Key" % n: "k%d" % n for n in range(1, 22)}
        self.assertError(call("TagResources", dict(base, **many)), "NumberExceed.Tags", 400)
        self.assertError(call("TagResources", dict(base, **{"Tag.1.Key": "acs:x"})), "InvalidTagKey.Malformed", 400)
        self.assertError(call("TagResources", dict(base, **{"Tag.1.Key": "Aliyun-x"})), "InvalidTagKey.Malformed", 400)
        self.assertError(call("TagResources", dict(base, **{"Tag.1.Key": "k" * 129})), "InvalidTagKey.Malformed", 400)
        self.assertError(call("TagResources", dict(base, **{"Tag.1.Key": "a", "Tag.2.Key": "a"})),
                         "Duplicate.TagKey", 400)
        self.assertError(call("TagResources", dict(base, **{k: v for k, v in many.items() if int(k.split(".")[1]) <= 20})),
                         "OperationDenied.QuotaExceed", 400)
        self.assertError(call("TagResources", dict(base, ResourceType="instance", **{"Tag.1.Key": "a"})),
                         "InvalidResourceId.NotSupported", 403)
        self.assertError(call("TagResources", dict(base, **{"ResourceId.1": other["ImageId"], "Tag.1.Key": "a"})),
                         "InvalidResourceId.NotFound", 404)
        self.assertError(call("TagResources", base), "MissingParameter.Tags", 404)

    def test_image_from_family(self):
        own = images("cn-beijing", ImageOwnerAlias="self", Status=ALL)
        families = {i["ImageFamily"] for i in own if i["ImageFamily"]}
        for family in families:
            newest = [i for i in own if i["ImageFamily"] == family and i["Status"] == "Available"]
            got = ok("DescribeImageFromFamily", {"RegionId": "cn-beijing", "ImageFamily": family})["Image"]
            self.assertEqual(got.get("ImageId"), newest[0]["ImageId"] if newest else None, family)
        self.assertEqual(ok("DescribeImageFromFamily", {"RegionId": "cn-beijing",
                                                        "ImageFamily": "no-such-family"})["Image"], {})
        self.assertError(call("DescribeImageFromFamily", {"RegionId": "cn-beijing"}), "MissingParameter")


if __name__ == "__main__":
    result = unittest.main(exit=False).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    print("%d passed, %d failed, %d skipped" % (result.testsRun - failed - skipped, failed, skipped))
    sys.exit(1 if failed else 0)
