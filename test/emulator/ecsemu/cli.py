"""The command line: options, checks, and main() (start the servers, write
the port files, stop on SIGTERM or SIGINT)."""

import argparse
import ipaddress
import os
import signal
import ssl
import sys
import threading

from .accounts import ACCOUNTS, DIRECTORY_ACCOUNTS
from .regions import REGIONS
from .server import Emulator, Server


def loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv):
    accounts = "\n".join("  %-17s %-26s %-23s %s" % (a.account_id, a.key_id, a.secret, a.note)
                         for a in ACCOUNTS)
    epilog = ("default accounts (account id, access key id, secret, note):\n%s\n\n"
              "Images can also be shared with the key-less accounts %s..%s.\n"
              "An image whose name or description contains 'emu-fail' ends CreateFailed.\n"
              "Control endpoints (unsigned JSON): /_emulator/stats, /_emulator/faults,\n"
              "/_emulator/images, /_emulator/instances, /_emulator/snapshots, /_emulator/seed,\n"
              "/_emulator/reset; see README.md."
              % (accounts, DIRECTORY_ACCOUNTS[0], DIRECTORY_ACCOUNTS[-1]))
    p = argparse.ArgumentParser(
        prog="ecs_emulator.py", description="Loopback emulator of the ECS image API "
        "(2014-05-26) and the OOS execution API (2019-06-01).", epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="TCP port, 0 picks a free one (default 0)")
    p.add_argument("--port-file", help="write the listening port here (atomically) once ready")
    p.add_argument("--tls-cert", help="server certificate (PEM); serves HTTPS with --tls-key")
    p.add_argument("--tls-key", help="server private key (PEM)")
    p.add_argument("--regions", type=int, default=4,
                   help="number of regions, the first N of the fixed list (default 4, max %d)" % len(REGIONS))
    p.add_argument("--images-per-region", type=int, default=10,
                   help="owner images per region; the peer gets about half (default 10)")
    p.add_argument("--seed", default="1", help="seed of the generated data (default 1)")
    p.add_argument("--profile", choices=("default", "realistic"), default="default",
                   help="shape of the generated data: 'default' (every region alike, every "
                        "oddity the tests need) or 'realistic' (regions of different sizes and "
                        "purposes, for the demo; --images-per-region is the largest region)")
    p.add_argument("--extra-accounts", type=int, default=0,
                   help="keyed accounts beyond the fixed ones, each with its own images: "
                        "id 50000000000000NN, key LTAI5tEmuAcct000000000NN, "
                        "secret emu-acct-secret-00NN (default 0, max 99)")
    p.add_argument("--create-seconds", type=float, default=3.0,
                   help="seconds an image creation, copy, import or export takes (default 3)")
    p.add_argument("--latency-ms", type=float, default=0, help="added latency per API request")
    p.add_argument("--throttle-rate", type=float, default=0,
                   help="fraction of API requests answered Throttling.User")
    p.add_argument("--error-rate", type=float, default=0,
                   help="fraction answered 503 ServiceUnavailable or 500 InternalError")
    p.add_argument("--reset-rate", type=float, default=0,
                   help="fraction whose connection is reset without a response")
    p.add_argument("--qps-limit", type=float, default=0,
                   help="per-account requests per second; above it Throttling.User (default 0 = off)")
    p.add_argument("--page-size-max", type=int, default=100,
                   help="largest accepted PageSize (default 100)")
    p.add_argument("--token-ttl", type=float, default=600,
                   help="seconds a NextToken stays valid (default 600)")
    p.add_argument("--image-quota", type=int, default=0,
                   help="custom images per account and region; above it QuotaExceed.Image (0 = off)")
    p.add_argument("--clock-offset", type=float, default=0,
                   help="seconds added to the clock that Timestamp/x-acs-date are checked "
                        "against, to test clock skew (default 0)")
    p.add_argument("--log", help="append one JSON line per API request to this file")
    p.add_argument("--record", help="append each API request as it arrived (method, target, "
                   "headers in order, body; signature and token masked) to this file")
    p.add_argument("--metadata-port-file",
                   help="also serve the instance metadata service over plain HTTP on another "
                        "loopback port, written here once ready")
    p.add_argument("--sts-duration-cap", type=int, default=0,
                   help="issued STS credentials expire after at most this many seconds "
                        "(default 0 = as asked; also POST /_emulator/sts)")
    p.add_argument("--no-instance-role", action="store_true",
                   help="the emulated instance has no RAM role attached")
    p.add_argument("--imds-v1", action="store_true",
                   help="the metadata service also answers token-less (IMDSv1) requests; "
                        "by default it is in hardened mode")
    args = p.parse_args(argv)
    if not loopback(args.host):
        p.error("--host must be a loopback address")
    if not 1 <= args.regions <= len(REGIONS):
        p.error("--regions must be between 1 and %d" % len(REGIONS))
    if args.images_per_region < 0 or not 1 <= args.page_size_max <= 100:
        p.error("--images-per-region must be >= 0 and --page-size-max within 1..100")
    if not 0 <= args.extra_accounts <= 99:
        p.error("--extra-accounts must be within 0..99")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    for name in ("throttle_rate", "error_rate", "reset_rate"):
        if not 0 <= getattr(args, name) <= 1:
            p.error("--%s must be within 0..1" % name.replace("_", "-"))
    return args


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    # A thread waiting for the interpreter lock wakes up every switch
    # interval; with a hundred connections waiting (the 8-account benchmark)
    # the default 5 ms made those wake-ups about a fifth of the emulator's
    # CPU time.  Handlers give the lock up on every read, write and sleep.
    sys.setswitchinterval(0.05)
    emu = Emulator(args)
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    server = Server(args.host, args.port, emu, context)
    port = server.server_address[1]
    if args.metadata_port_file:
        metadata = Server(args.host, 0, emu)
        threading.Thread(target=metadata.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
        write_port_file(args.metadata_port_file, metadata.server_address[1])

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_port_file(args.port_file, port)
    sys.stderr.write("ecs_emulator: listening on %s://%s:%d (%d regions, %d images per region, "
                     "profile %s)\n" % ("https" if context else "http", args.host, port,
                                         args.regions, args.images_per_region, args.profile))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
