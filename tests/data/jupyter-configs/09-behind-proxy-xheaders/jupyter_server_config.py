# Pattern: a config written for running behind a reverse proxy: trust_xheaders, a base_url and
# remote access (common in nginx/traefik how-tos).
c = get_config()
c.ServerApp.trust_xheaders = True
c.ServerApp.base_url = "/jupyter/"
c.ServerApp.allow_remote_access = True
c.ServerApp.local_hostnames = ["localhost", "jupyter.internal"]
