# Pattern: settings in the shared jupyter_config.py that every Jupyter app reads (common in
# site-wide configs).
c = get_config()
c.Application.log_level = "INFO"
c.ServerApp.port = 8000
c.JupyterApp.answer_yes = True
