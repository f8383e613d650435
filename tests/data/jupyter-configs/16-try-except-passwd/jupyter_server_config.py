# Pattern: a password computed at load time with whichever passwd() is importable (common in
# older Dockerfiles that pass PASSWORD as a build arg).
import os

try:
    from jupyter_server.auth import passwd
except ImportError:
    from notebook.auth import passwd

c = get_config()
c.ServerApp.password = passwd(os.environ.get("PASSWORD", "changeme"), "sha1")
c.ServerApp.ip = "0.0.0.0"
