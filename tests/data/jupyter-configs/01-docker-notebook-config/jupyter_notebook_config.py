# Pattern: the classic Dockerfile `RUN echo "c.NotebookApp..." >> ~/.jupyter/jupyter_notebook_config.py`
# (common in data-science images and blog posts from the Notebook 5/6 era).
c.NotebookApp.ip = '0.0.0.0'
c.NotebookApp.port = 8888
c.NotebookApp.open_browser = False
c.NotebookApp.allow_root = True
