#!/usr/bin/python3
"""The demo's meter (test/demo.sql calls it from psql backquotes).

Counts what each demo query cost: the API requests the emulator saw
(GET /_emulator/stats, reset before the query) and the time on the client's
clock; sets the emulator's faults for the fault steps; numbers the steps
and keeps the totals for the summary in the file $DEMO_STATE.

  demo_meter.py step TITLE          "── Step N · TITLE ──"
  demo_meter.py start               zero the emulator's stats; print the time (ns)
  T1=ns demo_meter.py cost T0 [LABEL]
                                    "3 requests, 41 ms, up to 2 at once" for the
                                    query that ran from T0 to T1 (T1 defaults
                                    to now); LABEL keeps it for compare
  demo_meter.py compare LABEL LABEL how much faster the second was
  demo_meter.py throttle REGION N   the next N DescribeImages requests in REGION
                                    are answered Throttling.User
  demo_meter.py fail REGION         every DescribeImages request in REGION fails (503)
  demo_meter.py clear               remove the faults
  demo_meter.py truth REGION        how many images the emulator holds there for
                                    the owner (own and shared with it)
  demo_meter.py expect CODE N       fail unless N requests since start were answered CODE
  demo_meter.py summary             "N steps, N API requests, N s"

A command that fails prints why on stderr, exits 1 and appends the reason to
$DEMO_STATE.errors, which test/demo.sh checks after the tour (psql does not
stop when a backquoted command fails).

EMU_URL and EMU_CA name the emulator (test/lib.sh exports them).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "emulator"))
import emuctl  # noqa: E402

OWNER = "1234567890123456"
RULE = 64


def load():
    try:
        with open(os.environ["DEMO_STATE"]) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"steps": 0, "requests": 0, "costs": {}, "start": time.time_ns()}


def save(state):
    with open(os.environ["DEMO_STATE"], "w") as f:
        json.dump(state, f)


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def duration(ns):
    ms = ns / 1e6
    return "%.0f ms" % ms if ms < 1000 else "%.1f s" % (ms / 1000)


def main(argv):
    cmd, args = argv[0], argv[1:]
    state = load()
    client = emuctl.Client()
    if cmd == "step":
        state["steps"] += 1
        head = "── Step %d · %s " % (state["steps"], args[0])
        print("\n" + head + "─" * max(3, RULE - len(head)))
    elif cmd == "start":
        client.control("POST", "stats/reset")
        print(time.time_ns())
    elif cmd == "cost":
        t1 = int(os.environ.get("T1") or time.time_ns())
        elapsed = t1 - int(args[0])
        stats = client.control("GET", "stats")
        n = stats["total"]
        state["requests"] += n
        if len(args) > 1:
            state["costs"][args[1]] = [n, elapsed]
        codes = ", ".join("%d answered %s" % (c, code)
                          for code, c in sorted(stats["by_code"].items()))
        at_once = stats["max_in_flight"]
        accounts = stats.get("by_account", {})
        if len(accounts) > 1:
            codes = ", ".join(filter(None, [codes, "; ".join(
                "%s from account %s" % (c, a) for a, c in sorted(accounts.items()))]))
        print("→ %s%s, %s%s" % (plural(n, "request"), " (%s)" % codes if codes else "",
                                duration(elapsed),
                                ", up to %d at once" % at_once if at_once > 1 else ""))
    elif cmd == "compare":
        (n1, t1), (n2, t2) = state["costs"][args[0]], state["costs"][args[1]]
        print("→ %s: %s in %s; %s: %s in %s (%.1f× faster)"
              % (args[0], plural(n1, "request"), duration(t1), args[1],
                 plural(n2, "request"), duration(t2), t1 / max(t2, 1)))
    elif cmd == "throttle":
        client.control("POST", "faults", {"kind": "throttle", "action": "DescribeImages",
                                          "region": args[0], "count": int(args[1])})
        print("emulator: the next %s DescribeImages requests in %s answer Throttling.User"
              % (args[1], args[0]))
    elif cmd == "fail":
        client.control("POST", "faults", {"kind": "error", "action": "DescribeImages",
                                          "region": args[0]})
        print("emulator: every DescribeImages request in %s now answers 503 ServiceUnavailable"
              % args[0])
    elif cmd == "clear":
        client.control("POST", "faults/clear")
        print("emulator: faults removed")
    elif cmd == "truth":
        images = client.control("GET", "images?region=%s&visible_to=%s" % (args[0], OWNER))
        print("emulator: the account has %s in %s (own and shared with it)"
              % (plural(len(images), "image"), args[0]))
    elif cmd == "expect":
        got = client.control("GET", "stats")["by_code"].get(args[0], 0)
        if got != int(args[1]):
            raise RuntimeError("expected %s requests answered %s, not %d" % (args[1], args[0], got))
    elif cmd == "summary":
        print("%s, %s, %s" % (plural(state["steps"], "step"),
                              plural(state["requests"], "API request"),
                              duration(time.time_ns() - state["start"])))
    else:
        raise SystemExit("demo_meter.py: unknown command %r" % cmd)
    save(state)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (Exception, SystemExit) as e:   # emuctl raises SystemExit on a control error
        if isinstance(e, SystemExit) and e.code in (0, None):
            raise
        reason = "demo_meter.py %s: %s" % (" ".join(sys.argv[1:]), e)
        with open(os.environ["DEMO_STATE"] + ".errors", "a") as f:
            f.write(reason + "\n")
        sys.stderr.write(reason + "\n")
        sys.exit(1)
