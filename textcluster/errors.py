"""Exception and warning types shared by the library and the CLI."""


class InputError(ValueError):
    """Bad input data or arguments: the CLI prints the message on one line and exits with code 2."""


def check_int(name: str, value, *, minimum: int = 1) -> None:
    """Raise :class:`InputError` unless ``value`` is an int (not bool) of at least ``minimum``."""
    import numpy as np

    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise InputError(f"{name} must be {wanted}, got {value!r}")


class TextclusterWarning(UserWarning):
    """Base class of the warnings textcluster emits (usable input that needed fixing)."""
