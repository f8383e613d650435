# Pattern: tornado_settings for embedding JupyterLab in an iframe (common in course platforms
# and dashboards).
c = get_config()
c.ServerApp.tornado_settings = {
    "headers": {
        "Content-Security-Policy": "frame-ancestors 'self' https://lms.example.edu",
    },
}
c.ServerApp.allow_origin = "https://lms.example.edu"
c.ServerApp.ip = "0.0.0.0"
