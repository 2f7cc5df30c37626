"""Exception and warning types shared by the library and the CLI."""


class InputError(ValueError):
    """Bad input data or arguments: the CLI prints the message on one line and exits with code 2."""


class TextclusterWarning(UserWarning):
    """Base class of the warnings textcluster emits (usable input that needed fixing)."""
