# Pattern: a cloud marketplace image's config: root_dir under the default user, allow_root,
# no quit button (common in AMIs and VM images).
c = get_config()
c.ServerApp.root_dir = "/var/tmp"
c.ServerApp.notebook_dir = "/var/tmp"
c.ServerApp.allow_root = True
c.ServerApp.quit_button = False
c.ServerApp.ip = "*"
