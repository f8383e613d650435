# Pattern: settings inside a function that is called with the config (common in shared site
# configs that are imported by several images).
def configure(c):
    c.ServerApp.ip = "0.0.0.0"
    c.ServerApp.port = 8888


c = get_config()
configure(c)
c.ServerApp.allow_origin = "*"
