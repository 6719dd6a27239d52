"""World: all emulated state (images, instances, snapshots, tasks,
executions, client tokens) and the rules that advance asynchronous
changes."""

import random
import threading
import time

from .accounts import ACCOUNTS, DIRECTORY_ACCOUNTS, OWNER_ID
from .common import ApiError, iso
from .model import ALNUM, EXPORT_QUEUED_FRACTION, Execution, Image, Pending, bucket_name
from .regions import REGIONS
from .seed import Seeding


# text of DescribeImages pages kept until the world changes (World.listing)
LISTING_CACHE_BYTES = 64 << 20


class World(Seeding):
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
            self.changed()
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

    # -- image bookkeeping --------------------------------------------------

    def _add(self, img):
        self.images[img.id] = img
        self.by_region[img.region].append(img)
        self._sorted.pop(img.region, None)
        self.changed()

    def add_image(self, img):
        self._add(img)
        if img.pending is not None:
            self.pending_images.add(img)

    def remove_image(self, img):
        del self.images[img.id]
        self.by_region[img.region].remove(img)
        self._sorted.pop(img.region, None)
        self.changed()
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

    def changed(self):
        """Anything a listing shows may have changed: forget the listings'
        answers (see listing)."""
        self._listings = {}
        self._listing_bytes = 0

    def listing(self, key, compute, size=len):
        """compute(), the answer of a read-only listing, kept under `key`
        until the world changes: every action but Describe*/List*/Get*, an
        asynchronous change in progress (advance), an image added or removed
        and an instance started or released forget it.  At most
        LISTING_CACHE_BYTES of them (by `size`) are kept."""
        value = self._listings.get(key)
        if value is None:
            value = compute()
            self._listing_bytes += size(value)
            if self._listing_bytes > LISTING_CACHE_BYTES:
                self.changed()
            self._listings[key] = value
        return value

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
        if self.pending_images or self.pending_tasks or any(
                e.status not in Execution.TERMINAL for e in self.executions.values()):
            self.changed()
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
            self.changed()

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
