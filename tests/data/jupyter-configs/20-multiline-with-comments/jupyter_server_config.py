# Pattern: settings split over several lines with trailing comments (common in hand-maintained
# configs).
c = get_config()
c.ServerApp.ip = (
    "0.0.0.0"  # all interfaces
)
c.ServerApp.port = 8888  # the default
c.ServerApp.tornado_settings = {
    "static_url_prefix": "/static/",  # kept
}
