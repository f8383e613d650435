# Pattern: no `c = get_config()` at all, relying on the injected `c` (common in dotfiles).
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 9999
c.ServerApp.allow_origin = "*"
c.ContentsManager.allow_hidden = True
