# Pattern: a config that reaches for the running application with ServerApp.instance() (common
# in configs that log or tweak things at load time).
from jupyter_server.serverapp import ServerApp

c = get_config()
app = ServerApp.instance()
app.log.info("site config loaded for %s", app.name)
c.ServerApp.port = 8890
c.ServerApp.shutdown_no_activity_timeout = 0
