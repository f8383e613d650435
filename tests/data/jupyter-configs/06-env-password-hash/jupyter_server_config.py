# Pattern: a password hash passed in through the environment, set only when present (common in
# cloud images that inject secrets at boot).
import os

c = get_config()
if "JUPYTER_PASSWORD_HASH" in os.environ:
    c.PasswordIdentityProvider.hashed_password = os.environ["JUPYTER_PASSWORD_HASH"]
c.ServerApp.root_dir = os.path.expanduser("~")
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash", "-l"]}
