"""The ECS API emulator as a package; ecs_emulator.py beside it is the
entry point (python3 test/emulator/ecs_emulator.py ARGS).  Standard library
only.  Modules, from the bottom up (see README.md, Layout):

  common     versions, ApiError, encoding, timestamps, JSON output
  regions    regions, endpoints, which host serves what
  accounts   accounts, keys, secrets and redact()
  model      Image, Pending, Task, Execution and their rules
  seed       seed data; the default (Seeding) and realistic profiles
  world      World: all state and how asynchronous changes advance
  auth       RPC and ACS3 signature checking
  oidc       the OIDC provider (RRSA tokens)
  metadata   the instance metadata service (a mixin of Sts)
  sts        STS roles, issued credentials and actions
  faults     fault rules and plans
  stats      request statistics and the per-account rate limit
  request    ApiRequest, one parsed API request
  actions/   api (dispatch and shared helpers), images, resources, oos
  control    the /_emulator/ control endpoints (a mixin of Handler)
  server     Emulator, Handler, Server: HTTP(S) serving
  cli        options and main()
"""
