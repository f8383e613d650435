# Pattern: one config for several environments with if/elif/else (common in team repos).
import os

c = get_config()
stage = os.environ.get("STAGE", "dev")
if stage == "prod":
    c.ServerApp.ip = "0.0.0.0"
elif stage == "staging":
    c.ServerApp.ip = "10.0.0.5"
else:
    c.ServerApp.port = 9000
c.ServerApp.autoreload = False
