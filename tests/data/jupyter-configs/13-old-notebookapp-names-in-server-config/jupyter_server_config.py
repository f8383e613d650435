# Pattern: old NotebookApp names copied into a server config (common after a Notebook 6 -> Lab
# upgrade: the file was renamed but not rewritten).
c = get_config()
c.NotebookApp.ip = '*'
c.NotebookApp.port = 8888
c.NotebookApp.notebook_dir = '/srv/notebooks'
c.NotebookApp.password = u'sha1:0e5fa5bdca69:4f1ab3e2b7b7b6f33b6f6f3e5c2b6d8e2a8f9a71'
c.NotebookApp.iopub_data_rate_limit = 1.0e10
