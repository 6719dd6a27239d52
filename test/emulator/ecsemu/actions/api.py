"""Api: checks an authenticated request's Action and Version and runs its
handler under the world lock; the helpers the handlers share."""

from ..common import (ApiError, ECS_VERSION, OOS_VERSION, STS_VERSION, invalid_parameter,
                      missing_parameter)
from ..request import TOKEN_IGNORED
from ..sts import STS_ACTIONS
from .images import ImageActions
from .oos import OosActions
from .resources import ResourceActions


class Api(ImageActions, ResourceActions, OosActions):
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
            if not req.action.startswith(("Describe", "List", "Get")):
                self.world.changed()
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

    def tag_filter(self, req, count_message="The specified tags are beyond the permitted range."):
        """Tag.N.Key/Value of a Describe call: a function that tells whether
        a resource's Tags match (each key present, with the value if given)."""
        tags = req.indexed("Tag", ("Key", "Value"))
        if any(n < 1 or n > 20 for n in tags):
            raise ApiError(400, "InvalidTagCount", count_message)
        if any("Key" not in t or t["Key"] == "" for t in tags.values()):
            raise ApiError(400, "InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.")
        if not tags:
            return lambda resource_tags: True

        def match(resource_tags):
            have = {t["TagKey"]: t["TagValue"] for t in resource_tags.get("Tag", [])}
            return all(t["Key"] in have and ("Value" not in t or have[t["Key"]] == t["Value"])
                       for t in tags.values())
        return match

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

    @staticmethod
    def choice(req, name, allowed, code, default=None, status=400, fold=False):
        value = req.get(name)
        if value is None:
            return default
        for a in allowed:
            if value == a or (fold and value.lower() == a.lower()):
                return a
        raise ApiError(status, code, 'The specified parameter "%s" is not valid.' % name)
