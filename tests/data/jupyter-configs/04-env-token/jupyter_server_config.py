# Pattern: the token from the environment with a default (common in compose files and k8s charts).
import os
c = get_config()
c.ServerApp.token = os.environ.get("JUPYTER_TOKEN", "")
c.ServerApp.port = int(os.environ.get("JUPYTER_PORT", "8888"))
c.FileContentsManager.delete_to_trash = False
