"""The seed data (OS catalog, system and marketplace images, names, tags,
buckets) and how a World is seeded: the default profile (Seeding, a mixin
of World) and the realistic one (RealisticSeed)."""

import calendar
import random
import time

from .accounts import DIRECTORY_ACCOUNTS, OWNER_ID, PEER_ID, RESOURCE_GROUPS
from .common import iso, parse_iso
from .model import Image, Task, bucket_name


SEED_START = calendar.timegm((2024, 1, 1, 0, 0, 0))
SEED_END = calendar.timegm((2026, 10, 31, 23, 59, 59))

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


class Seeding:
    """How a World is seeded in the default profile (the realistic one is
    RealisticSeed below): a mixin of World, which holds the state."""

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
        name = Seeding._unique(name, self.names[owner], rng)
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
