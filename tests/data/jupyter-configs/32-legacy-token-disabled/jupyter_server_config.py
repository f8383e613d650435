# Pattern: token auth switched off outright (common in "no password prompt" blog posts).
c = get_config()
c.ServerApp.token = ''
c.ServerApp.password = ''
c.ServerApp.disable_check_xsrf = False
c.IdentityProvider.token = ''
