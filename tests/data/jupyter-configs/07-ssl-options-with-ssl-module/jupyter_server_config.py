# Pattern: TLS with certfile/keyfile next to the config and ssl_options built with the `ssl`
# module (common in "secure your notebook server" tutorials).
import os
import ssl

here = os.path.dirname(os.path.abspath(__file__))
c = get_config()
c.ServerApp.certfile = os.path.join(here, "tls", "cert.pem")
c.ServerApp.keyfile = os.path.join(here, "tls", "key.pem")
c.ServerApp.ssl_options = {"ssl_version": ssl.PROTOCOL_TLS_SERVER}
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8443
