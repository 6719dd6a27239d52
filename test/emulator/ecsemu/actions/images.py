"""The ECS image actions: regions, images, tasks, sharing, and the image
lifecycle (create, import, copy, export, modify, delete)."""

import re
import time

from ..accounts import KNOWN_ACCOUNT_IDS
from ..common import ApiError, Raw, dump, invalid_parameter, iso, missing_parameter, parse_iso
from ..model import (ARCHITECTURES, BOOT_MODES, FIELD_ORDER, PLATFORMS, Pending, Task,
                     UNFINISHED_TASK, bucket_name, check_description, check_name)
from ..regions import LOCAL_NAMES, region_endpoint
from ..request import TOKEN_IGNORED
from ..world import World


class ImageActions:
    """The ECS image actions (regions, images, tasks, sharing, the image
    lifecycle): a mixin of Api."""

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
        tag_match = self.tag_filter(req, "The maximum number of Tags is exceeded.")
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
        # the same listing (its parameters but the paging ones, in the order
        # sent) is filtered once until the world changes, and each of its
        # pages serialised once
        key = (account, tuple((k, v) for k, v in req.pairs
                              if k not in TOKEN_IGNORED and k not in ("PageNumber", "PageSize")))
        matches = self.world.listing(key, lambda: self._match_images(
            req, account, region, alias, is_public, owner_id, statuses, checks, tag_match, start, end),
            size=lambda m: 0)
        chunk = self.world.listing((key, number, size), lambda: Raw(dump({"Image": [
            Raw(i.json(account)) for i in matches[(number - 1) * size:number * size]]})),
            size=lambda r: len(r.text))
        return {"RegionId": region, "TotalCount": len(matches), "PageNumber": number,
                "PageSize": size, "Images": chunk}

    def _match_images(self, req, account, region, alias, is_public, owner_id, statuses, checks,
                      tag_match, start, end):
        """The images of a DescribeImages listing, in the API's order."""
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
            if not tag_match(f.get("Tags", {})):
                continue
            matches.append(img)
        return matches

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

    def _room_for_image(self, account, region, name, where=""):
        """A new image of the account in the region: its name (if any) must
        be free there (InvalidImageName.Duplicated) and the quota must allow
        one more."""
        if name and self.world.name_taken(account, region, name):
            raise ApiError(400, "InvalidImageName.Duplicated",
                           "The specified image name is already in use%s." % where)
        self.world.quota_check(account, region)

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
            self._room_for_image(account, region, name)
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
            self._room_for_image(account, region, name)
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
            self._room_for_image(account, dest, name, " in the target region")
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
