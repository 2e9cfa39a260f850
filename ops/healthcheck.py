"""The container's health check: is the daphne in this container answering `/healthz`?

Django answers 400 to a Host outside ALLOWED_HOSTS, and an operator's ALLOWED_HOSTS names the
public host, not 127.0.0.1: so the probe asks for the first allowed host. Plain Python, no
Django: it runs every few seconds and must cost next to nothing.

    python -m ops.healthcheck        exit 0 when /healthz answers 200, 1 otherwise
"""

import http.client
import os
import sys

DEFAULT_HOSTS = "localhost,127.0.0.1,[::1]"  # settings.ALLOWED_HOSTS's default
PORT = 8000  # the Dockerfile's CMD


def probe_host(allowed_hosts: str) -> str:
    """A Host header Django accepts: the first ALLOWED_HOSTS entry, made concrete."""
    for entry in (item.strip() for item in allowed_hosts.split(",")):
        if not entry:
            continue
        if entry == "*":
            return "localhost"
        return "healthcheck" + entry if entry.startswith(".") else entry  # a subdomain
    return "localhost"


def healthy(*, port: int, host: str, timeout: float = 3.0) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def main() -> int:
    host = probe_host(os.environ.get("ALLOWED_HOSTS", DEFAULT_HOSTS))
    return 0 if healthy(port=PORT, host=host) else 1


if __name__ == "__main__":
    sys.exit(main())
