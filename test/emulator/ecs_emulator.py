#!/usr/bin/python3
"""Loopback emulator of the Alibaba Cloud ECS image API (2014-05-26) and the
OOS calls (2019-06-01) that ecs_image_fdw uses.

Standard library only.  It verifies RPC (HMAC-SHA1) and ACS3-HMAC-SHA256
signatures strictly, knows a fixed set of accounts, seeds deterministic
images per region, models the asynchronous image lifecycle, and injects
faults on demand.  See README.md beside this file.
"""

import argparse
import base64
import calendar
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import random
import re
import signal
import socket
import ssl
import string
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

ECS_VERSION = "2014-05-26"
OOS_VERSION = "2019-06-01"
TIME_WINDOW_S = 15 * 60
# An export task is Waiting (queued) for this part of its time, then Processing.
EXPORT_QUEUED_FRACTION = 0.4
UNFINISHED_TASK = ("Waiting", "Processing")
MAX_BODY = 8 * 1024 * 1024

# (region id, English name, image-id prefix).  --regions N takes the first N.
REGIONS = [
    ("cn-hangzhou", "China (Hangzhou)", "bp"),
    ("cn-shanghai", "China (Shanghai)", "uf"),
    ("cn-beijing", "China (Beijing)", "2ze"),
    ("cn-shenzhen", "China (Shenzhen)", "wz"),
    ("cn-qingdao", "China (Qingdao)", "m5"),
    ("cn-zhangjiakou", "China (Zhangjiakou)", "8vb"),
    ("cn-huhehaote", "China (Hohhot)", "hp3"),
    ("cn-chengdu", "China (Chengdu)", "2vc"),
    ("cn-hongkong", "China (Hong Kong)", "j6c"),
    ("ap-southeast-1", "Singapore", "t4n"),
    ("ap-southeast-3", "Malaysia (Kuala Lumpur)", "8ps"),
    ("ap-southeast-5", "Indonesia (Jakarta)", "k1a"),
    ("ap-northeast-1", "Japan (Tokyo)", "6we"),
    ("ap-south-1", "India (Mumbai)", "a2d"),
    ("us-west-1", "US (Silicon Valley)", "rj9"),
    ("us-east-1", "US (Virginia)", "0xi"),
    ("eu-central-1", "Germany (Frankfurt)", "gw8"),
    ("eu-west-1", "UK (London)", "d7o"),
    ("me-east-1", "UAE (Dubai)", "eb3"),
    ("cn-wulanchabu", "China (Ulanqab)", "0jl"),
    ("cn-guangzhou", "China (Guangzhou)", "7xv"),
    ("cn-heyuan", "China (Heyuan)", "f8z"),
    ("ap-southeast-6", "Philippines (Manila)", "3ns"),
    ("ap-southeast-7", "Thailand (Bangkok)", "0jo"),
    ("ap-northeast-2", "South Korea (Seoul)", "mj7"),
    ("ap-southeast-2", "Australia (Sydney)", "p0w"),
    ("cn-nanjing", "China (Nanjing - Local Region)", "gc7"),
    ("cn-fuzhou", "China (Fuzhou - Local Region)", "gw0"),
    ("me-central-1", "Saudi Arabia (Riyadh)", "l4v"),
    ("na-south-1", "Mexico", "0sb"),
    ("cn-shanghai-finance-1", "China East 2 Finance", "2zm"),
    ("cn-shenzhen-finance-1", "China South 1 Finance", "wz1"),
]

# LocalName of each region in the three languages DescribeRegions accepts
_ZH = ("华东1（杭州） 华东2（上海） 华北2（北京） 华南1（深圳） 华北1（青岛） 华北3（张家口） "
       "华北5（呼和浩特） 西南1（成都） 中国香港 新加坡 马来西亚（吉隆坡） 印度尼西亚（雅加达） "
       "日本（东京） 印度（孟买） 美国（硅谷） 美国（弗吉尼亚） 德国（法兰克福） 英国（伦敦） "
       "阿联酋（迪拜） 华北6（乌兰察布） 华南3（广州） 华南2（河源） 菲律宾（马尼拉） 泰国（曼谷） "
       "韩国（首尔） 澳大利亚（悉尼） 华东5（南京-本地地域） 华东6（福州-本地地域） 沙特（利雅得） "
       "墨西哥 华东2金融云 华南1金融云").split()
_JA = ("中国（杭州） 中国（上海） 中国（北京） 中国（深セン） 中国（青島） 中国（張家口） "
       "中国（フフホト） 中国（成都） 中国（香港） シンガポール マレーシア（クアラルンプール） "
       "インドネシア（ジャカルタ） 日本（東京） インド（ムンバイ） 米国（シリコンバレー） "
       "米国（バージニア） ドイツ（フランクフルト） イギリス（ロンドン） UAE（ドバイ） "
       "中国（ウランチャブ） 中国（広州） 中国（河源） フィリピン（マニラ） タイ（バンコク） "
       "韓国（ソウル） オーストラリア（シドニー） 中国（南京-ローカルリージョン） "
       "中国（福州-ローカルリージョン） サウジアラビア（リヤド） メキシコ 中国東部2金融 中国南部1金融").split()
LOCAL_NAMES = {"en-US": {r[0]: r[1] for r in REGIONS},
               "zh-CN": {r[0]: n for r, n in zip(REGIONS, _ZH)},
               "ja": {r[0]: n for r, n in zip(REGIONS, _JA)}}
assert len(_ZH) == len(_JA) == len(REGIONS)

# The official SDK endpoint map's exceptions; every other region is ecs.<region>.aliyuncs.com
ENDPOINT_EXCEPTIONS = {"cn-hangzhou": "ecs-cn-hangzhou.aliyuncs.com",
                       "cn-shanghai-finance-1": "ecs-cn-hangzhou.aliyuncs.com",
                       "cn-shenzhen-finance-1": "ecs-cn-hangzhou.aliyuncs.com"}


def region_endpoint(region):
    """The RegionEndpoint DescribeRegions gives a region."""
    return ENDPOINT_EXCEPTIONS.get(region, "ecs.%s.aliyuncs.com" % region)


def served_by(host):
    """What an official host serves: (product, regions), regions None for
    every region (the central ecs.aliyuncs.com); None for any other host (an
    address, the single-host setup of most tests, or another product)."""
    name = host.lower()
    if not name.startswith("["):
        name = name.rsplit(":", 1)[0]
    if not name.endswith(".aliyuncs.com"):
        return None
    label = name[:-len(".aliyuncs.com")]
    if label == "ecs":
        return "ecs", None
    shared = {r for r, h in ENDPOINT_EXCEPTIONS.items() if h == name}
    if shared:
        return "ecs", shared
    m = re.fullmatch(r"(ecs|oos)(?:-vpc)?\.([a-z0-9-]+)", label)
    if m:
        return m.group(1), {m.group(2)}
    return None


def check_host(host, version, region):
    """Refuse a request whose Host does not serve its product and RegionId.
    The cloud would answer it wrongly (another region's images, or none:
    aliyun-cli issue 179); the emulator fails it loudly instead."""
    served = served_by(host or "")
    if served is None:
        return
    product = "oos" if version == OOS_VERSION else "ecs"
    if served[0] != product or (region and served[1] is not None and region not in served[1]):
        raise ApiError(400, "IncorrectHost",
                       "The host %s does not serve %s requests for region %s." %
                       (host, product.upper(), region or "(none)"))


class Account:
    """An access key and the account it belongs to."""

    def __init__(self, account_id, key_id, secret, note, token=None, forbidden=False):
        self.account_id = account_id
        self.key_id = key_id
        self.secret = secret
        self.note = note
        self.token = token
        self.forbidden = forbidden


OWNER_ID = "1234567890123456"
PEER_ID = "2345678901234567"
EMPTY_ID = "3456789012345678"
ACCOUNTS = [
    Account(OWNER_ID, "LTAI5tEmuOwner0000000001", "emu-owner-secret-0001",
            "owner (the demo's account)"),
    Account(PEER_ID, "LTAI5tEmuPeer00000000002", "emu-peer-secret-0002",
            "a second account"),
    Account(OWNER_ID, "STS.EmuOwnerTemp000000003", "emu-sts-secret-0003",
            "STS key of the owner; security token emu-sts-token-0003",
            token="emu-sts-token-0003"),
    Account(EMPTY_ID, "LTAI5tEmuEmpty0000000004", "emu-empty-secret-0004",
            "an account with no custom images"),
    Account(OWNER_ID, "LTAI5tEmuNoPerm000000005", "emu-noperm-secret-0005",
            "RAM user without permissions: every action -> Forbidden.RAM",
            forbidden=True),
]
# Never written to stderr or the --log file (see redact()).
SECRETS = sorted({a.secret for a in ACCOUNTS} | {a.token for a in ACCOUNTS if a.token},
                 key=len, reverse=True)
# Accounts that exist (images can be shared with them) but have no keys.
DIRECTORY_ACCOUNTS = [str(9000000000000000 + n) for n in range(1, 201)]
KNOWN_ACCOUNT_IDS = {OWNER_ID, PEER_ID, EMPTY_ID, *DIRECTORY_ACCOUNTS}



def add_extra_accounts(n):
    """Accounts 1..n beyond the fixed ones (--extra-accounts), for tests
    and benchmarks over many accounts: account id 50000000000000NN, key
    LTAI5tEmuAcct000000000NN, secret emu-acct-secret-00NN.  Each owns as
    many custom images per region as the owner; none are shared.  The
    fixed accounts and their data do not change.  Returns their ids."""
    ids = []
    for k in range(1, n + 1):
        acct = Account(str(5000000000000000 + k), "LTAI5tEmuAcct%011d" % k,
                       "emu-acct-secret-%04d" % k, "extra account %d" % k)
        ACCOUNTS.append(acct)
        SECRETS.append(acct.secret)
        KNOWN_ACCOUNT_IDS.add(acct.account_id)
        RESOURCE_GROUPS[acct.account_id] = []
        ids.append(acct.account_id)
    SECRETS.sort(key=len, reverse=True)
    return ids


SEED_START = calendar.timegm((2024, 1, 1, 0, 0, 0))
SEED_END = calendar.timegm((2026, 10, 31, 23, 59, 59))
ALNUM = string.ascii_lowercase + string.digits


# ---------------------------------------------------------------------------
# Small helpers


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


def redact(text, extra=()):
    """`text` without the known secrets and security tokens, nor the
    strings of 8 characters or more in `extra` (e.g. the token a request
    carried)."""
    for secret in sorted((s for s in extra if s and len(s) >= 8), key=len, reverse=True) + SECRETS:
        text = text.replace(secret, "[redacted]")
    return ISSUED_RE.sub("[redacted]", text)


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


# ---------------------------------------------------------------------------
# State and seed

OS_CATALOG = {
    "linux": [
        ("Ubuntu", "Ubuntu  22.04 64位", "Ubuntu  22.04 64 bit"),
        ("Ubuntu", "Ubuntu  24.04 64位", "Ubuntu  24.04 64 bit"),
        ("CentOS", "CentOS  7.9 64位", "CentOS  7.9 64 bit"),
        ("Aliyun", "Alibaba Cloud Linux  3.2104 LTS 64位", "Alibaba Cloud Linux  3.2104 LTS 64 bit"),
        ("Debian", "Debian  12.6 64位", "Debian  12.6 64 bit"),
        ("Rocky Linux", "Rocky Linux  9.4 64位", "Rocky Linux  9.4 64 bit"),
        ("AlmaLinux", "AlmaLinux  9.4 64位", "AlmaLinux  9.4 64 bit"),
        ("Anolis", "Anolis OS  8.9 64位", "Anolis OS  8.9 64 bit"),
    ],
    "windows": [
        ("Windows Server 2022", "Windows Server  2022 数据中心版 64位英文版",
         "Windows Server  2022 Datacenter 64 bit English"),
        ("Windows Server 2019", "Windows Server  2019 数据中心版 64位中文版",
         "Windows Server  2019 Datacenter 64 bit Chinese"),
    ],
}
PLATFORMS = {
    "Aliyun", "Anolis", "CentOS", "Ubuntu", "CoreOS", "SUSE", "Debian", "OpenSUSE",
    "FreeBSD", "RedHat", "Kylin", "UOS", "Fedora", "Fedora CoreOS", "CentOS Stream",
    "AlmaLinux", "Rocky Linux", "Gentoo", "Customized Linux", "Others Linux",
    "Windows Server 2022", "Windows Server 2019", "Windows Server 2016",
    "Windows Server 2012", "Windows Server 2008", "Windows Server 2003",
}
SYSTEM_IMAGES = [
    # id, platform index, arch, size, creation time, family
    ("ubuntu_22_04_x64_20G_alibase_20240101.vhd", ("linux", 0), "x86_64", 20,
     "2024-01-04T08:12:33Z", "acs:ubuntu_22_04_x64"),
    ("ubuntu_24_04_x64_20G_alibase_20240812.vhd", ("linux", 1), "x86_64", 20,
     "2024-08-14T02:40:11Z", "acs:ubuntu_24_04_x64"),
    ("ubuntu_22_04_arm64_20G_alibase_20240101.vhd", ("linux", 0), "arm64", 20,
     "2024-01-05T10:01:52Z", ""),
    ("aliyun_3_x64_20G_alibase_20240819.vhd", ("linux", 3), "x86_64", 20,
     "2024-08-21T06:30:00Z", "acs:alibaba_cloud_linux_3_2104_lts_x64"),
    ("centos_7_9_x64_20G_alibase_20240628.vhd", ("linux", 2), "x86_64", 20,
     "2024-06-29T03:17:45Z", ""),
    ("debian_12_6_x64_20G_alibase_20240823.vhd", ("linux", 4), "x86_64", 20,
     "2024-08-26T09:55:08Z", ""),
    ("win2022_21H2_x64_dtc_en-us_40G_alibase_20240816.vhd", ("windows", 0), "x86_64", 40,
     "2024-08-19T11:23:40Z", "acs:windows_server_2022_datacenter_en"),
]
MARKETPLACE = [
    ("LAMP-Ubuntu22.04-PHP8.2", "cmjj0274", ("linux", 0)),
    ("WordPress_6.4-on-CentOS7.9", "cmjj0351", ("linux", 2)),
]
ROLES = ["web", "api", "app", "db", "cache", "worker", "batch", "ml", "gpu", "base",
         "golden", "ci", "build", "edge", "proxy", "etl", "log", "monitor", "gateway", "search"]
STACKS = ["nginx", "redis", "mysql8", "postgres15", "java17", "node20", "python3.11",
          "go1.22", "k8s-node", "docker", "tomcat9", "haproxy", "kafka", "spark",
          "cuda12.2", "elastic", "php8.2", "dotnet8", "jenkins", "prometheus"]
WIN_STACKS = ["iis", "sqlserver2019", "dotnet-fx48", "ad-ds"]
TAG_VALUES = {
    "env": ["prod", "staging", "dev", "test"],
    "team": ["platform", "data", "web", "ml", "sre"],
    "app": ROLES,
    "cost-center": ["cc-1001", "cc-1002", "cc-2040", "cc-3300"],
    "owner": ["alice", "bob", "carol", "dmitri"],
    "project": ["apollo", "gemini", "mercury"],
}
BUCKET_OBJECTS = {  # key -> size in bytes
    "images/ubuntu-22.04.qcow2": 2361393152,
    "images/win2022.vhd": 10737418752,
    "images/centos-7.9.raw": 21474836480,
    "images/empty.qcow2": 0,
    "images/notes.txt": 120,
}
RESOURCE_GROUPS = {
    OWNER_ID: ["rg-acfmv3x2yhk4ywa", "rg-aek2qwa7lwwmzbq", "rg-acfm2pz25js4xbi"],
    PEER_ID: ["rg-aekzt7vtdekaqhy"],
    EMPTY_ID: [],
}


FIELD_ORDER = [
    "ImageId", "ImageName", "ImageFamily", "ImageVersion", "Description", "Status", "Progress",
    "CreationTime", "Size", "OSType", "OSName", "OSNameEn", "Platform", "Architecture",
    "BootMode", "ImageOwnerAlias", "ImageOwnerId", "IsPublic", "IsSelfShared", "IsCopied",
    "IsSubscribed", "IsSupportIoOptimized", "IsSupportCloudinit", "LoginAsNonRootSupported",
    "Usage", "Usable", "ProductCode", "ResourceGroupId", "LicenseType", "DiskDeviceMappings",
    "Tags", "Features"]
ARCHITECTURES = ("i386", "x86_64", "arm64")
BOOT_MODES = ("BIOS", "UEFI", "UEFI-Preferred")
UPDATE_TEMPLATE = "ACS-ECS-UpdateImage"
NUMBER = (int, float)
TEMPLATE_PARAMETERS = {  # ACS-ECS-UpdateImage parameters and their JSON types
    "sourceImageId": str, "instanceType": str, "regionId": str, "targetImageName": str,
    "tags": list, "zoneId": str, "whetherCreateVpc": bool, "vpcCidrBlock": str,
    "vSwitchCidrBlock": str, "securityGroupId": str, "vSwitchId": str,
    "internetMaxBandwidthOut": NUMBER, "ramRoleName": str, "systemDiskCategory": str,
    "updateType": str, "commandType": str, "commandContent": str, "timeout": NUMBER,
    "packageName": str, "packageVersion": str, "parameters": dict, "OOSAssumeRole": str,
}


def bucket_name(region):
    return "emu-%s-images" % region


class Image:
    """One image in one region.  `fields` holds the API object in API field
    order; ImageOwnerAlias and IsSelfShared depend on who looks."""

    __slots__ = ("id", "region", "owner", "alias", "fields", "shared_with", "bool_style",
                 "epoch", "pending", "copy_source", "busy", "_cache")

    def __init__(self, image_id, region, owner, alias, fields, epoch, bool_style=True):
        self.id = image_id
        self.region = region
        self.owner = owner          # account id, None for system/marketplace
        self.alias = alias          # "custom", "system" or "marketplace"
        self.fields = fields
        self.shared_with = {}       # account id -> SharedTime
        self.bool_style = bool_style  # IsSelfShared as JSON bool (else "True"/"False")
        self.epoch = epoch
        self.pending = None         # Pending while Creating
        self.copy_source = None     # (region, image id) for copies
        self.busy = set()           # {"copying", "importing", "exporting"}
        self._cache = {}

    def touch(self):
        self._cache.clear()

    @property
    def status(self):
        return self.fields["Status"]

    @property
    def name(self):
        return self.fields.get("ImageName", "")

    def view(self, viewer):
        """The API object as account `viewer` sees it (a dict)."""
        d = dict(self.fields)
        if self.alias != "custom":
            d["ImageOwnerAlias"] = self.alias
            return d
        mine = viewer == self.owner
        d["ImageOwnerAlias"] = "self" if mine else "others"
        shared = mine and bool(self.shared_with)
        d["IsSelfShared"] = shared if self.bool_style else ("True" if shared else "False")
        return d

    def json(self, viewer):
        key = "self" if viewer == self.owner else "others"
        text = self._cache.get(key)
        if text is None:
            text = compact(self.view(viewer))
            if self.pending is None:
                self._cache[key] = text
        return text


class Pending:
    """A change that completes `duration` seconds after `start`."""

    def __init__(self, duration, final, on_done=None, start=None):
        self.start = time.time() if start is None else start
        self.duration = duration
        self.final = final
        self.on_done = on_done

    def fraction(self, now):
        if self.duration <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.start) / self.duration))


class Task:
    """An ImportImage or ExportImage task."""

    def __init__(self, task_id, region, owner, action, status, created, resource_id,
                 finished=None, related=None, failed_reason=None):
        self.id = task_id
        self.region = region
        self.owner = owner
        self.action = action
        self.status = status
        self.created = created
        self.finished = finished
        self.resource_id = resource_id
        self.related = related or {}
        self.failed_reason = failed_reason
        self.pending = None

    def progress(self, now):
        if self.status == "Finished":
            return 100
        if self.pending is not None:
            return int(self.pending.fraction(now) * 100)
        return 0

    def to_api(self, now, full=False):
        d = {"TaskId": self.id, "TaskAction": self.action, "TaskStatus": self.status,
             "SupportCancel": "true" if self.status in UNFINISHED_TASK else "false",
             "CreationTime": iso(self.created, seconds=False),
             "FinishedTime": iso(self.finished, seconds=False) if self.finished else "",
             "ResourceId": self.resource_id}
        if self.failed_reason:
            d["FailedReason"] = self.failed_reason
        if full:
            d["TaskProcess"] = "%d%%" % self.progress(now)
        return d


class Execution:
    """An OOS execution of ACS-ECS-UpdateImage.  It runs its checks at once,
    "runs the command" for create_seconds, then creates the target image
    (create_seconds more) and succeeds when that image is Available."""

    TERMINAL = ("Success", "Failed", "Cancelled")

    def __init__(self, exec_id, region, owner, params, params_text, mode, safety, tags,
                 description, resource_group):
        self.id = exec_id
        self.region = region
        self.owner = owner
        self.template = UPDATE_TEMPLATE
        self.params = params
        self.params_text = params_text
        self.mode = mode
        self.safety = safety
        self.tags = tags
        self.description = description
        self.resource_group = resource_group
        self.created = self.updated = time.time()
        self.ended = None
        self.status = "Started"
        self.message = ""
        self.outputs = "{}"
        self.task = "checkNewImageName"
        self.done_tasks = 0
        self.image = None

    def _finish(self, status, message="", now=None):
        self.status, self.message = status, message
        self.ended = self.updated = now or time.time()

    def cancel(self):
        if self.status not in self.TERMINAL:
            self._finish("Cancelled", "Cancelled by the user.")

    def advance(self, world, now):
        if self.status in self.TERMINAL:
            return
        p = self.params
        name = p.get("targetImageName") or "UpdateImage_from_%s_on_%s" % (p["sourceImageId"], self.id)
        if self.status == "Started":
            self.status, self.updated = "Running", now
            if any(name.lower() in i.name.lower() and i.status == "Available"
                   and (i.owner in (None, self.owner) or self.owner in i.shared_with)
                   for i in world.by_region[self.region]):
                return self._finish("Failed", "Task checkNewImageName failed: an image named like "
                                    "%s already exists." % name, now)
            self.done_tasks, self.task = 1, "runInstances"
            try:
                world.visible_image(self.owner, self.region, p["sourceImageId"])
            except ApiError as e:
                return self._finish("Failed", "Task runInstances failed: %s: %s" % (e.code, e.message), now)
            self.done_tasks, self.task = 2, "runCommand"
        half = self.created + world.create_seconds
        if self.image is None and now >= half:
            if re.search(r"\bexit\s+[1-9]", p.get("commandContent", "")):
                return self._finish("Failed", "Task runCommand failed: the command exited "
                                    "with a non-zero code (InvocationFailed).", half)
            self.done_tasks, self.task = 4, "createImage"
            try:
                check_name(name, "InvalidImageName.Malformed")
                if world.name_taken(self.owner, self.region, name):
                    raise ApiError(400, "InvalidImageName.Duplicated",
                                   "The specified image name is already in use.")
                src = world.images[p["sourceImageId"]].fields
            except (ApiError, KeyError) as e:
                reason = "%s: %s" % (e.code, e.message) if isinstance(e, ApiError) else \
                    "InvalidImageId.NotFound: The source image no longer exists."
                return self._finish("Failed", "Task createImage failed: " + reason, half)
            tags = [{"TagKey": t.get("Key", ""), "TagValue": t.get("Value", "")}
                    for t in p.get("tags", []) if isinstance(t, dict)]
            disks = [dict(d, SnapshotId=world.new_id(world.runtime_rng, "s", self.region),
                          Encrypted=False) for d in src["DiskDeviceMappings"]["DiskDeviceMapping"]]
            self.image = world.create_image("StartExecution", self.owner, self.region, dict(
                name=name, description="Updated from %s by OOS execution %s" % (p["sourceImageId"], self.id),
                family=src["ImageFamily"], size=src["Size"], os_type=src["OSType"],
                platform=src["Platform"], arch=src["Architecture"], os_name=src["OSName"],
                os_name_en=src["OSNameEn"], boot=src["BootMode"], disks=disks, tags=tags,
                resource_group=self.resource_group), start=half)
            self.updated = now
        if self.image is not None and self.image.pending is None:
            if world.images.get(self.image.id) is not self.image:
                return self._finish("Failed", "Task createImage failed: the image was deleted.", now)
            if self.image.status == "Available":
                self.outputs = compact({"imageId": self.image.id})
                self.done_tasks = 6
                return self._finish("Success", "", now)
            return self._finish("Failed", "Task createImage failed: image %s ended %s." %
                                (self.image.id, self.image.status), now)

    def to_api(self, started=False):
        terminal = self.status in self.TERMINAL
        total = 6
        return {
            "ExecutionId": self.id, "TemplateName": self.template, "TemplateId": "t-acs-ecs-updateimage",
            "TemplateVersion": "v14", "Mode": self.mode, "LoopMode": "Automatic",
            "SafetyCheck": self.safety, "Status": self.status, "StatusMessage": self.message,
            "StatusReason": self.message,
            "Parameters": self.params_text if started else self.params,
            "Outputs": self.outputs,
            "Counters": {"Total": total, "Success": self.done_tasks,
                         "Failed": int(self.status == "Failed"),
                         "Running": 0 if terminal else 1,
                         "Cancelled": int(self.status == "Cancelled")},
            "CurrentTasks": [] if terminal else [
                {"TaskName": self.task, "TaskAction": "ACS::ExecuteAPI",
                 "TaskExecutionId": "exec-task-%s-%d" % (self.id[5:13], self.done_tasks)}],
            "CreateDate": iso(self.created), "StartDate": iso(self.created),
            "UpdateDate": iso(self.updated), "EndDate": iso(self.ended) if self.ended else "",
            "ExecutedBy": "root(%s)" % self.owner, "RamRole": self.params.get("OOSAssumeRole", ""),
            "IsParent": False, "ParentExecutionId": "", "ResourceGroupId": self.resource_group,
            "Description": self.description, "Tags": self.tags, "Category": "Other",
        }


class World:
    """All emulated state: the seed, the images, tasks and executions, and
    the rules that advance asynchronous changes.  Callers hold `lock`."""

    def __init__(self, seed, n_regions, per_region, create_seconds, image_quota=0, faults=None,
                 profile="default", extra_accounts=()):
        self.seed = seed
        self.profile = profile
        self.extra_accounts = list(extra_accounts)
        self.faults = faults
        self.regions = REGIONS[:n_regions]
        self.region_ids = [r[0] for r in self.regions]
        self.prefix = {r[0]: r[2] for r in self.regions}
        self.per_region = per_region
        self.create_seconds = create_seconds
        self.image_quota = image_quota
        self.lock = threading.RLock()
        self.reset()

    # -- seed ------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.images = {}            # image id -> Image
            self.by_region = {r: [] for r in self.region_ids}
            self._sorted = {}
            self.instances = {}         # instance id -> dict
            self.snapshots = {}         # snapshot id -> dict
            self.loose_snapshots = []   # the seeded ones no image was made from
            self.tasks = {}             # task id -> Task
            self.executions = {}        # execution id -> Execution
            self.buckets = {}           # region -> {object key: size}
            self.client_tokens = {}     # (account, action, token) -> (fingerprint, result)
            self.fail_next_create = []  # fault rules of kind create_failed (by ref)
            self.ids = set()
            self.pending_images = set()
            self.pending_tasks = set()
            self.runtime_rng = random.Random("%s/runtime" % self.seed)
            for region in self.region_ids:
                self._seed_region(region)

    def new_id(self, rng, kind, region):
        while True:
            ident = "%s-%s%s" % (kind, self.prefix[region], "".join(rng.choices(ALNUM, k=17)))
            if ident not in self.ids:
                self.ids.add(ident)
                return ident

    def _seed_region(self, region):
        rng = random.Random("%s/%s" % (self.seed, region))
        self.buckets[region] = dict(BUCKET_OBJECTS)
        if self.profile == "realistic":
            rng = random.Random("%s/%s/realistic" % (self.seed, region))
        for image_id, (os_type, idx), arch, size, created, family in SYSTEM_IMAGES:
            self._add(self._system_image(region, image_id, os_type, idx, arch, size,
                                         created, family))
        for name, code, (os_type, idx) in MARKETPLACE[:1 + rng.randrange(2)]:
            self._add(self._marketplace_image(rng, region, name, code, os_type, idx))

        if self.profile == "realistic":
            return RealisticSeed(self, region, rng).run()
        m = self.per_region
        owner = self._seed_custom(rng, region, OWNER_ID, m, special=m >= 6)
        peer = self._seed_custom(rng, region, PEER_ID, (m + 1) // 2, special=False)

        def share(img, account):
            img.shared_with[account] = iso(max(img.epoch, SEED_END - rng.randrange(86400 * 300)))

        available = [i for i in owner if i.status == "Available"]
        for n, img in enumerate(available):
            if n % 6 == 1:
                share(img, PEER_ID)
                for acct in rng.sample(DIRECTORY_ACCOUNTS, rng.randrange(3)):
                    share(img, acct)
        for n, img in enumerate(peer):
            if n % 3 == 0 and img.status == "Available":
                share(img, OWNER_ID)

        self._seed_resources(rng, region, OWNER_ID, owner, min(50, 3 + m // 8))
        self._seed_resources(rng, region, PEER_ID, peer, 2 + m // 16)
        # extra accounts: their own random streams, after everything else
        for acct in self.extra_accounts:
            self._seed_custom(random.Random("%s/%s/%s" % (self.seed, region, acct)),
                              region, acct, m, special=False)
        self._seed_hygiene(region, owner + peer)

    def _system_image(self, region, image_id, os_type, idx, arch, size, created, family):
        platform, os_name, os_name_en = OS_CATALOG[os_type][idx]
        epoch = parse_iso(created)
        f = self._fields(image_id, image_id.rsplit(".", 1)[0], family, "",
                         "%s %s public image" % (platform, arch), "Available", "100%",
                         created, size, os_type, os_name, os_name_en, platform, arch,
                         "UEFI" if arch == "arm64" else "BIOS", None)
        f.update(IsPublic=True, IsSupportCloudinit=True, LoginAsNonRootSupported=os_type == "linux",
                 DiskDeviceMappings={"DiskDeviceMapping": [self._disk("", size, "/dev/xvda", "system")]},
                 Tags={"Tag": []})
        return Image(image_id, region, None, "system", f, epoch)

    def _marketplace_image(self, rng, region, name, code, os_type, idx):
        platform, os_name, os_name_en = OS_CATALOG[os_type][idx]
        image_id = self.new_id(rng, "m", region)
        epoch = rng.randint(SEED_START, SEED_END)
        f = self._fields(image_id, name, "", "1.0.%d" % rng.randrange(10),
                         "Marketplace image %s" % name, "Available", "100%", iso(epoch), 40,
                         os_type, os_name, os_name_en, platform, "x86_64", "BIOS", None)
        f.update(IsPublic=True, IsSubscribed=False, ProductCode=code,
                 DiskDeviceMappings={"DiskDeviceMapping": [
                     self._disk(self.new_id(rng, "s", region), 40, "/dev/xvda", "system")]})
        return Image(image_id, region, None, "marketplace", f, epoch)

    @staticmethod
    def _fields(image_id, name, family, version, description, status, progress, created,
                size, os_type, os_name, os_name_en, platform, arch, boot_mode, owner):
        """An API object with every field in the documented order."""
        f = {"ImageId": image_id, "ImageName": name, "ImageFamily": family,
             "ImageVersion": version, "Description": description, "Status": status,
             "Progress": progress, "CreationTime": created, "Size": size, "OSType": os_type,
             "OSName": os_name, "OSNameEn": os_name_en, "Platform": platform,
             "Architecture": arch, "BootMode": boot_mode, "ImageOwnerAlias": None,
             "ImageOwnerId": int(owner) if owner else None, "IsPublic": False,
             "IsSelfShared": None, "IsCopied": False, "IsSubscribed": False,
             "IsSupportIoOptimized": True, "IsSupportCloudinit": os_type == "linux",
             "LoginAsNonRootSupported": False,
             "Usage": "none", "Usable": status in ("Available", "Deprecated"),
             "ProductCode": "", "ResourceGroupId": "", "LicenseType": "Auto",
             "DiskDeviceMappings": {"DiskDeviceMapping": []}, "Tags": {"Tag": []},
             "Features": {"NvmeSupport": "supported", "ImdsSupport": "v2"}}
        if owner is None:
            del f["ImageOwnerId"], f["IsSelfShared"]
        return f

    @staticmethod
    def _disk(snapshot_id, size, device, disk_type, size_as_int=False, encrypted=False):
        return {"SnapshotId": snapshot_id, "Size": size if size_as_int else str(size),
                "Device": device, "Type": disk_type, "Format": "", "ImportOSSBucket": "",
                "ImportOSSObject": "", "Progress": "100%", "RemainTime": 0,
                "Encrypted": encrypted}

    def _seed_custom(self, rng, region, owner, count, special):
        names = set()
        statuses = ["Available"] * count
        if special:
            for pos, st in zip(rng.sample(range(count), 5),
                               ["Creating", "Waiting", "UnAvailable", "CreateFailed", "Deprecated"]):
                statuses[pos] = st
        images = []
        for n in range(count):
            img = self._custom_image(rng, region, owner, statuses[n], names)
            images.append(img)
            self._add(img)
        # A pair of names that differ only in case, and one tag with a space
        # in its key and a non-ASCII value.
        if count >= 4:
            a, b = images[0], images[3]
            b.fields["ImageName"] = self._unique(a.name.swapcase(), names, rng)
        if count >= 3:
            tags = images[2].fields.setdefault("Tags", {"Tag": []})["Tag"]
            tags.append({"TagKey": "cost center", "TagValue": "研发中心 Zürich"})
        return images

    @staticmethod
    def _unique(name, names, rng):
        base = name
        while name in names:
            name = "%s-%d" % (base, rng.randrange(2, 99))
        names.add(name)
        return name

    def _custom_name(self, rng, os_type, epoch):
        role = rng.choice(ROLES)
        stack = rng.choice(STACKS if os_type == "linux" else WIN_STACKS)
        t = time.gmtime(epoch)
        form = rng.randrange(8)
        if form == 0:
            return "%s_%s_%04d%02d%02d" % (role, stack, t.tm_year, t.tm_mon, t.tm_mday)
        if form == 1:
            return "%s:%s:v%d" % (role, stack, rng.randrange(1, 30))
        if form == 2:
            return "%s-%s-%04d.%02d" % (role.capitalize(), stack, t.tm_year, t.tm_mon)
        if form == 3:
            return "%s-%s-build%d" % (role, stack, rng.randrange(1, 500))
        return "%s-%s-%04d-%02d" % (role, stack, t.tm_year, t.tm_mon)

    def _custom_image(self, rng, region, owner, status, names):
        os_type = "windows" if rng.random() < 0.18 else "linux"
        arch = "x86_64"
        if os_type == "linux":
            arch = rng.choices(["x86_64", "arm64", "i386"], [85, 12, 3])[0]
        platform, os_name, os_name_en = rng.choice(OS_CATALOG[os_type])
        if arch == "arm64":
            os_name, os_name_en = os_name + " ARM版", os_name_en + " ARM"
        if status in ("Creating", "Waiting"):
            epoch = SEED_END - rng.randrange(86400)
        else:
            epoch = rng.randint(SEED_START, SEED_END)
        image_id = self.new_id(rng, "m", region)
        name = self._unique(self._custom_name(rng, os_type, epoch), names, rng)
        size = rng.choice([20, 40, 40, 50, 80, 100])
        boot = "UEFI" if arch == "arm64" else rng.choice(["BIOS", "BIOS", "UEFI", "UEFI-Preferred"])
        progress = {"Creating": "%d%%" % rng.randrange(5, 95), "Waiting": "0%",
                    "CreateFailed": "0%"}.get(status, "100%")
        description = "%s image built by pipeline #%d" % (name.split("-")[0], rng.randrange(1, 9000))
        f = self._fields(image_id, name, "", "", description, status, progress, iso(epoch),
                         size, os_type, os_name, os_name_en, platform, arch, boot, owner)
        if rng.random() < 0.3:
            f["ImageFamily"] = "%s-family" % rng.choice(ROLES[:6])
        if rng.random() < 0.3:
            f["ImageVersion"] = rng.choice(["1", "2", "3.1", 2])
        if rng.random() < 0.15:
            del f["Description"]
        if rng.random() < 0.5 and RESOURCE_GROUPS[owner]:
            f["ResourceGroupId"] = rng.choice(RESOURCE_GROUPS[owner])
        size_as_int = rng.random() < 0.5
        disks = [self._disk(self.new_id(rng, "s", region), size, "/dev/xvda", "system", size_as_int)]
        for d in range(rng.choice([0, 0, 0, 1, 2])):
            disks.append(self._disk(self.new_id(rng, "s", region), rng.choice([100, 200, 500]),
                                    "/dev/xvd" + "bc"[d], "data", size_as_int))
        if status in ("Creating", "Waiting", "CreateFailed"):
            for disk in disks:
                disk["Progress"] = progress
        f["DiskDeviceMappings"] = {"DiskDeviceMapping": disks}
        keys = rng.sample(sorted(TAG_VALUES), rng.choice([0, 0, 1, 2, 3, 4]))
        tags = [{"TagKey": k, "TagValue": rng.choice(TAG_VALUES[k])} for k in keys]
        if tags or rng.random() < 0.5:
            f["Tags"] = {"Tag": tags}
        else:
            del f["Tags"]
        f["Features"] = {"NvmeSupport": rng.choice(["supported", "unsupported"]),
                         "ImdsSupport": rng.choice(["v1", "v2"])}
        f["IsCopied"] = rng.random() < 0.1
        f["IsSupportCloudinit"] = os_type == "linux" and rng.random() < 0.9
        f["LoginAsNonRootSupported"] = os_type == "linux" and rng.random() < 0.3
        f["LicenseType"] = rng.choice(["Auto", "Auto", "Auto", "BYOL", "Aliyun"])
        return Image(image_id, region, owner, "custom", f, epoch, bool_style=rng.random() < 0.5)

    def _seed_resources(self, rng, region, owner, images, n_instances):
        usable = [i for i in images if i.status == "Available"]
        states = ["Running", "Stopped", "Running", "Starting"]
        for n in range(n_instances):
            img = usable[n % len(usable)] if usable and n % 4 != 2 else None
            image_id = img.id if img else SYSTEM_IMAGES[0][0]
            if img is not None:
                img.fields["Usage"] = "instance"
            inst = {"InstanceId": self.new_id(rng, "i", region), "RegionId": region,
                    "OwnerId": owner, "Status": states[n % len(states)],
                    "ImageId": image_id,
                    "OSType": img.fields["OSType"] if img else "linux",
                    "Platform": img.fields["Platform"] if img else "Ubuntu",
                    "Architecture": img.fields["Architecture"] if img else "x86_64",
                    "SystemDiskSize": img.fields["Size"] if img else 40,
                    "DataDiskSizes": [100] if n % 3 == 1 else [],
                    "InstanceType": rng.choice(["ecs.g7.large", "ecs.c7.xlarge", "ecs.g8y.large"])}
            self.instances[inst["InstanceId"]] = inst
        for size, disk_type, status in [(40, "system", "accomplished"), (20, "system", "accomplished"),
                                        (100, "data", "accomplished"), (40, "system", "progressing")]:
            snap = {"SnapshotId": self.new_id(rng, "s", region), "RegionId": region,
                    "OwnerId": owner, "SourceDiskType": disk_type, "SourceDiskSize": size,
                    "Status": status, "CreationTime": iso(rng.randint(SEED_START, SEED_END))}
            self.snapshots[snap["SnapshotId"]] = snap
            self.loose_snapshots.append(snap)
        done = [i for i in images if i.status == "Available"]
        specs = [("ImportImage", "Finished")]
        if owner == OWNER_ID:
            specs += [("ExportImage", "Finished"), ("ExportImage", "Failed")]
        for action, status in specs:
            res = done[rng.randrange(len(done))].id if done else ""
            created = rng.randint(SEED_START, SEED_END - 86400)
            task = Task(self.new_id(rng, "t", region), region, owner, action, status, created,
                        res, finished=created + rng.randrange(600, 7200),
                        failed_reason="OSS bucket access denied" if status == "Failed" else None)
            if action == "ImportImage":
                task.related = {"OSSBucket": bucket_name(region),
                                "OSSObject": "images/ubuntu-22.04.qcow2"}
            else:
                task.related = {"OSSBucket": bucket_name(region),
                                "OSSObject": "EMU_%s_%s.raw.tar.gz" % (res, task.id),
                                "ImageFormat": "RAW"}
            self.tasks[task.id] = task

    # -- image bookkeeping --------------------------------------------------

    def _add(self, img):
        self.images[img.id] = img
        self.by_region[img.region].append(img)
        self._sorted.pop(img.region, None)

    def add_image(self, img):
        self._add(img)
        if img.pending is not None:
            self.pending_images.add(img)

    def remove_image(self, img):
        del self.images[img.id]
        self.by_region[img.region].remove(img)
        self._sorted.pop(img.region, None)
        self.pending_images.discard(img)
        self.release_snapshots(img)

    def create_image(self, action, owner, region, spec, on_done=None, start=None):
        """Adds a new custom image, Creating until create_seconds have passed.
        `spec` gives the fields; the image ends CreateFailed when its name or
        description contains "emu-fail" or a create_failed fault claims it."""
        image_id = self.new_id(self.runtime_rng, "m", region)
        now = time.time() if start is None else start
        platform = spec.get("platform") or "Others Linux"
        os_type = spec.get("os_type") or ("windows" if platform.startswith("Windows") else "linux")
        arch = spec.get("arch") or "x86_64"
        os_name_en = spec.get("os_name_en") or "%s 64 bit" % platform
        os_name = spec.get("os_name") or "%s 64位" % platform
        f = self._fields(image_id, spec.get("name", ""), spec.get("family", ""),
                         spec.get("version", ""), spec.get("description"), "Creating", "0%",
                         iso(now), int(spec["size"]), os_type, os_name, os_name_en, platform, arch,
                         spec.get("boot") or "BIOS", owner)
        if spec.get("description") is None:
            del f["Description"]
        f["ResourceGroupId"] = spec.get("resource_group", "")
        f["LicenseType"] = spec.get("license", "Auto")
        f["IsCopied"] = spec.get("is_copied", False)
        f["Features"] = dict(f["Features"], **spec.get("features", {}))
        f["DiskDeviceMappings"] = {"DiskDeviceMapping": [dict(d, Progress="0%") for d in spec["disks"]]}
        f["Tags"] = {"Tag": spec.get("tags", [])}
        text = "%s %s" % (f["ImageName"], f.get("Description", ""))
        fail = "emu-fail" in text or (self.faults is not None and
                                      self.faults.take_create_failed(action, region, owner))
        img = Image(image_id, region, owner, "custom", f, int(now))
        img.pending = Pending(self.create_seconds, "CreateFailed" if fail else "Available",
                              on_done, start)
        self.add_image(img)
        self.hold_snapshots(img)
        return img

    def quota_check(self, account, region):
        if self.image_quota and sum(1 for i in self.by_region[region] if i.owner == account) \
                >= self.image_quota:
            raise ApiError(403, "QuotaExceed.Image",
                           "The number of images exceeds the limit (%d)." % self.image_quota)

    def sorted_region(self, region):
        """Images of a region, CreationTime descending then ImageId."""
        lst = self._sorted.get(region)
        if lst is None:
            lst = sorted(self.by_region[region], key=lambda i: (-i.epoch, i.id))
            self._sorted[region] = lst
        return lst

    def owned_image(self, account, region, image_id):
        """An image the account owns in that region, else InvalidImageId.NotFound."""
        img = self.images.get(image_id or "")
        if img is None or img.region != region or img.owner != account:
            raise ApiError(404, "InvalidImageId.NotFound",
                           "The specified ImageId does not exist.")
        return img

    def visible_image(self, account, region, image_id):
        """An image the account may use (own, shared, system, marketplace)."""
        img = self.images.get(image_id or "")
        if (img is None or img.region != region or
                (img.alias == "custom" and img.owner != account
                 and account not in img.shared_with)):
            raise ApiError(404, "InvalidImageId.NotFound",
                           "The specified ImageId does not exist.")
        return img

    def name_taken(self, account, region, name, exclude=None):
        return any(i.owner == account and i.name == name and i is not exclude
                   for i in self.by_region[region])

    # -- time ---------------------------------------------------------------

    def advance(self):
        """Move every asynchronous change forward to the present.  Executions
        go first (they may create a backdated image) and again last (to see
        their image finish)."""
        now = time.time()
        for execution in list(self.executions.values()):
            execution.advance(self, now)
        for img in list(self.pending_images):
            p = img.pending
            frac = p.fraction(now)
            if frac >= 1.0:
                img.pending = None
                self.pending_images.discard(img)
                img.fields["Status"] = p.final
                img.fields["Usable"] = p.final == "Available"
                img.fields["Progress"] = "100%" if p.final == "Available" else "0%"
                for disk in img.fields["DiskDeviceMappings"]["DiskDeviceMapping"]:
                    disk["Progress"] = img.fields["Progress"]
                    disk["RemainTime"] = 0
                self.settle_snapshots(img)
                if p.on_done:
                    p.on_done(img)
            else:
                img.fields["Progress"] = "%d%%" % int(frac * 100)
                remain = int(p.duration * (1 - frac)) + 1
                for disk in img.fields["DiskDeviceMappings"]["DiskDeviceMapping"]:
                    disk["Progress"] = img.fields["Progress"]
                    if img.copy_source is not None:
                        disk["RemainTime"] = remain
            img.touch()
        for task in list(self.pending_tasks):
            p = task.pending
            if task.status == "Waiting" and p.fraction(now) >= EXPORT_QUEUED_FRACTION:
                task.status = "Processing"
            if p.fraction(now) >= 1.0:
                self.pending_tasks.discard(task)
                task.pending = None
                task.status = p.final
                task.finished = now
                if p.on_done:
                    p.on_done(task)
        for execution in list(self.executions.values()):
            execution.advance(self, now)

    def truth(self, account=None, region=None, visible_to=None):
        """Every image with region, owner and shares (GET /_emulator/images)."""
        out = []
        for reg in self.region_ids:
            if region and reg != region:
                continue
            for img in self.sorted_region(reg):
                if account and img.owner != account:
                    continue
                if visible_to and not (img.owner == visible_to or visible_to in img.shared_with):
                    continue
                d = img.view(visible_to or img.owner)
                d["region"] = img.region
                d["owner"] = img.owner if img.owner else img.alias
                d["shared_with"] = sorted(img.shared_with)
                out.append(d)
        return out

    def seed_doc(self):
        """Instances, snapshots, buckets, tasks, accounts, regions."""
        now = time.time()
        return {
            "regions": self.region_ids,
            "accounts": [{"account_id": a.account_id, "access_key_id": a.key_id,
                          "note": a.note} for a in ACCOUNTS],
            "share_directory_accounts": [DIRECTORY_ACCOUNTS[0], DIRECTORY_ACCOUNTS[-1]],
            "instances": [self.instance_truth(i) for i in sorted(
                self.instances.values(), key=lambda i: (i["RegionId"], i["InstanceId"]))],
            "snapshots": [self.snapshot_truth(s) for s in sorted(
                self.snapshots.values(), key=lambda s: (s["RegionId"], s["SnapshotId"]))
                if s.get("_for_image") is None],
            "buckets": {bucket_name(r): {"region": r, "objects": dict(sorted(objs.items()))}
                        for r, objs in self.buckets.items()},
            "tasks": [dict(t.to_api(now, full=True), RegionId=t.region, OwnerId=t.owner)
                      for t in sorted(self.tasks.values(), key=lambda t: (t.region, t.id))],
        }

    # -- hygiene: instances, snapshots, tags ----------------------------------

    def _seed_hygiene(self, region, images):
        """What the audit tables read, from a random stream of its own (the
        rest of the seed stays as it was): the name, zone, creation time and
        tags of each instance; a snapshot for each disk of each custom image,
        held by the image; and the usage of the loose snapshots."""
        rng = random.Random("%s/%s/hygiene" % (self.seed, region))
        for inst in sorted((i for i in self.instances.values() if i["RegionId"] == region),
                           key=lambda i: i["InstanceId"]):
            created = rng.randint(SEED_START, SEED_END)
            keys = rng.sample(sorted(TAG_VALUES), rng.choice([0, 1, 2]))
            inst.update(InstanceName="%s-%s" % (rng.choice(ROLES), inst["InstanceId"][-4:]),
                        ZoneId="%s-%s" % (region, rng.choice("bcdghij")),
                        CreationTime=iso(created, seconds=False),
                        Tags={"Tag": [{"TagKey": k, "TagValue": rng.choice(TAG_VALUES[k])}
                                      for k in keys]})
        for snap in self.loose_snapshots:
            if "_held_by" not in snap:
                snap.update(SnapshotName="", SourceDiskId="d-" + snap["SnapshotId"][2:],
                            RetentionDays=None, Tags={"Tag": []}, _held_by=[],
                            _disk=snap["SourceDiskSize"] == 20, _for_image=None)
        for img in images:
            self.hold_snapshots(img)

    def hold_snapshots(self, img):
        """The snapshots of an image's disks: CreateImage makes one per disk
        (an image made from snapshots holds those); the image holds them
        until it is deleted."""
        state = self.snapshot_state(img)
        for disk in img.fields["DiskDeviceMappings"]["DiskDeviceMapping"]:
            sid = disk.get("SnapshotId")
            if not sid:
                continue
            snap = self.snapshots.get(sid)
            if snap is None:
                snap = {"SnapshotId": sid, "RegionId": img.region, "OwnerId": img.owner,
                        "SourceDiskType": disk["Type"], "SourceDiskSize": int(disk["Size"]),
                        "Status": state, "CreationTime": img.fields["CreationTime"],
                        "SnapshotName": "", "SourceDiskId": "d-" + sid[2:],
                        "RetentionDays": None, "Tags": {"Tag": []},
                        "_held_by": [], "_disk": False, "_for_image": img.id}
                self.snapshots[sid] = snap
            if img.id not in snap["_held_by"]:
                snap["_held_by"].append(img.id)

    @staticmethod
    def snapshot_state(img):
        """The snapshots made for an image are progressing while it is
        created, failed if it failed."""
        return {"Creating": "progressing", "Waiting": "progressing",
                "CreateFailed": "failed"}.get(img.status, "accomplished")

    def settle_snapshots(self, img):
        """Bring the snapshots made for an image in line with its status."""
        state = self.snapshot_state(img)
        for snap in self.image_snapshots(img):
            if snap.get("_for_image") == img.id:
                snap["Status"] = state

    def release_snapshots(self, img):
        """A deleted image lets go of its snapshots; they stay (Usage none
        unless something else holds them), as on the real service."""
        for snap in self.image_snapshots(img):
            if img.id in snap.get("_held_by", ()):
                snap["_held_by"].remove(img.id)

    def image_snapshots(self, img):
        """The snapshots of an image's disks."""
        disks = img.fields["DiskDeviceMappings"]["DiskDeviceMapping"]
        return [self.snapshots[d["SnapshotId"]] for d in disks
                if d.get("SnapshotId") in self.snapshots]

    @staticmethod
    def snapshot_usage(snap):
        held, disk = bool(snap.get("_held_by")), snap.get("_disk", False)
        return "image_disk" if held and disk else "image" if held else "disk" if disk else "none"

    def snapshot_view(self, snap):
        """A snapshot as DescribeSnapshots shows it."""
        return {"SnapshotId": snap["SnapshotId"], "SnapshotName": snap["SnapshotName"],
                "Description": "", "SnapshotType": "user", "Category": "standard",
                "SourceDiskId": snap["SourceDiskId"],
                "SourceDiskSize": str(snap["SourceDiskSize"]),
                "SourceDiskType": snap["SourceDiskType"], "Status": snap["Status"],
                "Progress": "100%" if snap["Status"] == "accomplished" else "0%",
                "CreationTime": snap["CreationTime"], "RetentionDays": snap["RetentionDays"],
                "Usage": self.snapshot_usage(snap), "Encrypted": False,
                "Tags": {"Tag": list(snap["Tags"]["Tag"])}}

    def snapshot_truth(self, snap):
        d = {k: v for k, v in snap.items() if not k.startswith("_")}
        d["Usage"] = self.snapshot_usage(snap)
        d["HeldBy"] = sorted(snap.get("_held_by", ()))
        return d

    @staticmethod
    def instance_view(inst):
        """An instance as DescribeInstances shows it."""
        return {"InstanceId": inst["InstanceId"], "InstanceName": inst["InstanceName"],
                "RegionId": inst["RegionId"], "ZoneId": inst["ZoneId"],
                "ImageId": inst["ImageId"], "Status": inst["Status"],
                "InstanceType": inst["InstanceType"],
                "InstanceTypeFamily": inst["InstanceType"].rsplit(".", 1)[0],
                "OSType": inst["OSType"], "CreationTime": inst["CreationTime"],
                "InstanceChargeType": "PostPaid", "InstanceNetworkType": "vpc",
                "Tags": {"Tag": list(inst["Tags"]["Tag"])}}

    @staticmethod
    def instance_truth(inst):
        return {k: v for k, v in inst.items() if not k.startswith("_")}

    def refresh_usage(self, image_id):
        """An image's Usage follows from the instances that run it."""
        img = self.images.get(image_id)
        if img is not None:
            used = any(i["ImageId"] == image_id for i in self.instances.values())
            img.fields["Usage"] = "instance" if used else "none"
            img.touch()

    def add_instance(self, spec):
        """POST /_emulator/instances: an instance of an image (the image's
        Usage becomes instance)."""
        if not isinstance(spec, dict):
            raise ValueError("an instance is a JSON object")
        region, image_id = spec.get("region"), spec.get("image_id")
        account = str(spec.get("account", OWNER_ID))
        if region not in self.prefix:
            raise ValueError("unknown region")
        img = self.images.get(image_id or "")
        if img is None or img.region != region:
            raise ValueError("no such image in that region")
        status = spec.get("status", "Running")
        if status not in ("Pending", "Running", "Starting", "Stopping", "Stopped"):
            raise ValueError("unknown status")
        tags = spec.get("tags", {})
        if not isinstance(tags, dict):
            raise ValueError("tags is an object")
        inst = {"InstanceId": self.new_id(self.runtime_rng, "i", region), "RegionId": region,
                "OwnerId": account, "Status": status, "ImageId": img.id,
                "OSType": img.fields["OSType"], "Platform": img.fields["Platform"],
                "Architecture": img.fields["Architecture"], "SystemDiskSize": img.fields["Size"],
                "DataDiskSizes": [], "InstanceType": spec.get("instance_type", "ecs.g7.large"),
                "InstanceName": spec.get("name", "emu-instance"), "ZoneId": region + "-b",
                "CreationTime": iso(time.time(), seconds=False),
                "Tags": {"Tag": [{"TagKey": k, "TagValue": str(v)} for k, v in tags.items()]}}
        self.instances[inst["InstanceId"]] = inst
        self.refresh_usage(img.id)
        return inst

    def remove_instance(self, instance_id):
        """DELETE /_emulator/instances?id=...: release an instance."""
        inst = self.instances.pop(instance_id or "", None)
        if inst is None:
            raise ValueError("no such instance")
        self.refresh_usage(inst["ImageId"])

# ---------------------------------------------------------------------------
# The realistic profile (--profile realistic): what one company's account
# looks like, for the demo.  Regions differ in size and purpose: a large
# production region fed by golden-image pipelines (monthly or fortnightly
# builds per image family, the newest kept, older ones deprecated or simply
# forgotten, a failed build here and there, today's build still running),
# a staging region, a data region, developers' sandboxes, an empty region,
# GPU images, disaster-recovery copies and a Windows region; untagged
# one-off images (backups, tests, someone's debug image) in between.  The
# size of the production region is --images-per-region; the others are
# fractions of it.  Deterministic from the seed like the default profile.

# region kinds in the order of the region list, with their share of
# --images-per-region; regions past the eighth repeat the small kinds
REALISTIC_REGIONS = [("production", 1.0), ("staging", 0.25), ("data", 0.1), ("dev", 0.06),
                     ("empty", 0.0), ("ml", 0.05), ("dr", 0.03), ("windows", 0.04)]
REALISTIC_EXTRA = [("dev", 0.02), ("dr", 0.02), ("empty", 0.0)]

# family, (OS catalog key, index), architecture, system disk GiB, team,
# version style ("date" = family-yyyymmdd, "semver" = family-vX.Y.Z), weight
REALISTIC_FAMILIES = {
    "production": [
        ("base-ubuntu2204", ("linux", 0), "x86_64", 40, "platform", "date", 5),
        ("base-alinux3", ("linux", 3), "x86_64", 40, "platform", "date", 4),
        ("k8s-node-x86", ("linux", 3), "x86_64", 100, "platform", "date", 6),
        ("k8s-node-arm64", ("linux", 0), "arm64", 100, "platform", "date", 3),
        ("web-frontend", ("linux", 0), "x86_64", 40, "web", "semver", 6),
        ("api-gateway", ("linux", 3), "x86_64", 40, "platform", "semver", 4),
        ("order-service", ("linux", 3), "x86_64", 50, "commerce", "semver", 5),
        ("payment-service", ("linux", 4), "x86_64", 50, "payments", "semver", 4),
        ("search-es8", ("linux", 5), "x86_64", 80, "search", "date", 2),
        ("mysql8-replica", ("linux", 2), "x86_64", 100, "dba", "date", 2),
        ("redis7-cache", ("linux", 3), "x86_64", 40, "sre", "date", 2),
        ("win2022-iis", ("windows", 0), "x86_64", 60, "web", "date", 1),
    ],
    "staging": [
        ("base-ubuntu2204", ("linux", 0), "x86_64", 40, "platform", "date", 2),
        ("k8s-node-x86", ("linux", 3), "x86_64", 100, "platform", "date", 3),
        ("web-frontend", ("linux", 0), "x86_64", 40, "web", "semver", 3),
        ("order-service", ("linux", 3), "x86_64", 50, "commerce", "semver", 3),
        ("payment-service", ("linux", 4), "x86_64", 50, "payments", "semver", 2),
    ],
    "data": [
        ("spark3-worker", ("linux", 3), "x86_64", 100, "data", "semver", 3),
        ("airflow2-scheduler", ("linux", 0), "x86_64", 40, "data", "semver", 2),
        ("flink1.18-taskmanager", ("linux", 3), "x86_64", 80, "data", "date", 2),
        ("clickhouse23", ("linux", 5), "x86_64", 200, "data", "date", 1),
    ],
    "dev": [],
    "ml": [
        ("gpu-cuda12-pytorch-train", ("linux", 0), "x86_64", 200, "ml", "date", 3),
        ("triton-inference", ("linux", 0), "x86_64", 100, "ml", "semver", 2),
        ("ml-notebook-arm64", ("linux", 0), "arm64", 80, "ml", "date", 1),
    ],
    "dr": [
        ("base-ubuntu2204", ("linux", 0), "x86_64", 40, "platform", "date", 1),
        ("order-service", ("linux", 3), "x86_64", 50, "commerce", "semver", 2),
        ("payment-service", ("linux", 4), "x86_64", 50, "payments", "semver", 2),
        ("mysql8-replica", ("linux", 2), "x86_64", 100, "dba", "date", 1),
    ],
    "windows": [
        ("win2019-sqlserver2019", ("windows", 1), "x86_64", 80, "dba", "date", 2),
        ("win2022-ad-ds", ("windows", 0), "x86_64", 60, "it", "date", 1),
        ("win2022-iis", ("windows", 0), "x86_64", 60, "web", "date", 2),
    ],
}
REALISTIC_COST_CENTERS = {"platform": "cc-1001", "web": "cc-1002", "commerce": "cc-2040",
                          "payments": "cc-2041", "search": "cc-2050", "dba": "cc-1001",
                          "sre": "cc-1001", "data": "cc-3300", "ml": "cc-3310", "it": "cc-0900"}
REALISTIC_ENV = {"production": "prod", "staging": "staging", "data": "prod", "dev": "dev",
                 "ml": "prod", "dr": "prod", "windows": "prod"}
REALISTIC_PEOPLE = ["alice", "bob", "carol", "dmitri", "erin", "farid", "grace", "hiro"]
# one-off images nobody tags: (name pattern, OS catalog key and index, size)
REALISTIC_ONE_OFF = [
    ("backup-before-upgrade-%(date)s", ("linux", 2), 40),
    ("centos7-final-%(date)s", ("linux", 2), 40),
    ("test-img-%(n)d", ("linux", 0), 40),
    ("%(person)s-debug-%(date)s", ("linux", 3), 40),
    ("tmp-migration-oracle-%(n)d", ("linux", 2), 100),
    ("snapshot-prod-db-%(date)s", ("linux", 2), 100),
    ("%(person)s-devbox-%(date)s", ("linux", 0), 40),
    ("old-jenkins-agent", ("linux", 2), 50),
]
REALISTIC_PARTNER = [  # images of the peer (a vendor account), some shared with us
    ("secvendor-waf-%s", ("linux", 2), 40, ["4.2.1", "4.3.0", "4.3.2"]),
    ("apm-agent-baseline-%s", ("linux", 3), 40, ["2026q2", "2026q3"]),
]
DAY = 86400


def realistic_kind(index):
    """The kind and size share of the index-th region."""
    if index < len(REALISTIC_REGIONS):
        return REALISTIC_REGIONS[index]
    return REALISTIC_EXTRA[(index - len(REALISTIC_REGIONS)) % len(REALISTIC_EXTRA)]


class RealisticSeed:
    """Seeds one region of a World in the realistic profile."""

    def __init__(self, world, region, rng):
        self.world = world
        self.region = region
        self.rng = rng
        self.names = {OWNER_ID: set(), PEER_ID: set()}
        kind, share = realistic_kind(world.region_ids.index(region))
        self.kind = kind
        self.count = int(round(world.per_region * share))

    def run(self):
        w, rng = self.world, self.rng
        owner = self.pipeline_images(self.count) if self.count else []
        peer = self.partner_images() if self.count else []
        for img in owner + peer:
            w._add(img)
        # the newest Available build of a few families is shared with the
        # partner (and sometimes with a few more accounts)
        newest = {}
        for img in owner:
            fam = img.fields.get("ImageFamily")
            if fam and img.status == "Available" and fam not in newest:
                newest[fam] = img
        for img in sorted(newest.values(), key=lambda i: i.id)[:max(1, len(newest) // 4)]:
            self.share(img, PEER_ID)
            for acct in rng.sample(DIRECTORY_ACCOUNTS, rng.randrange(3)):
                self.share(img, acct)
        for img in peer[::2]:
            if img.status == "Available":
                self.share(img, OWNER_ID)
        w._seed_resources(rng, self.region, OWNER_ID, owner, min(50, 1 + self.count // 8))
        w._seed_resources(rng, self.region, PEER_ID, peer, 1 if peer else 0)
        w._seed_hygiene(self.region, owner + peer)

    def share(self, img, account):
        img.shared_with[account] = iso(max(img.epoch, SEED_END - self.rng.randrange(DAY * 60)))

    def pipeline_images(self, count):
        rng = self.rng
        families = REALISTIC_FAMILIES[self.kind]
        n_one_off = count if not families else max(1, count // 10)
        weights = [f[6] for f in families]
        per_family = [0] * len(families)
        for _ in range(count - n_one_off):
            per_family[rng.choices(range(len(families)), weights)[0]] += 1
        images = []
        for fam, n in zip(families, per_family):
            images += self.family_builds(fam, n)
        images += [self.one_off() for _ in range(n_one_off)]
        if self.kind == "production" and len(images) >= 20:
            self.production_accidents(images)
        return images

    def family_builds(self, fam, n):
        """n builds of one family, newest first, at a steady cadence."""
        rng = self.rng
        name, (os_type, idx), arch, size, team, style, _ = fam
        if n == 0:
            return []
        span = DAY * rng.randint(120, 1000)
        step = max(DAY, span // n)
        t = SEED_END - rng.randrange(DAY * 3)
        major = rng.randint(1, 3)
        builds = []
        for k in range(n):
            day = time.gmtime(t)
            if style == "semver":
                older = n - 1 - k   # versions count up from the oldest build
                version = "%d.%d.%d" % (major + older // 20, older // 4 % 5, older % 4)
                label = "%s-v%s" % (name, version)
            else:
                version = "%04d.%02d.%02d" % (day.tm_year, day.tm_mon, day.tm_mday)
                label = "%s-%04d%02d%02d" % (name, day.tm_year, day.tm_mon, day.tm_mday)
            if self.kind == "dr":
                label = "dr-copy-" + label
            # keep the newest three; older ones are mostly deprecated
            if k < 3:
                status = "Available"
            else:
                status = "Deprecated" if rng.random() < 0.6 else "Available"
            tags = {"team": team, "managed-by": "packer"}
            if t > SEED_END - DAY * 540:      # the tagging policy is 18 months old
                tags.update(env=REALISTIC_ENV[self.kind], app=name,
                            **{"cost-center": REALISTIC_COST_CENTERS[team]})
            if self.kind == "dr":
                tags["dr"] = "true"
            desc = "%s golden image, Jenkins job %s #%d" % (name, name, 4000 - k * 7 - rng.randrange(7))
            img = self.image(OWNER_ID, label, status, t, os_type, idx, arch, size, tags,
                             family=name, version=version, description=desc)
            img.fields["IsCopied"] = self.kind in ("staging", "dr") and rng.random() < 0.7
            builds.append(img)
            t -= step + rng.randrange(-DAY, DAY + 1) if step > 2 * DAY else step
            if t < SEED_START:
                t = SEED_START + rng.randrange(DAY * 30)
        return builds

    def one_off(self):
        rng = self.rng
        person = rng.choice(REALISTIC_PEOPLE)
        if self.kind == "dev":
            pattern, (os_type, idx), size = ("%(person)s-devbox-%(date)s", ("linux", rng.choice([0, 3, 4])), 40)
            if rng.random() < 0.3:
                pattern = rng.choice(["%(person)s-test-%(n)d", "%(person)s-playground"])
        else:
            pattern, (os_type, idx), size = rng.choice(REALISTIC_ONE_OFF)
        t = rng.randint(SEED_START, SEED_END - DAY * (30 if self.kind != "dev" else 1))
        day = time.gmtime(t)
        label = pattern % {"date": "%04d-%02d-%02d" % (day.tm_year, day.tm_mon, day.tm_mday),
                           "n": rng.randrange(1, 40), "person": person}
        tags = {"owner": person, "env": "dev"} if self.kind == "dev" else {}
        return self.image(OWNER_ID, label, "Available", t, os_type, idx, "x86_64", size, tags,
                          description=None if rng.random() < 0.5 else "made by hand by %s" % person)

    def production_accidents(self, images):
        """Today's build still running, one waiting, failed and unusable ones."""
        rng = self.rng
        newest = sorted(images, key=lambda i: -i.epoch)
        running = newest[0]
        running.fields.update(Status="Creating", Progress="%d%%" % rng.randrange(20, 80),
                              Usable=False)
        newest[1].fields.update(Status="Waiting", Progress="0%", Usable=False)
        for img in rng.sample(newest[5:], 3):
            img.fields.update(Status="CreateFailed", Progress="0%", Usable=False)
        rng.choice([i for i in newest[8:] if i.status == "Available"]).fields.update(
            Status="UnAvailable", Usable=False)
        for img in images:
            if img.status != "Available" and img.status != "Deprecated":
                for disk in img.fields["DiskDeviceMappings"]["DiskDeviceMapping"]:
                    disk["Progress"] = img.fields["Progress"]

    def partner_images(self):
        rng = self.rng
        out = []
        if self.kind not in ("production", "data", "staging"):
            return out
        for pattern, (os_type, idx), size, versions in REALISTIC_PARTNER:
            for v in versions:
                t = rng.randint(SEED_END - DAY * 400, SEED_END - DAY * 5)
                out.append(self.image(PEER_ID, pattern % v, "Available", t, os_type, idx,
                                      "x86_64", size, {"vendor": pattern.split("-")[0]},
                                      family=pattern.split("-%")[0], version=v,
                                      description="Vendor image %s" % (pattern % v)))
        return out

    def image(self, owner, name, status, epoch, os_type, idx, arch, size, tags,
              family="", version="", description=None):
        w, rng = self.world, self.rng
        platform, os_name, os_name_en = OS_CATALOG[os_type][idx]
        if arch == "arm64":
            os_name, os_name_en = os_name + " ARM版", os_name_en + " ARM"
        image_id = w.new_id(rng, "m", self.region)
        name = World._unique(name, self.names[owner], rng)
        boot = "UEFI" if arch == "arm64" else ("UEFI-Preferred" if size >= 100 else "BIOS")
        f = w._fields(image_id, name, family, version, description or "", status,
                      "100%", iso(epoch), size, os_type, os_name, os_name_en, platform,
                      arch, boot, owner)
        if description is None:
            del f["Description"]
        f["ResourceGroupId"] = RESOURCE_GROUPS[owner][0] if family and RESOURCE_GROUPS[owner] else ""
        disks = [w._disk(w.new_id(rng, "s", self.region), size, "/dev/xvda", "system")]
        if size >= 100:
            disks.append(w._disk(w.new_id(rng, "s", self.region), 500, "/dev/xvdb", "data"))
        f["DiskDeviceMappings"] = {"DiskDeviceMapping": disks}
        f["Tags"] = {"Tag": [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]}
        f["IsSupportCloudinit"] = os_type == "linux"
        f["LicenseType"] = "BYOL" if os_type == "windows" and rng.random() < 0.3 else "Auto"
        return Image(image_id, self.region, owner, "custom", f, epoch)


# ---------------------------------------------------------------------------
# Authentication

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


# ---------------------------------------------------------------------------
# Faults and statistics

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


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


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
            self.max_in_flight = self.in_flight

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
                    "signature": dict(self.signature), "max_in_flight": self.max_in_flight,
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


# ---------------------------------------------------------------------------
# API actions

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


NAME_RE = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5.:_-]{1,127}$")
TOKEN_IGNORED = {"Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                 "Timestamp", "AccessKeyId", "SecurityToken", "Format", "Version", "Action",
                 "ClientToken", "SignatureType"}


def check_name(value, code):
    """Image name and family rules (2-128 chars, starts with a letter, ...)."""
    low = value.lower()
    if (not NAME_RE.match(value) or low.startswith("acs:") or low.startswith("aliyun")
            or "http://" in low or "https://" in low):
        raise ApiError(400, code, "The specified %s is wrongly formed." %
                       ("ImageName" if "Name" in code else "ImageFamily"))


def check_description(value):
    if not 2 <= len(value) <= 256 or value.lower().startswith(("http://", "https://")):
        raise ApiError(400, "InvalidDescription.Malformed",
                       "The specified description is wrongly formed.")


class Api:
    """One method per action, named after it.  Each runs under the world
    lock with the caller's account id and returns the response body."""

    ECS_ACTIONS = ("DescribeRegions", "DescribeImages", "DescribeImageSharePermission",
                   "DescribeTasks", "DescribeTaskAttribute", "CancelTask", "CreateImage",
                   "ImportImage", "CopyImage", "CancelCopyImage", "ModifyImageSharePermission",
                   "ExportImage", "ModifyImageAttribute", "DeleteImage",
                   "DescribeInstances", "DescribeSnapshots", "TagResources", "UntagResources",
                   "DescribeImageFromFamily")
    OOS_ACTIONS = ("StartExecution", "ListExecutions", "CancelExecution")

    def __init__(self, world, faults, page_size_max, token_ttl=600):
        self.world = world
        self.faults = faults
        self.page_size_max = page_size_max
        self.token_ttl = token_ttl

    def resolve(self, req):
        """Checks Action and Version of an authenticated request."""
        if not req.action:
            raise missing_parameter("Action")
        if not req.version:
            raise missing_parameter("Version")
        actions = {ECS_VERSION: self.ECS_ACTIONS, OOS_VERSION: self.OOS_ACTIONS,
                   STS_VERSION: STS_ACTIONS}.get(req.version)
        if actions is None:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if req.action not in actions:
            raise ApiError(404, "InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.")

    def call(self, req, account):
        with self.world.lock:
            self.world.advance()
            target = self.sts if req.version == STS_VERSION else self
            return getattr(target, req.action)(req, account)

    # -- helpers ------------------------------------------------------------

    def region(self, req, name="RegionId"):
        region = req.require(name)
        if region not in self.world.prefix:
            raise ApiError(404, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
        return region

    def page(self, req, default_size=10):
        number = req.integer("PageNumber", 1, 1, 2 ** 31 - 1)
        size = req.integer("PageSize", default_size, 1, self.page_size_max)
        return number, size

    def idempotent(self, req, account, create):
        """ClientToken: the same token and parameters give the same result."""
        token = req.get("ClientToken")
        if token is None:
            return create()
        if len(token) > 64 or not token.isascii():
            raise invalid_parameter("ClientToken", "InvalidClientToken.Malformed")
        fingerprint = sorted((k, v) for k, v in req.pairs if k not in TOKEN_IGNORED)
        key = (account, req.action, token)
        hit = self.world.client_tokens.get(key)
        if hit is not None:
            if hit[0] != fingerprint:
                raise ApiError(400, "IdempotentParameterMismatch",
                               "The request uses the same client token as a previous, "
                               "but non-identical request.")
            return dict(hit[1])
        result = create()
        self.world.client_tokens[key] = (fingerprint, dict(result))
        return result

    def tags(self, req, limit_code="InvalidTagCount"):
        """Tag.N.Key/Value of a create call, validated."""
        tags = req.indexed("Tag", ("Key", "Value"))
        if any(n < 1 or n > 20 for n in tags):
            raise ApiError(400, limit_code, "The maximum number of Tags is exceeded.")
        out, seen = [], set()
        for n, t in tags.items():
            key, value = t.get("Key", ""), t.get("Value", "")
            low = key.lower()
            if (not key or len(key) > 128 or low.startswith(("aliyun", "acs:"))
                    or "http://" in low or "https://" in low):
                raise ApiError(400, "InvalidTagKey.Malformed",
                               "The specified Tag.%d.Key is invalid." % n)
            if len(value) > 128 or value.lower().startswith("acs:") or \
                    "http://" in value.lower() or "https://" in value.lower():
                raise ApiError(400, "InvalidTagValue.Malformed",
                               "The specified Tag.%d.Value is invalid." % n)
            if key in seen:
                raise ApiError(400, "Duplicate.TagKey", "The Tag.%d.Key is duplicated." % n)
            seen.add(key)
            out.append({"TagKey": key, "TagValue": value})
        return out

    # -- read actions -------------------------------------------------------

    def DescribeRegions(self, req, account):
        # Chinese unless asked otherwise; the error names the three accepted
        lang = req.get("AcceptLanguage", "zh-CN")
        if lang not in LOCAL_NAMES:
            raise ApiError(404, "InvalidAcceptLanguage.NotFound",
                           "The specified AcceptLanguage is not found, "
                           "only zh-CN, en-US and ja are supported.")
        return {"Regions": {"Region": [
            {"RegionId": rid, "LocalName": LOCAL_NAMES[lang].get(rid, name),
             "RegionEndpoint": region_endpoint(rid), "Status": "available"}
            for rid, name, _ in self.world.regions]}}

    def DescribeImages(self, req, account):
        region = self.region(req)
        alias = req.get("ImageOwnerAlias", "")
        if alias not in ("", "system", "self", "others", "marketplace"):
            raise ApiError(400, "InvalidImageOwnerAlias.ValueNotSupported",
                           "The specified ImageOwnerAlias is not supported.")
        is_public = req.boolean("IsPublic")
        if is_public and alias != "others":
            raise ApiError(400, "InvalidImageOwnerAlias.PublicImageUnsupported",
                           "IsPublic=true requires ImageOwnerAlias=others.")
        owner_id = req.get("ImageOwnerId")
        if owner_id is not None:
            if not owner_id.isdigit():
                raise invalid_parameter("ImageOwnerId")
            if alias != "others":
                raise ApiError(400, "InvalidOperation.ImageOwnerIdUnsupported",
                               "ImageOwnerId is supported only for shared or community images.")
        statuses = {s.strip() for s in req.get("Status", "Available").split(",") if s.strip()}
        checks = []
        for name, code, allowed in (("OSType", "InvalidOSType", ("linux", "windows")),
                                    ("Architecture", "InvalidArchitecture", ("i386", "x86_64", "arm64")),
                                    ("Usage", "InvalidUsage", ("instance", "none"))):
            value = req.get(name)
            if value is not None:
                if value not in allowed:
                    raise ApiError(404, code, "The specified %s is not valid." % name)
                checks.append((name, value))
        for name in ("ImageFamily", "ResourceGroupId"):
            if req.get(name) is not None:
                checks.append((name, req.get(name)))
        for name in ("IsSupportIoOptimized", "IsSupportCloudinit"):
            value = req.boolean(name)
            if value is not None:
                checks.append((name, value))
        tags = req.indexed("Tag", ("Key", "Value"))
        if any(n < 1 or n > 20 for n in tags):
            raise ApiError(400, "InvalidTagCount", "The maximum number of Tags is exceeded.")
        if any("Key" not in t or t["Key"] == "" for t in tags.values()):
            raise ApiError(400, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")
        start = end = None
        for n, f in req.indexed("Filter", ("Key", "Value")).items():
            key, value = f.get("Key", ""), f.get("Value", "")
            if key in ("CreationStartTime", "CreationEndTime"):
                ts = parse_iso(value)
                if ts is None:
                    raise ApiError(404, "InvalidFilterValue", "The specified Filter.%d.Value is not valid." % n)
                if key == "CreationStartTime":
                    start = ts
                else:
                    end = ts
            elif key not in ("NetworkType", "CpuOnlineUpgrade", "CpuOnlineDowngrade",
                             "MemoryOnlineUpgrade", "MemoryOnlineDowngrade"):
                raise ApiError(404, "InvalidFilterKey.NotFound", "The specified Filter.%d.Key is not found." % n)
        number, size = self.page(req)
        image_id = req.get("ImageId")
        name = req.get("ImageName", "").lower()
        snapshot = req.get("SnapshotId")

        matches = []
        for img in self.world.sorted_region(region):
            if img.alias != "custom":
                seen_as = img.alias
            elif img.owner == account:
                seen_as = "self"
            elif is_public:
                if not img.fields["IsPublic"]:
                    continue
                seen_as = "others"          # community images
            elif account in img.shared_with or (not alias and img.fields["IsPublic"]):
                seen_as = "others"
            else:
                continue
            f = img.fields
            # no ImageOwnerAlias: system, self and others, never marketplace
            if ((alias and seen_as != alias) or (not alias and seen_as == "marketplace")
                    or (image_id is not None and img.id != image_id)
                    or f["Status"] not in statuses
                    or (owner_id is not None and img.owner != owner_id)
                    or (name and name not in f.get("ImageName", "").lower())
                    or (start is not None and img.epoch < start)
                    or (end is not None and img.epoch > end)
                    or any(f.get(k) != v for k, v in checks)):
                continue
            if snapshot is not None and not any(
                    d.get("SnapshotId") == snapshot
                    for d in f["DiskDeviceMappings"]["DiskDeviceMapping"]):
                continue
            if tags:
                have = {t["TagKey"]: t["TagValue"] for t in f.get("Tags", {}).get("Tag", [])}
                if not all(t["Key"] in have and ("Value" not in t or have[t["Key"]] == t["Value"])
                           for t in tags.values()):
                    continue
            matches.append(img)
        chunk = matches[(number - 1) * size:number * size]
        return {"RegionId": region, "TotalCount": len(matches), "PageNumber": number,
                "PageSize": size, "Images": {"Image": [Raw(i.json(account)) for i in chunk]}}

    def DescribeImageSharePermission(self, req, account):
        region = self.region(req)
        img = self.world.owned_image(account, region, req.require("ImageId"))
        number, size = self.page(req)
        shares = sorted(img.shared_with.items(), key=lambda kv: (kv[1], kv[0]))
        chunk = shares[(number - 1) * size:number * size]
        return {"RegionId": region, "ImageId": img.id, "TotalCount": len(shares),
                "PageNumber": number, "PageSize": size,
                "Accounts": {"Account": [{"AliyunId": a, "SharedTime": t} for a, t in chunk]},
                "ShareGroups": {"ShareGroup": [{"Group": "all"}] if img.fields["IsPublic"] else []}}

    def DescribeTasks(self, req, account):
        region = self.region(req)
        ids = req.get("TaskIds")
        ids = {t.strip() for t in ids.split(",") if t.strip()} if ids else None
        if ids is not None and len(ids) > 100:
            raise invalid_parameter("TaskIds")
        action = req.get("TaskAction")
        status = req.get("TaskStatus")
        if status not in ("Finished", "Processing", "Failed"):
            status = None
        start = end = None
        for name in ("StartTime", "EndTime"):
            value = req.get(name)
            if value is not None:
                if parse_iso(value) is None:
                    raise invalid_parameter(name)
                if name == "StartTime":
                    start = parse_iso(value)
                else:
                    end = parse_iso(value)
        resources = set(req.indexed("ResourceIds").values())
        number, size = self.page(req)
        now = time.time()
        tasks = sorted((t for t in self.world.tasks.values()
                        if t.region == region and t.owner == account
                        and (ids is None or t.id in ids)
                        and (action is None or t.action == action)
                        and (status is None or t.status == status)
                        and (start is None or t.created >= start)
                        and (end is None or t.created <= end)
                        and (not resources or t.resource_id in resources)),
                       key=lambda t: (-t.created, t.id))
        chunk = tasks[(number - 1) * size:number * size]
        return {"RegionId": region, "TotalCount": len(tasks), "PageNumber": number,
                "PageSize": size, "TaskSet": {"Task": [t.to_api(now) for t in chunk]}}

    def _task(self, req, account, region):
        task = self.world.tasks.get(req.require("TaskId"))
        if task is None or task.owner != account or task.region != region:
            raise ApiError(400, "InvalidTaskId.NotFound", "The specified task id does not exist.")
        return task

    def DescribeTaskAttribute(self, req, account):
        region = self.region(req)
        task = self._task(req, account, region)
        now = time.time()
        d = task.to_api(now, full=True)
        op = {"OperationStatus": {"Finished": "Success", "Processing": "Processing",
                                  "Waiting": "Waiting"}.get(task.status, "Failed"),
              "ErrorCode": "", "ErrorMsg": task.failed_reason or "",
              "RelatedItemSet": {"RelatedItem": [{"Name": k, "Value": v} for k, v in task.related.items()]}}
        done = task.status == "Finished"
        failed = task.status not in ("Finished",) + UNFINISHED_TASK
        if failed:
            op["ErrorCode"] = "TaskFailed"
        return {"RegionId": region, "TaskId": task.id, "TaskAction": task.action,
                "TaskStatus": task.status, "TaskProcess": d["TaskProcess"],
                "SupportCancel": d["SupportCancel"], "CreationTime": d["CreationTime"],
                "FinishedTime": d["FinishedTime"], "TotalCount": 1,
                "SuccessCount": int(done), "FailedCount": int(failed),
                "OperationProgressSet": {"OperationProgress": [op]}}

    # -- lifecycle actions --------------------------------------------------

    def resource_group(self, req, name="ResourceGroupId"):
        rg = req.get(name, "")
        if rg and not re.fullmatch(r"rg-[a-z0-9]{5,32}", rg):
            raise ApiError(404, "InvalidResourceGroup.NotFound",
                           "The specified resource group does not exist.")
        return rg

    def image_options(self, req, names=("ImageName", "Description", "ImageFamily")):
        """Validates the naming parameters that several actions share."""
        out = {}
        for name in names:
            value = req.get(name)
            if value is None:
                continue
            if name.endswith("ImageName"):
                check_name(value, "InvalidImageName.Malformed")
            elif name.endswith("Description"):
                check_description(value)
            else:
                check_name(value, "InvalidImageFamily.Malformed")
            out[name] = value
        return out

    @staticmethod
    def choice(req, name, allowed, code, default=None, status=400, fold=False):
        value = req.get(name)
        if value is None:
            return default
        for a in allowed:
            if value == a or (fold and value.lower() == a.lower()):
                return a
        raise ApiError(status, code, 'The specified parameter "%s" is not valid.' % name)

    def _snapshot(self, account, region, snapshot_id):
        snap = self.world.snapshots.get(snapshot_id)
        if snap is None or snap["OwnerId"] != account or snap["RegionId"] != region:
            raise ApiError(404, "InvalidSnapshotId.NotFound", "The specified snapshot does not exist.")
        if snap["Status"] != "accomplished":
            raise ApiError(403, "InvalidSnapshotId.NotReady", "The specified snapshot is not ready.")
        return snap

    def _image_source(self, req, account, region):
        """The OS facts and disks of a CreateImage source:
        InstanceId > DiskDeviceMapping.N > SnapshotId."""
        rng = self.world.runtime_rng
        new_snap = lambda: self.world.new_id(rng, "s", region)
        instance_id = req.get("InstanceId")
        mappings = req.indexed("DiskDeviceMapping", ("SnapshotId", "Size", "DiskType", "Device"))
        if instance_id is not None:
            inst = self.world.instances.get(instance_id)
            if inst is None or inst["OwnerId"] != account or inst["RegionId"] != region:
                raise ApiError(404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")
            if inst["Status"] not in ("Running", "Stopped"):
                raise ApiError(400, "IncorrectInstanceStatus",
                               "The current status of the resource does not support this operation.")
            disks = [World._disk(new_snap(), inst["SystemDiskSize"], "/dev/xvda", "system")]
            disks += [World._disk(new_snap(), size, "/dev/xvd" + "bcdefghijklmnopq"[n], "data")
                      for n, size in enumerate(inst["DataDiskSizes"])]
            base = self.world.images.get(inst["ImageId"])
            src = {"os_type": inst["OSType"], "platform": inst["Platform"],
                   "arch": inst["Architecture"], "size": inst["SystemDiskSize"], "disks": disks}
            if base is not None:
                src.update(os_name=base.fields["OSName"], os_name_en=base.fields["OSNameEn"],
                           boot=base.fields["BootMode"])
            return src
        if mappings:
            disks, devices = [], set()
            for n, m in mappings.items():
                if not 1 <= n <= 17:
                    raise invalid_parameter("DiskDeviceMapping.%d" % n)
                snap = self._snapshot(account, region, m["SnapshotId"]) if m.get("SnapshotId") else None
                disk_type = m.get("DiskType") or (snap["SourceDiskType"] if snap else "data")
                if disk_type not in ("system", "data"):
                    raise invalid_parameter("DiskDeviceMapping.%d.DiskType" % n)
                lo, hi = (5, 2000) if disk_type == "system" else (20, 32768)
                size = m.get("Size")
                if size is None:
                    size = snap["SourceDiskSize"] if snap else lo
                elif not size.isdigit() or not lo <= int(size) <= hi or \
                        (snap and int(size) < snap["SourceDiskSize"]):
                    raise ApiError(400, "InvalidSize.ValueNotSupported",
                                   "The specified DiskDeviceMapping.%d.Size is not supported." % n)
                device = m.get("Device")
                if device is not None and not re.fullmatch(r"/dev/xvd[a-z]", device):
                    raise ApiError(400, "InvalidDevice.Malformed", "The specified device is wrongly formed.")
                if device is not None:
                    if device in devices:
                        raise ApiError(400, "InvalidDevice.InUse", "The specified device is in use.")
                    devices.add(device)
                disks.append([snap["SnapshotId"] if snap else new_snap(), int(size), device, disk_type])
            systems = [d for d in disks if d[3] == "system"]
            if len(systems) != 1 or len(disks) > 17:
                raise ApiError(403, "OperationDenied",
                               "The image needs exactly one system disk and at most 16 data disks.")
            free = iter(d for d in "bcdefghijklmnopqrstuvwxyz" if "/dev/xvd" + d not in devices)
            disks.sort(key=lambda d: d[3] != "system")
            out = [World._disk(sid, size, dev or ("/dev/xvda" if t == "system" else "/dev/xvd" + next(free)), t)
                   for sid, size, dev, t in disks]
            return {"size": systems[0][1], "disks": out}
        snapshot_id = req.get("SnapshotId")
        if snapshot_id is None:
            raise ApiError(400, "MissingParameter",
                           "One of InstanceId, SnapshotId or DiskDeviceMapping.N is required.")
        snap = self._snapshot(account, region, snapshot_id)
        if snap["SourceDiskType"] != "system":
            raise ApiError(403, "OperationDenied", "The specified snapshot is not a system disk snapshot.")
        return {"size": snap["SourceDiskSize"],
                "disks": [World._disk(snap["SnapshotId"], snap["SourceDiskSize"], "/dev/xvda", "system")]}

    def CreateImage(self, req, account):
        region = self.region(req)
        opts = self.image_options(req)
        version = req.get("ImageVersion")
        if version is not None and len(version) > 40:
            raise ApiError(400, "InvalidImageVersion.Malformed", "The specified ImageVersion is wrongly formed.")
        arch = self.choice(req, "Architecture", ARCHITECTURES, "InvalidArchitecture.Malformed")
        platform = self.choice(req, "Platform", sorted(PLATFORMS), "InvalidPlatform.Malformed")
        boot = self.choice(req, "BootMode", BOOT_MODES, "InvalidBootMode.NotSupport")
        imds = self.choice(req, "Features.ImdsSupport", ("v1", "v2"), "InvalidParameter.FeaturesImdsSupport")
        rg = self.resource_group(req)
        tags = self.tags(req)
        req.boolean("DryRun")

        def create():
            src = self._image_source(req, account, region)
            name = opts.get("ImageName", "")
            if name and self.world.name_taken(account, region, name):
                raise ApiError(400, "InvalidImageName.Duplicated", "The specified image name is already in use.")
            self.world.quota_check(account, region)
            spec = dict(src, name=name, description=opts.get("Description"),
                        family=opts.get("ImageFamily", ""), version=version or "",
                        resource_group=rg, tags=tags)
            for key, value in (("arch", arch), ("platform", platform), ("boot", boot)):
                if value:
                    spec[key] = value
            if imds:
                spec["features"] = {"ImdsSupport": imds}
            img = self.world.create_image("CreateImage", account, region, spec)
            return {"ImageId": img.id}

        return self.idempotent(req, account, create)

    def ImportImage(self, req, account):
        region = self.region(req)
        maps = req.indexed("DiskDeviceMapping", ("OSSBucket", "OSSObject", "Format",
                                                 "DiskImageSize", "DiskImSize", "Device"))
        first = maps.get(1, {})
        for field in ("OSSBucket", "OSSObject"):
            if not first.get(field):
                raise missing_parameter("DiskDeviceMapping.1." + field)
        opts = self.image_options(req)
        os_type = self.choice(req, "OSType", ("linux", "windows"), "InvalidOSType.Malformed", "linux")
        arch = self.choice(req, "Architecture", ARCHITECTURES, "InvalidArchitecture.Malformed", "x86_64")
        platform = self.choice(req, "Platform", sorted(PLATFORMS), "InvalidPlatform.Malformed",
                               "Others Linux" if os_type == "linux" else "Windows Server 2022")
        boot = self.choice(req, "BootMode", ("BIOS", "UEFI"), "InvalidBootMode.NotSupport",
                           "UEFI" if arch == "arm64" else "BIOS")
        if arch == "arm64" and boot != "UEFI":
            raise ApiError(400, "InvalidBootMode.ArchNotSupport", "arm64 images need BootMode UEFI.")
        license_type = self.choice(req, "LicenseType", ("Auto", "Aliyun", "BYOL"),
                                   "InvalidLicenseType.NotSupported", "Auto")
        nvme = self.choice(req, "Features.NvmeSupport", ("supported", "unsupported"), "InvalidParameter")
        imds = self.choice(req, "Features.ImdsSupport", ("v1", "v2"), "InvalidParameter.FeaturesImdsSupport")
        rg = self.resource_group(req)
        tags = self.tags(req)
        disks = []
        for n, m in maps.items():
            if n > 17:
                continue
            bucket, key = m.get("OSSBucket", ""), m.get("OSSObject", "")
            objects = self._bucket(region, bucket)
            if key not in objects:
                raise ApiError(400, "InvalidOSSObject.NotFound", "The specified OSS object does not exist.")
            if not re.search(r"\.(qcow2|vhd|raw|img|vmdk|iso|raw\.tar\.gz)$", key, re.I):
                raise ApiError(400, "UnsupportedSuffix.OSSObject", "The suffix of the OSS object is not supported.")
            if objects[key] == 0:
                raise ApiError(400, "InvalidOSSObject.Size", "The specified OSS object is empty.")
            fmt = self.choice(req, "DiskDeviceMapping.%d.Format" % n, ("RAW", "VHD", "QCOW2", "VMDK"),
                              "InvalidImageFormat.Malformed", fold=True)
            need = -(-objects[key] // 2 ** 30)
            size = m.get("DiskImageSize") or m.get("DiskImSize")
            if size is not None and (not size.isdigit() or not 1 <= int(size) <= 2048
                                     or (n == 1 and int(size) < need)):
                raise ApiError(400, "InvalidImageSize", "The specified DiskImageSize is not valid.")
            size = int(size) if size else max(need, 20 if n == 1 else 1)
            disk = World._disk("", size, "/dev/xvd" + "abcdefghijklmnopq"[n - 1],
                               "system" if n == 1 else "data")
            disk.update(Format=fmt or key.rsplit(".", 1)[-1].upper(), ImportOSSBucket=bucket,
                        ImportOSSObject=key)
            disks.append(disk)

        def create():
            name = opts.get("ImageName", "")
            if name and self.world.name_taken(account, region, name):
                raise ApiError(400, "InvalidImageName.Duplicated", "The specified image name is already in use.")
            self.world.quota_check(account, region)
            task = Task(self.world.new_id(self.world.runtime_rng, "t", region), region, account,
                        "ImportImage", "Processing", time.time(), "",
                        related={"OSSBucket": first["OSSBucket"], "OSSObject": first["OSSObject"]})

            def done(img):
                img.busy.discard("importing")
                task.status = "Finished" if img.status == "Available" else "Failed"
                task.finished = time.time()
                task.pending = None
                if task.status == "Failed":
                    task.failed_reason = "The image file could not be converted."

            features = {k: v for k, v in (("NvmeSupport", nvme), ("ImdsSupport", imds)) if v}
            img = self.world.create_image("ImportImage", account, region, dict(
                name=name, description=opts.get("Description"), family=opts.get("ImageFamily", ""),
                os_type=os_type, platform=platform, arch=arch, boot=boot, license=license_type,
                size=disks[0]["Size"], disks=disks, tags=tags, resource_group=rg,
                features=features), on_done=done)
            img.busy.add("importing")
            task.resource_id = img.id
            task.pending = img.pending
            self.world.tasks[task.id] = task
            return {"ImageId": img.id, "TaskId": task.id, "RegionId": region}

        return self.idempotent(req, account, create)

    def _bucket(self, region, bucket):
        """The objects of a bucket that must be in `region`."""
        if bucket == bucket_name(region):
            return self.world.buckets[region]
        if any(bucket == bucket_name(r) for r in self.world.region_ids):
            raise ApiError(400, "InvalidOSSBucket.NotMatched",
                           "The specified OSS bucket is not in the region of the request.")
        raise ApiError(400, "InvalidOSSBucket.NotFound", "The specified OSS bucket does not exist.")

    def CopyImage(self, req, account):
        region = self.region(req)
        image_id = req.require("ImageId")
        dest = req.get("DestinationRegionId", region)
        if dest not in self.world.prefix:
            raise ApiError(400, "DestinationRegion.NotFound", "The specified destination region does not exist.")
        opts = self.image_options(req, ("DestinationImageName", "DestinationDescription"))
        encrypted = req.boolean("Encrypted", False)
        if req.get("KMSKeyId") is not None and not encrypted:
            raise ApiError(400, "InvalidParameter.EncryptedIllegal",
                           "KMSKeyId can only be specified when Encrypted is true.")
        rg = self.resource_group(req)
        tags = self.tags(req)

        def create():
            src = self.world.owned_image(account, region, image_id)
            if dest == region:
                raise ApiError(403, "IncorrectDestinationRegion",
                               "The destination region must differ from the source region.")
            if src.status != "Available":
                raise ApiError(400, "IncorrectImageStatus", "The image not available.")
            if src.fields["IsPublic"]:
                raise ApiError(403, "OperationDenied.CommunityImage", "Community images cannot be copied.")
            if "copying" in src.busy:
                raise ApiError(400, "OperationDenied.ImageCopyConflict",
                               "The specified image is already being copied.")
            name = opts.get("DestinationImageName")
            if name and self.world.name_taken(account, dest, name):
                raise ApiError(400, "InvalidImageName.Duplicated",
                               "The specified image name is already in use in the target region.")
            self.world.quota_check(account, dest)
            f = src.fields
            disks = [dict(d, SnapshotId=self.world.new_id(self.world.runtime_rng, "s", dest),
                          Encrypted=encrypted or d["Encrypted"])
                     for d in f["DiskDeviceMappings"]["DiskDeviceMapping"]]

            def done(img):
                src.busy.discard("copying")

            spec = dict(name=name or src.name,
                        description=opts.get("DestinationDescription", f.get("Description")),
                        family=f["ImageFamily"], version=f["ImageVersion"], size=f["Size"],
                        os_type=f["OSType"], platform=f["Platform"], arch=f["Architecture"],
                        os_name=f["OSName"], os_name_en=f["OSNameEn"], boot=f["BootMode"],
                        license=f["LicenseType"], features=f["Features"], disks=disks,
                        tags=tags, resource_group=rg, is_copied=True)
            copy = self.world.create_image("CopyImage", account, dest, spec, on_done=done)
            copy.copy_source = (region, src.id)
            src.busy.add("copying")
            return {"ImageId": copy.id}

        return self.idempotent(req, account, create)

    def CancelCopyImage(self, req, account):
        region = self.region(req)
        img = self.world.owned_image(account, region, req.require("ImageId"))
        if img.copy_source is None:
            raise ApiError(400, "ImageCreatedNotFromCopy",
                           "The specified image is not the target image of a copy action.")
        if img.pending is None:
            raise ApiError(400, "IncorrectImageStatus", "The copy has completed."
                           if img.status == "Available" else "The copy has been failed.")
        self.world.remove_image(img)
        src = self.world.images.get(img.copy_source[1])
        if src is not None:
            src.busy.discard("copying")
        return {}

    def ModifyImageSharePermission(self, req, account):
        region = self.region(req)
        img = self.world.owned_image(account, region, req.require("ImageId"))
        adds = list(req.indexed("AddAccount", limit=10).values())
        removes = list(req.indexed("RemoveAccount", limit=10).values())
        public = req.boolean("IsPublic")
        if img.status == "Deprecated":
            raise ApiError(403, "OperationDenied.InvalidImageStatus",
                           "Deprecated images cannot be shared.")
        if img.status != "Available":
            raise ApiError(400, "IncorrectImageStatus", "The image not available.")
        for acct in adds + removes:
            if acct == account:
                raise ApiError(404, "InvalidAccount.Forbbiden", "An image cannot be shared with its owner.")
            if acct not in KNOWN_ACCOUNT_IDS:
                raise ApiError(404, "InvalidAccount.NotFound",
                               "The specified account %s in parameter AddAccount.n or "
                               "RemoveAccount.n does not exist." % acct)
        after = (set(img.shared_with) | set(adds)) - set(removes)
        if len(after) > 50:
            raise ApiError(403, "QuotaExceed.ShareImageUser",
                           "The number of accounts the image is shared with exceeds the limit (50).")
        now = iso(time.time())
        for acct in adds:
            img.shared_with.setdefault(acct, now)
        for acct in removes:
            img.shared_with.pop(acct, None)
        if public is not None:
            img.fields["IsPublic"] = public
        img.touch()
        return {}

    def ExportImage(self, req, account):
        region = self.region(req)
        img = self.world.owned_image(account, region, req.require("ImageId"))
        bucket = req.require("OSSBucket")
        objects = self._bucket(region, bucket)
        prefix = req.get("OSSPrefix", "")
        if prefix and not re.fullmatch(r"[A-Za-z0-9]{1,30}", prefix):
            raise ApiError(400, "InvalidOSSPrefix.Malformed", "The specified OSSPrefix is wrongly formed.")
        fmt = self.choice(req, "ImageFormat", ("raw", "vhd", "qcow2", "vmdk", "vdi"),
                          "InvalidImageFormat.Malformed", "raw", fold=True)
        if img.fields["ProductCode"]:
            raise ApiError(403, "ImageNotSupported", "Marketplace images cannot be exported.")
        if img.status != "Available":
            raise ApiError(400, "IncorrectImageStatus", "The image not available.")
        if "exporting" in img.busy:
            raise ApiError(403, "ImageIsExporting", "The specified image is being exported.")
        task_id = self.world.new_id(self.world.runtime_rng, "t", region)
        key = "%s_%s_%s.%s" % (prefix or "EXPORT", img.id, task_id,
                               "raw.tar.gz" if fmt == "raw" else fmt)
        # a real export waits in a queue first (TaskStatus Waiting)
        task = Task(task_id, region, account, "ExportImage", "Waiting", time.time(), img.id,
                    related={"OSSBucket": bucket, "OSSObject": key, "ImageFormat": fmt.upper()})

        def done(t):
            img.busy.discard("exporting")
            if t.status == "Finished":
                objects[key] = img.fields["Size"] * 2 ** 30
            else:
                t.failed_reason = "The image could not be written to the OSS bucket."

        task.pending = Pending(self.world.create_seconds,
                               "Failed" if "emufail" in prefix.lower() else "Finished", done)
        self.world.pending_tasks.add(task)
        self.world.tasks[task_id] = task
        img.busy.add("exporting")
        return {"TaskId": task_id, "RegionId": region}

    def CancelTask(self, req, account):
        region = self.region(req)
        task = self._task(req, account, region)
        if task.action not in ("ImportImage", "ExportImage"):
            raise ApiError(403, "InvalidTaskId.TaskActionNotSupport",
                           "The specified task cannot be cancelled.")
        if task.status not in UNFINISHED_TASK:
            raise ApiError(403, "InvalidTaskId.IncorrectTaskStatus",
                           "The current status of the task does not support cancellation.")
        task.status, task.finished, task.pending = "Cancelled", time.time(), None
        self.world.pending_tasks.discard(task)
        img = self.world.images.get(task.resource_id)
        if img is not None:
            if task.action == "ImportImage":
                self.world.remove_image(img)
            img.busy.discard("exporting")
        return {}

    def ModifyImageAttribute(self, req, account):
        region = self.region(req)
        img = self.world.owned_image(account, region, req.require("ImageId"))
        opts = self.image_options(req)
        name = opts.get("ImageName")
        if name and name != img.name and self.world.name_taken(account, region, name, exclude=img):
            raise ApiError(400, "InvalidImageName.Duplicated", "The specified image name is already in use.")
        boot = self.choice(req, "BootMode", BOOT_MODES, "InvalidBootMode.NotSupport")
        if boot and boot != img.fields["BootMode"] and img.fields["Usage"] == "instance":
            raise ApiError(403, "OperationDeined.ImageUsingByInstance",
                           "The boot mode of an image in use by instances cannot be changed.")
        license_type = self.choice(req, "LicenseType", ("BYOL",), "InvalidLicenseType.NotSupported")
        nvme = self.choice(req, "Features.NvmeSupport", ("supported", "unsupported"), "InvalidParameter")
        imds = self.choice(req, "Features.ImdsSupport", ("v1", "v2"), "InvalidParameter.FeaturesImdsSupport")
        if imds == "v1" and img.fields["Features"].get("ImdsSupport") == "v2":
            raise ApiError(403, "InvalidOperation.FeaturesImdsSupportNotMatch",
                           "ImdsSupport cannot be changed from v2 to v1.")
        status = self.choice(req, "Status", ("Deprecated", "Available"), "InvalidParameter")
        if status == "Deprecated" and img.status != "Deprecated":
            if img.status != "Available":
                raise ApiError(403, "ImageStatus.NotAvailable", "Only an available image can be deprecated.")
            if img.shared_with:
                raise ApiError(403, "ImageUseShared", "The image is shared; unshare it before deprecating it.")
        if status == "Available" and img.status not in ("Available", "Deprecated"):
            raise ApiError(403, "ImageStatus.NotDeprecated", "Only a deprecated image can be restored.")
        f = img.fields
        for key, value in (("ImageName", name), ("Description", opts.get("Description")),
                           ("ImageFamily", opts.get("ImageFamily")), ("BootMode", boot),
                           ("LicenseType", license_type), ("Status", status)):
            if value is not None:
                f[key] = value
        if nvme or imds:
            f["Features"] = dict(f["Features"], **{k: v for k, v in
                                                   (("NvmeSupport", nvme), ("ImdsSupport", imds)) if v})
        img.fields = {k: f[k] for k in FIELD_ORDER if k in f}
        img.touch()
        return {}

    def DeleteImage(self, req, account):
        region = self.region(req)
        img = self.world.owned_image(account, region, req.require("ImageId"))
        force = req.boolean("Force", False)
        if "copying" in img.busy or (img.copy_source is not None and img.pending is not None):
            raise ApiError(403, "OperationDenied.ImageCopying",
                           "The image is being copied; cancel the copy first.")
        if "importing" in img.busy:
            raise ApiError(403, "ImageIsImporting", "The specified image is being imported.")
        if "exporting" in img.busy:
            raise ApiError(403, "ImageIsExporting", "The specified image is being exported.")
        if img.shared_with:
            raise ApiError(403, "ImageUseShared", "The image is shared with other accounts; unshare it first.")
        if img.fields["IsPublic"]:
            raise ApiError(403, "ImageIsPublic", "The image is a community image; unpublish it first.")
        if img.fields["Usage"] == "instance" and not force:
            raise ApiError(403, "ImageUsingByInstance",
                           "The image is in use by instances; use Force to delete it.")
        self.world.remove_image(img)
        return {}

    # -- OOS 2019-06-01 -------------------------------------------------------

    def StartExecution(self, req, account):
        region = self.region(req)
        template = req.get("TemplateName")
        if template is None:
            raise missing_parameter("TemplateName")
        if template != UPDATE_TEMPLATE:
            raise ApiError(404, "EntityNotExists.Template", "The Template (%s) does not exist." % template)
        params = self._json_param(req, "Parameters", dict)
        for key, value in params.items():
            if key not in TEMPLATE_PARAMETERS:
                raise ApiError(400, "InvalidParameter",
                               "The template parameter %s is not declared by %s." % (key, template))
            if not isinstance(value, TEMPLATE_PARAMETERS[key]) or isinstance(value, bool) != \
                    (TEMPLATE_PARAMETERS[key] is bool):
                raise ApiError(400, "InvalidParameter",
                               "The template parameter %s has the wrong type." % key)
        for key in ("sourceImageId", "instanceType"):
            if not params.get(key):
                raise ApiError(400, "MissingParameter", "The template parameter %s is required." % key)
        mode = self.choice(req, "Mode", ("Automatic", "Debug", "FailurePause"), "InvalidParameter", "Automatic")
        safety = self.choice(req, "SafetyCheck", ("Skip", "ConfirmEveryHighRiskAction"),
                             "InvalidParameter", "ConfirmEveryHighRiskAction")
        tags = self._json_param(req, "Tags", dict)

        def create():
            execution = Execution(self.world.new_id(self.world.runtime_rng, "exec", region), region,
                                  account, params, req.get("Parameters", "{}"), mode, safety, tags,
                                  req.get("Description", ""), req.get("ResourceGroupId", ""))
            self.world.executions[execution.id] = execution
            return {"Execution": execution.to_api(started=True)}

        return self.idempotent(req, account, create)

    @staticmethod
    def _json_param(req, name, kind):
        text = req.get(name, "{}")
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, kind):
            raise ApiError(400, "InvalidParameter", "The parameter %s is not a valid JSON object." % name)
        return value

    def ListExecutions(self, req, account):
        region = self.region(req)
        wanted = req.get("ExecutionId")
        status = req.get("Status")
        template = req.get("TemplateName")
        limit = req.integer("MaxResults", 50, 10, 100)
        token = req.get("NextToken", "0")
        if not token.isdigit():
            raise invalid_parameter("NextToken")
        found = sorted((e for e in self.world.executions.values()
                        if e.region == region and e.owner == account
                        and (wanted is None or e.id == wanted)
                        and (status is None or e.status == status)
                        and (template is None or template in e.template)),
                       key=lambda e: (-e.created, e.id))
        start = int(token)
        chunk = found[start:start + limit]
        out = {"Executions": [e.to_api() for e in chunk], "MaxResults": limit,
               "TotalCount": len(found)}
        if start + limit < len(found):
            out["NextToken"] = str(start + limit)
        return out

    def CancelExecution(self, req, account):
        region = self.region(req)
        execution = self.world.executions.get(req.require("ExecutionId"))
        if execution is None or execution.owner != account or execution.region != region:
            raise ApiError(404, "EntityNotExists.Execution", "The Execution does not exist.")
        execution.cancel()
        return {}


    # -- hygiene: instances, snapshots, tags, families ------------------------

    TOKEN_SKIP = TOKEN_IGNORED | {"NextToken", "MaxResults", "PageNumber", "PageSize"}

    def token_page(self, req, account, items):
        """NextToken/MaxResults paging over a stable list.  A token is bound
        to the account, the action and every other parameter (a token of
        another query is foreign: InvalidNextToken.Malformed) and expires
        token_ttl seconds after it was issued (InvalidNextToken.Expired).
        These two codes are the emulator's: the documentation names none.
        Without NextToken, PageNumber/PageSize still work (being retired)."""
        token = req.get("NextToken")
        if token is None and req.get("MaxResults") is None and req.get("PageNumber") is not None:
            number, size = self.page(req)
            chunk = items[(number - 1) * size:number * size]
            return chunk, {"TotalCount": len(items), "PageNumber": number, "PageSize": size}
        size = req.integer("MaxResults", 10, 1, 100)
        fingerprint = "%s|%s|%s|%r" % (self.world.seed, account, req.action,
                                       sorted((k, v) for k, v in req.pairs if k not in self.TOKEN_SKIP))
        start = 0
        if token is not None:
            m = re.fullmatch(r"([0-9a-f]{8})([0-9a-f]{8})([0-9a-f]{16})", token)
            if m is None or self._token_digest(fingerprint, m.group(1), m.group(2)) != m.group(3):
                raise ApiError(400, "InvalidNextToken.Malformed", "The specified NextToken is not valid.")
            if int(m.group(2), 16) + self.token_ttl < time.time():
                raise ApiError(400, "InvalidNextToken.Expired", "The specified NextToken has expired.")
            start = int(m.group(1), 16)
        chunk = items[start:start + size]
        next_token = ""
        if start + size < len(items):
            offset, issued = "%08x" % (start + size), "%08x" % int(time.time())
            next_token = offset + issued + self._token_digest(fingerprint, offset, issued)
        return chunk, {"TotalCount": len(items), "NextToken": next_token, "MaxResults": size}

    @staticmethod
    def _token_digest(fingerprint, offset, issued):
        return hashlib.sha256(("%s|%s|%s" % (fingerprint, offset, issued)).encode()).hexdigest()[:16]

    @staticmethod
    def json_ids(req, name, code):
        """A JSON array of at most 100 ids (InstanceIds, SnapshotIds)."""
        text = req.get(name)
        if text is None:
            return None
        try:
            ids = json.loads(text)
        except ValueError:
            ids = None
        if not isinstance(ids, list) or len(ids) > 100 or not all(isinstance(i, str) for i in ids):
            raise ApiError(403 if "Snapshot" in name else 400, code,
                           "The specified %s is not valid." % name)
        return set(ids)

    def tag_filter(self, req):
        """Tag.N.Key/Value of a Describe call: a function that tells whether
        a resource's tags match."""
        tags = req.indexed("Tag", ("Key", "Value"))
        if any(n < 1 or n > 20 for n in tags):
            raise ApiError(400, "InvalidTagCount", "The specified tags are beyond the permitted range.")
        if any("Key" not in t or t["Key"] == "" for t in tags.values()):
            raise ApiError(400, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")

        def match(resource_tags):
            have = {t["TagKey"]: t["TagValue"] for t in resource_tags.get("Tag", [])}
            return all(t["Key"] in have and ("Value" not in t or have[t["Key"]] == t["Value"])
                       for t in tags.values())
        return match

    def DescribeInstances(self, req, account):
        region = self.region(req)
        ids = self.json_ids(req, "InstanceIds", "InvalidInstanceIds.Malformed")
        status = req.get("Status")
        if status is not None and status not in ("Pending", "Running", "Starting", "Stopping", "Stopped"):
            raise ApiError(400, "InvalidStatus.ValueNotSupported", "The specified Status is not supported.")
        image_id, tags = req.get("ImageId"), self.tag_filter(req)
        found = [self.world.instance_view(i)
                 for i in sorted(self.world.instances.values(), key=lambda i: i["InstanceId"])
                 if i["RegionId"] == region and i["OwnerId"] == account
                 and (ids is None or i["InstanceId"] in ids)
                 and (status is None or i["Status"] == status)
                 and (image_id is None or i["ImageId"] == image_id) and tags(i["Tags"])]
        chunk, paging = self.token_page(req, account, found)
        return dict(paging, RegionId=region, Instances={"Instance": chunk})

    def DescribeSnapshots(self, req, account):
        region = self.region(req)
        ids = self.json_ids(req, "SnapshotIds", "InvalidSnapshotIds.Malformed")
        usage = req.get("Usage")
        if usage is not None and usage not in ("image", "disk", "image_disk", "none"):
            raise ApiError(404, "InvalidUsage", "The specifed Usage is not valid")
        status = req.get("Status", "all")
        if status not in ("progressing", "accomplished", "failed", "all"):
            raise ApiError(404, "InvalidStatus.NotFound", "The specified Status is not found")
        disk_type = req.get("SourceDiskType")
        if disk_type is not None and disk_type.lower() not in ("system", "data"):
            raise ApiError(404, "InvalidSourceDiskType", "The specifed SourceDiskType is not valid")
        tags = self.tag_filter(req)
        found = []
        for snap in sorted(self.world.snapshots.values(), key=lambda s: s["SnapshotId"]):
            if snap["RegionId"] != region or snap["OwnerId"] != account:
                continue
            view = self.world.snapshot_view(snap)
            if ((ids is None or snap["SnapshotId"] in ids)
                    and (usage is None or view["Usage"] == usage)
                    and status in ("all", view["Status"])
                    and (disk_type is None or disk_type.lower() == view["SourceDiskType"])
                    and tags(view["Tags"])):
                found.append(view)
        chunk, paging = self.token_page(req, account, found)
        return dict(paging, Snapshots={"Snapshot": chunk})

    def tag_target(self, req, account):
        """The region and images of TagResources/UntagResources."""
        region = self.region(req)
        rtype = req.get("ResourceType")
        if rtype is None:
            raise ApiError(404, "MissingParameter.ResourceType",
                           "The parameter - ResourceType should not be null")
        if rtype not in ("instance", "disk", "snapshot", "image", "securitygroup", "volume",
                         "eni", "ddh", "ddhcluster", "keypair", "launchtemplate",
                         "reservedinstance", "snapshotpolicy", "elasticityassurance",
                         "capacityreservation"):
            raise ApiError(404, "InvalidResourceType.NotFound",
                           "The ResourceType provided does not exist in our records.")
        ids = req.indexed("ResourceId")
        if not ids:
            raise missing_parameter("ResourceId.1")
        if len(ids) > 50 or any(n < 1 or n > 50 for n in ids):
            raise ApiError(400, "NumberExceed.ResourceIds",
                           "The ResourceIds parameter's number is exceed , Valid : 50")
        if rtype != "image":
            raise ApiError(403, "InvalidResourceId.NotSupported",
                           "The specified ResourceId does not support tagging.")
        images = []
        for image_id in ids.values():
            img = self.world.images.get(image_id)
            if img is None or img.region != region or img.owner != account:
                raise ApiError(404, "InvalidResourceId.NotFound",
                               "The specified ResourceIds are not found in our records.")
            images.append(img)
        return images

    def TagResources(self, req, account):
        images = self.tag_target(req, account)
        raw = req.indexed("Tag", ("Key", "Value"))
        if not raw:
            raise ApiError(404, "MissingParameter.Tags", "The parameter - Tags should not be null")
        if len(raw) > 20 or any(n > 20 for n in raw):
            raise ApiError(400, "NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : 20")
        if any("Key" not in t for t in raw.values()):
            raise ApiError(400, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")
        tags = self.tags(req)
        for img in images:
            have = {t["TagKey"]: t["TagValue"] for t in img.fields.get("Tags", {}).get("Tag", [])}
            have.update((t["TagKey"], t["TagValue"]) for t in tags)
            if len(have) > 20:
                raise ApiError(400, "OperationDenied.QuotaExceed",
                               "The quota of tags on resource is beyond permitted range.")
        for img in images:
            self.set_tags(img, tags, ())
        return {}

    def UntagResources(self, req, account):
        images = self.tag_target(req, account)
        keys = req.indexed("TagKey")
        if len(keys) > 20 or any(n > 20 for n in keys):
            raise ApiError(400, "NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : 20")
        remove_all = req.boolean("All", False)
        for img in images:
            drop = keys.values() if keys else (
                [t["TagKey"] for t in img.fields.get("Tags", {}).get("Tag", [])] if remove_all else [])
            self.set_tags(img, (), drop)
        return {}

    @staticmethod
    def set_tags(img, add, drop):
        """Add or overwrite the tags `add`, then remove the keys `drop`."""
        have = [dict(t) for t in img.fields.get("Tags", {}).get("Tag", [])]
        for tag in add:
            old = next((t for t in have if t["TagKey"] == tag["TagKey"]), None)
            if old is None:
                have.append(dict(tag))
            else:
                old["TagValue"] = tag["TagValue"]
        have = [t for t in have if t["TagKey"] not in set(drop)]
        fields = dict(img.fields, Tags={"Tag": have})
        img.fields = {k: fields[k] for k in FIELD_ORDER if k in fields}
        img.touch()

    def DescribeImageFromFamily(self, req, account):
        region = self.region(req)
        family = req.require("ImageFamily")
        newest = None
        for img in self.world.sorted_region(region):
            if (img.fields.get("ImageFamily") == family and img.status == "Available"
                    and (img.alias != "custom" or img.owner == account or account in img.shared_with)):
                newest = img
                break           # sorted newest first
        return {"Image": Raw(newest.json(account)) if newest is not None else {}}


# ---------------------------------------------------------------------------
# HTTP


# ---------------------------------------------------------------------------
# STS (2015-04-01) and the ECS instance metadata service
#
# Roles with trust policies and a maximum session duration, an OIDC provider
# (RRSA), temporary credentials that really expire, and a hardened-mode
# metadata service (IMDSv2 only) that serves an instance RAM role.  Every
# secret, security token and token issued here starts with a fixed prefix
# (or, for OIDC tokens, a fixed JWT header) so that logs can be searched for
# them; see ISSUED_PATTERNS.

STS_VERSION = "2015-04-01"
STS_ACTIONS = ("AssumeRole", "AssumeRoleWithOIDC", "GetCallerIdentity")
ISSUED_SECRET_PREFIX = "emu-issued-secret-"
ISSUED_TOKEN_PREFIX = "emu-issued-token-"
IMDS_TOKEN_PREFIX = "emu-imds-token-"
OIDC_ISSUER = "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c0emu"
OIDC_AUDIENCE = "sts.aliyuncs.com"
OIDC_PROVIDER_ARN = "acs:ram::%s:oidc-provider/ack-rrsa-c0emu" % OWNER_ID
OIDC_JWT_HEADER = base64.urlsafe_b64encode(
    b'{"alg":"RS256","kid":"emu-rrsa-1","typ":"JWT"}').rstrip(b"=").decode()
# The issuer's RS256 key (made for the emulator only; verified with e=65537).
OIDC_RSA_N = 0x9982686f54bfe9b26f653e320556d2cc6cf2a4e0f2e794e1c83bd3b3b06eec46e6b4d565ada9127b4fdde6965cc8b3b0ced288dacdc18856fef5d64fb1071064759be0c234d2bf965e0f788bd6427264b1ae9713a12130ce9d664615edbfa467781baff208ee160db3f7a8d195959dc21dd714fb526594549175d01eda4898e57d25f02c6844000ca7229077104b3eec894b46774d5b0345015ca18e314031a8df6de6b0d3b49ce38a0968d2ceac9a84e8a561b79a0326aa6b09fad308e23cfc9d3ace38750ed01ba8668947616dd628381c3ec1924ba9ef2f4b06a8ea92b91d687a2fabae680e6c2e854e6546fbc96e396b8dfe70a7ebe5e1d0dd40e82bf9fd
OIDC_RSA_D = 0xf13b697a6aa81b4b789a951e6e1d7eae191745daea5cda2de5477eeb857b0a7a70da03ef00f40c4313c316357c21399fc3a43dc3fa4b034212efa8951b108ac613bb9d7c131e8c4c740bc3d79c20573bbdad2b64817573097d77d6f366e61e292b29f75856882ec7e1e472bac86291c316b984135dec9b283a5df56c46828720ca3972589f3fa580895cff73e9d77ec016d0c9e3d6fcb3ee9753e99d46e1d02153d6774190adbf7205cc0a1ac97f29999d04d9064edd7c464bad7e9feb9d1e4dc81c086d5bfdd804943101ed94ee8fd258594fa3e88873c879b9bca4d52084873590b80afa75793479be4469a7282ba8db620f2794e9bd34d0faf73eafa51a9
OIDC_RSA_E = 65537
# Every issued secret, in logs and outputs (the secrets suite greps for these).
ISSUED_PATTERNS = (ISSUED_SECRET_PREFIX, ISSUED_TOKEN_PREFIX, IMDS_TOKEN_PREFIX, OIDC_JWT_HEADER)
ISSUED_RE = re.compile(r"(%s|%s|%s)[0-9]+|%s\.[A-Za-z0-9_.-]*" % (
    re.escape(ISSUED_SECRET_PREFIX), re.escape(ISSUED_TOKEN_PREFIX),
    re.escape(IMDS_TOKEN_PREFIX), re.escape(OIDC_JWT_HEADER)))
SESSION_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")
ROLE_ARN_RE = re.compile(r"^acs:ram::(\d{16}):role/([A-Za-z0-9.-]{1,64})$")
INSTANCE_CREDENTIAL_SECONDS = 6 * 3600


class Role:
    """A RAM role: who may assume it (its trust policy) and for how long."""

    def __init__(self, account, name, max_session=3600, accounts=(), service=None,
                 oidc=None, external_id=None, read_only=False):
        self.account = account
        self.name = name
        self.arn = "acs:ram::%s:role/%s" % (account, name)
        self.role_id = "3%017d" % (int(hashlib.sha256(self.arn.encode()).hexdigest(), 16) % 10 ** 17)
        self.max_session = max_session
        self.accounts = set(accounts)   # accounts whose RAM identities it trusts
        self.service = service          # a trusted service ("ecs.aliyuncs.com")
        self.oidc = oidc                # a trusted OIDC provider ARN
        self.external_id = external_id  # the sts:ExternalId condition
        self.read_only = read_only      # sessions may only call Describe*/List*/Get*


RAM_ROLES = [
    Role(OWNER_ID, "ecs-image-fdw-instance", service="ecs.aliyuncs.com"),
    Role(OWNER_ID, "image-admin", max_session=43200, accounts=[OWNER_ID]),
    Role(OWNER_ID, "rrsa-image-reader", oidc=OIDC_PROVIDER_ARN),
    Role(PEER_ID, "image-auditor", accounts=[OWNER_ID], external_id="emu-audit-2026",
         read_only=True),
    Role(PEER_ID, "image-admin", accounts=[OWNER_ID]),
    Role(PEER_ID, "no-trust"),
]
INSTANCE_ROLE = "ecs-image-fdw-instance"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rsa_pad(message, size):
    digest = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    return b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest


def oidc_token(expires_in=3600, audience=OIDC_AUDIENCE, issuer=OIDC_ISSUER,
               subject="system:serviceaccount:db:postgres", bad_signature=False):
    """An RS256 JWT such as the ACK RRSA webhook mounts into a pod."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": [audience], "sub": subject, "iat": now, "nbf": now,
              "exp": now + int(expires_in), "jti": uuid.uuid4().hex}
    signing_input = (OIDC_JWT_HEADER + "." + b64url(compact(claims).encode())).encode()
    size = (OIDC_RSA_N.bit_length() + 7) // 8
    sig = pow(int.from_bytes(rsa_pad(signing_input, size), "big"), OIDC_RSA_D, OIDC_RSA_N)
    if bad_signature:
        sig ^= 1
    return signing_input.decode() + "." + b64url(sig.to_bytes(size, "big"))


def oidc_verify(token):
    """The claims of a valid token; raises the STS error otherwise."""
    def invalid(message):
        return ApiError(401, "AuthenticationFail.OIDCToken.Invalid", message)
    if not token:
        raise invalid("The OIDCToken can not empty.")
    parts = token.split(".")
    if len(parts) != 3:
        raise invalid("The number of Jwt field should be divided into 3 parts with '.' .")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = int.from_bytes(b64url_decode(parts[2]), "big")
    except (ValueError, TypeError):
        raise invalid("Cannot decode base64 encoded response(format invalided).") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise invalid("The Jwt content is invalid that cannot be recognized.")
    if header.get("alg") != "RS256":
        raise invalid("The algorithm %s that be specified in Jwt header is unknown."
                      % header.get("alg"))
    size = (OIDC_RSA_N.bit_length() + 7) // 8
    signing_input = (parts[0] + "." + parts[1]).encode()
    if sig >= OIDC_RSA_N or pow(sig, OIDC_RSA_E, OIDC_RSA_N).to_bytes(size, "big") !=             rsa_pad(signing_input, size):
        raise ApiError(401, "AuthenticationFail.OIDCToken.InvalidSignature",
                       "OIDC token validate failed: invalid signature.")
    if claims.get("iss") != OIDC_ISSUER:
        raise invalid("The issuer of the OIDC token does not match the OIDC provider.")
    aud = claims.get("aud")
    if OIDC_AUDIENCE not in (aud if isinstance(aud, list) else [aud]):
        raise ApiError(401, "AuthenticationFail.OIDCToken.AudienceNotMatch", "Invalid audience.")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
        raise ApiError(401, "AuthenticationFail.OIDCToken.Expired", "This JsonWebToken is expired.")
    return claims


class Sts:
    """STS actions and the metadata service's state.  Issued credentials are
    Account objects with an expiry, looked up by Auth like the fixed keys."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.roles = {r.arn: r for r in RAM_ROLES}
        self.issued = {}            # access key id -> Account (with .expires)
        self.imds_tokens = {}       # token -> expiry
        self.instance_session = None
        self.reset()

    def reset(self):
        """Settings back to the command line's (issued credentials stay valid)."""
        with self.lock:
            self.duration_cap = self.args.sts_duration_cap
            self.instance_role = None if self.args.no_instance_role else INSTANCE_ROLE
            self.hardened = not self.args.imds_v1
            self.instance_session = None

    def settings(self, doc=None):
        """GET/POST /_emulator/sts."""
        with self.lock:
            if doc:
                unknown = set(doc) - {"duration_cap", "instance_role", "hardened"}
                if unknown:
                    raise ValueError("unknown field(s): %s" % ", ".join(sorted(unknown)))
                if "duration_cap" in doc:
                    if not is_int(doc["duration_cap"]) or doc["duration_cap"] < 0:
                        raise ValueError("duration_cap must be an integer >= 0")
                    self.duration_cap = doc["duration_cap"]
                    self.instance_session = None
                if "instance_role" in doc:
                    role = doc["instance_role"]
                    if role is not None and not isinstance(role, str):
                        raise ValueError("instance_role must be a role name or null")
                    self.instance_role = role
                    self.instance_session = None
                if "hardened" in doc:
                    self.hardened = bool(doc["hardened"])
            live = sum(1 for a in self.issued.values() if a.expires > time.time())
            return {"duration_cap": self.duration_cap, "instance_role": self.instance_role,
                    "hardened": self.hardened, "issued": len(self.issued), "live": live,
                    "oidc_provider_arn": OIDC_PROVIDER_ARN,
                    "roles": sorted(self.roles)}

    def issue(self, role, session, seconds):
        """New temporary credentials of a role session (call with self.lock)."""
        if self.duration_cap:
            seconds = min(seconds, self.duration_cap)
        rnd = random.SystemRandom()
        key_id = "STS.NT" + "".join(rnd.choice(string.ascii_letters + string.digits)
                                    for _ in range(22))
        cred = Account(role.account, key_id,
                       ISSUED_SECRET_PREFIX + "%020d" % rnd.randrange(10 ** 20),
                       "session %s of %s" % (session, role.arn),
                       token=ISSUED_TOKEN_PREFIX + "%040d" % rnd.randrange(10 ** 40))
        cred.expires = time.time() + seconds
        cred.role = role
        cred.session = session
        cred.read_only = role.read_only
        self.issued[key_id] = cred
        for k in [k for k, a in self.issued.items() if a.expires < time.time() - 3600]:
            del self.issued[k]
        return cred

    @staticmethod
    def credentials(cred):
        return {"AccessKeyId": cred.key_id, "AccessKeySecret": cred.secret,
                "SecurityToken": cred.token, "Expiration": iso(cred.expires)}

    @staticmethod
    def assumed(cred):
        return {"Arn": "acs:ram::%s:assumed-role/%s/%s" % (cred.account_id, cred.role.name,
                                                           cred.session),
                "AssumedRoleId": "%s:%s" % (cred.role.role_id, cred.session)}

    def _session_params(self, req, role):
        """RoleSessionName, DurationSeconds and Policy, checked."""
        session = req.require("RoleSessionName")
        if not SESSION_NAME_RE.match(session):
            raise ApiError(400, "InvalidParameter.RoleSessionName",
                           "The parameter RoleSessionName is wrongly formed.")
        seconds = req.get("DurationSeconds", "3600")
        if not seconds.isdigit() or not 900 <= int(seconds) <= role.max_session:
            raise ApiError(400, "InvalidParameter.DurationSeconds",
                           "The Min/Max value of DurationSeconds is 15min/%dhr."
                           % (role.max_session // 3600))
        policy = req.get("Policy")
        if policy is not None:
            if len(policy) > 2048:
                raise ApiError(400, "InvalidParameter.PolicySize",
                               "The parameter Policy is too long.")
            try:
                doc = json.loads(policy)
            except ValueError:
                doc = None
            if not isinstance(doc, dict) or "Statement" not in doc or "Version" not in doc:
                raise ApiError(400, "InvalidParameter.PolicyGrammar",
                               "The parameter Policy has not passed grammar check.")
        return session, int(seconds)

    def _role(self, req):
        arn = req.require("RoleArn")
        if not ROLE_ARN_RE.match(arn):
            raise ApiError(400, "InvalidParameter.RoleArn",
                           "The parameter RoleArn is wrongly formed.")
        role = self.roles.get(arn)
        if role is None:
            raise ApiError(404, "EntityNotExist.Role", "The role not exists: %s." % arn)
        return role

    def AssumeRole(self, req, account):
        caller = req.caller
        role = self._role(req)
        session, seconds = self._session_params(req, role)
        external_id = req.get("ExternalId")
        if external_id is not None and not EXTERNAL_ID_RE.match(external_id):
            raise ApiError(400, "InvalidParameter.ExternalId",
                           "The parameter ExternalId is wrongly formed.")
        if caller.account_id not in role.accounts or                 (role.external_id is not None and external_id != role.external_id):
            raise ApiError(403, "NoPermission",
                           "No permission perform sts:AssumeRole on this Role. Maybe you "
                           "should check the role's trust policy, or you should be "
                           "authorized by RAM.")
        with self.lock:
            cred = self.issue(role, session, seconds)
        return {"Credentials": self.credentials(cred), "AssumedRoleUser": self.assumed(cred)}

    def AssumeRoleWithOIDC(self, req, account):
        provider = req.require("OIDCProviderArn")
        token = req.require("OIDCToken")
        role = self._role(req)
        session, seconds = self._session_params(req, role)
        if provider != OIDC_PROVIDER_ARN:
            raise ApiError(401, "AuthenticationFail.NoPermission",
                           "No such OIDC Provider registered.")
        claims = oidc_verify(token)
        if role.oidc != provider:
            raise ApiError(401, "AuthenticationFail.NoPermission", "There is no permission")
        with self.lock:
            cred = self.issue(role, session, seconds)
        return {"Credentials": self.credentials(cred), "AssumedRoleUser": self.assumed(cred),
                "OIDCTokenInfo": {"Issuer": claims["iss"], "Subject": claims.get("sub", ""),
                                  "ClientIds": ",".join(claims["aud"] if isinstance(claims["aud"], list)
                                                        else [claims["aud"]]),
                                  "ExpirationTime": iso(claims["exp"]),
                                  "IssuanceTime": iso(claims.get("iat", 0))}}

    def GetCallerIdentity(self, req, account):
        caller = req.caller
        role = getattr(caller, "role", None)
        if role is not None:
            return {"IdentityType": "AssumedRoleUser", "AccountId": caller.account_id,
                    "PrincipalId": "%s:%s" % (role.role_id, caller.session),
                    "RoleId": role.role_id, "UserId": "",
                    "Arn": self.assumed(caller)["Arn"]}
        user_id = "2%017d" % (int(hashlib.sha256(caller.key_id.encode()).hexdigest(), 16) % 10 ** 17)
        return {"IdentityType": "RAMUser", "AccountId": caller.account_id,
                "PrincipalId": user_id, "UserId": user_id, "RoleId": "",
                "Arn": "acs:ram::%s:user/%s" % (caller.account_id, caller.key_id.lower())}

    # -- the metadata service ------------------------------------------------

    def metadata(self, method, path, headers):
        """(status, text) for a request to /latest/...; hardened mode only
        answers requests that carry a valid token."""
        now = time.time()
        with self.lock:
            if path == "/latest/api/token":
                if method != "PUT":
                    return 405, "Method Not Allowed"
                ttl = headers.get("x-aliyun-ecs-metadata-token-ttl-seconds", "")
                if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                    return 400, "Bad Request"
                token = IMDS_TOKEN_PREFIX + "%030d" % random.SystemRandom().randrange(10 ** 30)
                self.imds_tokens = {t: e for t, e in self.imds_tokens.items() if e > now}
                self.imds_tokens[token] = now + int(ttl)
                return 200, token
            if method != "GET":
                return 405, "Method Not Allowed"
            token = headers.get("x-aliyun-ecs-metadata-token")
            if token is None:
                if self.hardened:
                    return 403, "Forbidden"
            elif self.imds_tokens.get(token, 0) <= now:
                return 401, "Unauthorized"
            base = "/latest/meta-data/ram/security-credentials/"
            if path == base:
                if self.instance_role is None:
                    return 404, "Not Found"
                return 200, self.instance_role
            if not path.startswith(base) or path[len(base):] != self.instance_role:
                return 404, "Not Found"
            role = self.roles.get("acs:ram::%s:role/%s" % (OWNER_ID, self.instance_role))
            if role is None:
                return 404, "Not Found"
            cred = self.instance_session
            lifetime = min(INSTANCE_CREDENTIAL_SECONDS, self.duration_cap or INSTANCE_CREDENTIAL_SECONDS)
            if cred is None or cred.expires - now < lifetime / 2.0:
                cred = self.instance_session = self.issue(role, "ecs-instance", lifetime)
            return 200, compact(dict({"Code": "Success", "LastUpdated": iso(now)},
                                     **self.credentials(cred)))


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


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ecs-emulator/1.0"
    timeout = 120

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle
        # and delayed ACKs add 40 ms to some answers.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        self.end_headers()
        self.wfile.write(data)

    def reset(self):
        self.leave_flight()
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    # -- control endpoints ----------------------------------------------------

    def control(self, url, body):
        emu = self.server.emu
        path, method = url.path.rstrip("/"), self.command
        query = dict(urllib.parse.parse_qsl(url.query))
        status, doc = 200, {"ok": True}
        if path == "/_emulator/stats" and method == "GET":
            doc = emu.stats.to_json()
        elif path == "/_emulator/stats/reset" and method == "POST":
            emu.stats.reset()
        elif path == "/_emulator/faults" and method == "GET":
            doc = emu.faults.list()
        elif path == "/_emulator/faults" and method == "POST":
            try:
                doc = {"ok": True, "id": emu.faults.add(json.loads(body or b"null")).id}
            except ValueError as e:
                status, doc = 400, {"error": str(e)}
        elif (path == "/_emulator/faults" and method == "DELETE") or \
                (path == "/_emulator/faults/clear" and method == "POST"):
            emu.faults.clear()
        elif path == "/_emulator/images" and method == "GET":
            with emu.world.lock:
                emu.world.advance()
                doc = emu.world.truth(query.get("account"), query.get("region"),
                                      query.get("visible_to"))
        elif path in ("/_emulator/instances", "/_emulator/snapshots") and method == "GET":
            doc = self.hygiene_truth(path.rsplit("/", 1)[1], query)
        elif path == "/_emulator/instances" and method in ("POST", "DELETE"):
            try:
                with emu.world.lock:
                    if method == "POST":
                        doc = emu.world.instance_truth(emu.world.add_instance(json.loads(body or b"null")))
                    else:
                        emu.world.remove_instance(query.get("id"))
            except ValueError as e:
                status, doc = 400, {"error": str(e)}
        elif path == "/_emulator/seed" and method == "GET":
            with emu.world.lock:
                emu.world.advance()
                doc = emu.world.seed_doc()
        elif path == "/_emulator/reset" and method == "POST":
            emu.world.reset()
            emu.sts.reset()
            emu.faults.clear()
            emu.stats.reset()
        elif path == "/_emulator/sts" and method in ("GET", "POST"):
            try:
                doc = emu.sts.settings(json.loads(body or b"null") if method == "POST" else None)
            except ValueError as e:
                status, doc = 400, {"error": str(e)}
        elif path == "/_emulator/oidc-token" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                unknown = set(spec) - {"expires_in", "audience", "issuer", "bad_signature"}
                if unknown:
                    raise ValueError("unknown field(s): %s" % ", ".join(sorted(unknown)))
                doc = {"token": oidc_token(**spec), "provider_arn": OIDC_PROVIDER_ARN}
            except (ValueError, TypeError) as e:
                status, doc = 400, {"error": str(e)}
        elif path == "/_emulator/settings" and method in ("GET", "POST"):
            try:
                doc = self.settings(json.loads(body or b"null") if method == "POST" else None)
            except (ValueError, TypeError) as e:
                status, doc = 400, {"error": str(e)}
        elif path == "/_emulator/health" and method == "GET":
            doc = {"ok": True, "regions": len(emu.world.region_ids)}
        else:
            status, doc = 404, {"error": "no such control endpoint: %s %s" % (method, path)}
        self.send(status, compact(doc).encode())

    def settings(self, spec):
        """GET or POST /_emulator/settings: {"create_seconds": S} sets how long
        the creates, copies, imports and exports begun from now on take (a
        test that must see one unfinished sets it long for that call)."""
        world = self.server.emu.world
        if spec is not None:
            if not isinstance(spec, dict) or set(spec) - {"create_seconds"}:
                raise ValueError("settings take only create_seconds")
            if "create_seconds" in spec:
                value = spec["create_seconds"]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError("create_seconds must be a number of seconds >= 0")
                with world.lock:
                    world.create_seconds = float(value)
        return {"create_seconds": world.create_seconds}

    def hygiene_truth(self, what, query):
        """GET /_emulator/instances or /_emulator/snapshots: every one, with
        the owner and (snapshots) Usage and the images that hold it;
        ?region= and ?account= narrow it."""
        world = self.server.emu.world
        with world.lock:
            world.advance()
            items = world.instances if what == "instances" else world.snapshots
            truth = world.instance_truth if what == "instances" else world.snapshot_truth
            key = "InstanceId" if what == "instances" else "SnapshotId"
            return [truth(v) for v in sorted(items.values(), key=lambda v: (v["RegionId"], v[key]))
                    if query.get("region") in (None, v["RegionId"])
                    and query.get("account") in (None, v["OwnerId"])]

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


def loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv):
    accounts = "\n".join("  %-17s %-26s %-23s %s" % (a.account_id, a.key_id, a.secret, a.note)
                         for a in ACCOUNTS)
    epilog = ("default accounts (account id, access key id, secret, note):\n%s\n\n"
              "Images can also be shared with the key-less accounts %s..%s.\n"
              "An image whose name or description contains 'emu-fail' ends CreateFailed.\n"
              "Control endpoints (unsigned JSON): /_emulator/stats, /_emulator/faults,\n"
              "/_emulator/images, /_emulator/instances, /_emulator/snapshots, /_emulator/seed,\n"
              "/_emulator/reset; see README.md."
              % (accounts, DIRECTORY_ACCOUNTS[0], DIRECTORY_ACCOUNTS[-1]))
    p = argparse.ArgumentParser(
        prog="ecs_emulator.py", description="Loopback emulator of the ECS image API "
        "(2014-05-26) and the OOS execution API (2019-06-01).", epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="TCP port, 0 picks a free one (default 0)")
    p.add_argument("--port-file", help="write the listening port here (atomically) once ready")
    p.add_argument("--tls-cert", help="server certificate (PEM); serves HTTPS with --tls-key")
    p.add_argument("--tls-key", help="server private key (PEM)")
    p.add_argument("--regions", type=int, default=4,
                   help="number of regions, the first N of the fixed list (default 4, max %d)" % len(REGIONS))
    p.add_argument("--images-per-region", type=int, default=10,
                   help="owner images per region; the peer gets about half (default 10)")
    p.add_argument("--seed", default="1", help="seed of the generated data (default 1)")
    p.add_argument("--profile", choices=("default", "realistic"), default="default",
                   help="shape of the generated data: 'default' (every region alike, every "
                        "oddity the tests need) or 'realistic' (regions of different sizes and "
                        "purposes, for the demo; --images-per-region is the largest region)")
    p.add_argument("--extra-accounts", type=int, default=0,
                   help="keyed accounts beyond the fixed ones, each with its own images: "
                        "id 50000000000000NN, key LTAI5tEmuAcct000000000NN, "
                        "secret emu-acct-secret-00NN (default 0, max 99)")
    p.add_argument("--create-seconds", type=float, default=3.0,
                   help="seconds an image creation, copy, import or export takes (default 3)")
    p.add_argument("--latency-ms", type=float, default=0, help="added latency per API request")
    p.add_argument("--throttle-rate", type=float, default=0,
                   help="fraction of API requests answered Throttling.User")
    p.add_argument("--error-rate", type=float, default=0,
                   help="fraction answered 503 ServiceUnavailable or 500 InternalError")
    p.add_argument("--reset-rate", type=float, default=0,
                   help="fraction whose connection is reset without a response")
    p.add_argument("--qps-limit", type=float, default=0,
                   help="per-account requests per second; above it Throttling.User (default 0 = off)")
    p.add_argument("--page-size-max", type=int, default=100,
                   help="largest accepted PageSize (default 100)")
    p.add_argument("--token-ttl", type=float, default=600,
                   help="seconds a NextToken stays valid (default 600)")
    p.add_argument("--image-quota", type=int, default=0,
                   help="custom images per account and region; above it QuotaExceed.Image (0 = off)")
    p.add_argument("--clock-offset", type=float, default=0,
                   help="seconds added to the clock that Timestamp/x-acs-date are checked "
                        "against, to test clock skew (default 0)")
    p.add_argument("--log", help="append one JSON line per API request to this file")
    p.add_argument("--record", help="append each API request as it arrived (method, target, "
                   "headers in order, body; signature and token masked) to this file")
    p.add_argument("--metadata-port-file",
                   help="also serve the instance metadata service over plain HTTP on another "
                        "loopback port, written here once ready")
    p.add_argument("--sts-duration-cap", type=int, default=0,
                   help="issued STS credentials expire after at most this many seconds "
                        "(default 0 = as asked; also POST /_emulator/sts)")
    p.add_argument("--no-instance-role", action="store_true",
                   help="the emulated instance has no RAM role attached")
    p.add_argument("--imds-v1", action="store_true",
                   help="the metadata service also answers token-less (IMDSv1) requests; "
                        "by default it is in hardened mode")
    args = p.parse_args(argv)
    if not loopback(args.host):
        p.error("--host must be a loopback address")
    if not 1 <= args.regions <= len(REGIONS):
        p.error("--regions must be between 1 and %d" % len(REGIONS))
    if args.images_per_region < 0 or not 1 <= args.page_size_max <= 100:
        p.error("--images-per-region must be >= 0 and --page-size-max within 1..100")
    if not 0 <= args.extra_accounts <= 99:
        p.error("--extra-accounts must be within 0..99")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    for name in ("throttle_rate", "error_rate", "reset_rate"):
        if not 0 <= getattr(args, name) <= 1:
            p.error("--%s must be within 0..1" % name.replace("_", "-"))
    return args


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    emu = Emulator(args)
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    server = Server(args.host, args.port, emu, context)
    port = server.server_address[1]
    if args.metadata_port_file:
        metadata = Server(args.host, 0, emu)
        threading.Thread(target=metadata.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
        write_port_file(args.metadata_port_file, metadata.server_address[1])

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_port_file(args.port_file, port)
    sys.stderr.write("ecs_emulator: listening on %s://%s:%d (%d regions, %d images per region, "
                     "profile %s)\n" % ("https" if context else "http", args.host, port,
                                         args.regions, args.images_per_region, args.profile))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
