#!/usr/bin/python3
"""Loopback emulator of the Alibaba Cloud ECS image API (2014-05-26) and the
OOS calls (2019-06-01) that ecs_image_fdw uses.

Standard library only.  It verifies RPC (HMAC-SHA1) and ACS3-HMAC-SHA256
signatures strictly, knows a fixed set of accounts, seeds deterministic
images per region, models the asynchronous image lifecycle, and injects
faults on demand.  See README.md beside this file.

This file is the entry point (python3 ecs_emulator.py ARGS); the emulator
is the package ecsemu/ beside it (README.md, Layout).
"""

import sys

from ecsemu.cli import main

if __name__ == "__main__":
    sys.exit(main())
