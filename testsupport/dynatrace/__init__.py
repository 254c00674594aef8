"""A faithful local Dynatrace API (HTTP/HTTPS on 127.0.0.1), a CONNECT proxy, a private CA, and an engine driver."""
