# Pattern: type-annotated settings (seen in configs run through type checkers and linters).
c = get_config()
c.ServerApp.port: int = 8888
c.ServerApp.max_buffer_size: int = 536870912
