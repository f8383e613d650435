# Pattern: settings applied in a loop with setattr (common in images that map env vars to
# traits); nothing here names a trait statically, so only the loaded config shows the override.
c = get_config()
for name, value in {"ip": "0.0.0.0", "open_browser": False}.items():
    setattr(c.ServerApp, name, value)
