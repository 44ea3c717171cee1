"""``python -m searchlib`` runs the ``search`` command."""

from .cli import main

if __name__ == "__main__":
    main()
