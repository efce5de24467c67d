"""`python -m pollama`: the same entry point as the `pollama` console script."""

from pollama.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
