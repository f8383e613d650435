# Pattern: a teaching server's resource limits: kernel culling and no-activity shutdown (common
# in course and workshop setups).
c = get_config()
c.MappingKernelManager.cull_idle_timeout = 1800
c.MappingKernelManager.cull_interval = 300
c.MappingKernelManager.cull_connected = False
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8000
c.ServerApp.open_browser = False
