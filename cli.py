"""Checkout shim: ``python cli.py ...`` is the same as the ``textcluster`` console script."""
from textcluster.cli import main

if __name__ == "__main__":
    main()
