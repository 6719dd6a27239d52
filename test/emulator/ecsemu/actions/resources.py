"""The ECS hygiene actions: instances, snapshots, tags, and NextToken paging."""

import hashlib
import json
import re
import time

from ..common import ApiError, missing_parameter
from ..model import FIELD_ORDER
from ..request import TOKEN_IGNORED


class ResourceActions:
    """The ECS hygiene actions: instances, snapshots, tags and NextToken
    paging: a mixin of Api."""

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
