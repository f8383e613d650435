# Pattern: a Dockerfile-generated jupyter_server_config.py with get_config() and a wide binding
# (common in JupyterLab 3/4 images).
c = get_config()  # noqa
c.ServerApp.ip = '*'
c.ServerApp.port = 8888
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True
c.ServerApp.quit_button = False
