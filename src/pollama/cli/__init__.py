"""The ``pollama`` command line: a thin HTTP client of the server, plus rendering helpers."""
