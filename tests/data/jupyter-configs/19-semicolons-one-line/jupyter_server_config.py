# Pattern: several settings on one line with semicolons (common in `echo` lines of CI scripts).
c = get_config(); c.ServerApp.ip = '0.0.0.0'; c.ServerApp.port = 8888
c.ServerApp.open_browser = False; c.ServerApp.allow_root = True
