# Pattern: a token read from a file inside `if` + `with` blocks (common on shared lab machines).
import os

c = get_config()
token_file = os.path.expanduser("~/.jupyter-token-that-is-not-there")
if os.path.exists(token_file):
    with open(token_file) as f:
        c.IdentityProvider.token = f.read().strip()
c.ServerApp.port = 8888
