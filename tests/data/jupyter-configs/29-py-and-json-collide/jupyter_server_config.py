# Pattern: a hand-written .py beside the .json that `jupyter server password` made (common: the
# person set a password once, then followed a tutorial for the rest).
c = get_config()
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.webbrowser_open_new = 0
