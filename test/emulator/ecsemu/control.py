"""The control endpoints /_emulator/... (unsigned JSON; see README.md)."""

import json
import urllib.parse

from .common import compact
from .oidc import OIDC_PROVIDER_ARN, oidc_token


class Control:
    """The control endpoints /_emulator/... (unsigned JSON): a mixin of Handler."""

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
