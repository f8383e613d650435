# Pattern: a Config used as a dict (common in configs generated from YAML or another tool).
c = get_config()
c.ServerApp["ip"] = "0.0.0.0"
c.ServerApp["port"] = 8888
c.ServerApp["allow_origin_pat"] = r"https://.*\.example\.org"
