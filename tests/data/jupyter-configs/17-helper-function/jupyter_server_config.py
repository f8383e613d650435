# Pattern: a small helper to read settings from the environment (common in dotfiles shared
# between machines).
import os


def env(name, default):
    return os.environ.get("JUPYTER_" + name, default)


c = get_config()
c.ServerApp.port = int(env("PORT", "8888"))
c.ServerApp.root_dir = env("ROOT", os.path.expanduser("~"))
c.ServerApp.open_browser = env("BROWSER", "") == "yes"
