# Pattern: get_config() used inline instead of a `c` variable (seen in old IPython-era configs).
get_config().ServerApp.port = 8888
get_config().ServerApp.open_browser = False
get_config().ServerApp.quit_button = False
