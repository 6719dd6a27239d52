"""The objects of the model: images, their pending changes, tasks (import,
export) and OOS executions, with the rules for names and the facts of
their API form."""

import re
import string
import time

from .common import ApiError, compact, iso


# An export task is Waiting (queued) for this part of its time, then Processing.
EXPORT_QUEUED_FRACTION = 0.4
UNFINISHED_TASK = ("Waiting", "Processing")

ALNUM = string.ascii_lowercase + string.digits

PLATFORMS = {
    "Aliyun", "Anolis", "CentOS", "Ubuntu", "CoreOS", "SUSE", "Debian", "OpenSUSE",
    "FreeBSD", "RedHat", "Kylin", "UOS", "Fedora", "Fedora CoreOS", "CentOS Stream",
    "AlmaLinux", "Rocky Linux", "Gentoo", "Customized Linux", "Others Linux",
    "Windows Server 2022", "Windows Server 2019", "Windows Server 2016",
    "Windows Server 2012", "Windows Server 2008", "Windows Server 2003",
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

NAME_RE = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5.:_-]{1,127}$")


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
