# Pattern: a setting that is the only statement of an `if` body (docker-stacks style start-up
# config, where the token comes from the environment only when given).
from os import getenv

c = get_config()
if getenv("JUPYTER_TOKEN") is not None:
    c.ServerApp.token = getenv("JUPYTER_TOKEN")
c.ServerApp.ip = "0.0.0.0"
c.MappingKernelManager.cull_idle_timeout = 3600
