# Pattern: a required environment variable read with os.environ[...] (common in containers,
# where the variable is always set; on a server it is not, and Jupyter cannot load the file).
import os

c = get_config()
c.ServerApp.tornado_settings = {"static_url_prefix": os.environ["STATIC_PREFIX_THAT_IS_NOT_SET"]}
