# Pattern: one-line `if` statements (common in terse dotfiles).
import os

c = get_config()
if os.environ.get("REMOTE"): c.ServerApp.ip = "0.0.0.0"
if os.environ.get("NO_BROWSER", "1"): c.ServerApp.open_browser = False
c.ServerApp.disable_check_xsrf = False
