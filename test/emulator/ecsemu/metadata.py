"""The ECS instance metadata service: IMDSv2 tokens and the instance RAM
role's credentials."""

import random
import time

from .accounts import IMDS_TOKEN_PREFIX, OWNER_ID
from .common import compact, iso


INSTANCE_CREDENTIAL_SECONDS = 6 * 3600


class MetadataService:
    """The ECS instance metadata service (100.100.100.200 on a real
    instance): a mixin of Sts, whose credentials it serves."""

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
