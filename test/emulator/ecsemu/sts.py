"""STS (2015-04-01): RAM roles with trust policies and a maximum session
duration, temporary credentials that really expire, and the actions
AssumeRole, AssumeRoleWithOIDC and GetCallerIdentity.  Every secret,
security token and token issued here starts with a fixed prefix (or, for
OIDC tokens, a fixed JWT header) so that logs can be searched for them;
see accounts.ISSUED_PATTERNS."""

import hashlib
import json
import random
import re
import string
import threading
import time

from .accounts import Account, ISSUED_SECRET_PREFIX, ISSUED_TOKEN_PREFIX, OWNER_ID, PEER_ID
from .common import ApiError, is_int, iso
from .metadata import MetadataService
from .oidc import OIDC_PROVIDER_ARN, oidc_verify


STS_ACTIONS = ("AssumeRole", "AssumeRoleWithOIDC", "GetCallerIdentity")

SESSION_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")
ROLE_ARN_RE = re.compile(r"^acs:ram::(\d{16}):role/([A-Za-z0-9.-]{1,64})$")


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


class Sts(MetadataService):
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
