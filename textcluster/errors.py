"""Exception and warning types shared by the library and the CLI."""


class InputError(ValueError):
    """Bad input data or arguments: the CLI prints the message on one line and exits with code 2."""


class ModelFileError(InputError):
    """A saved model directory is damaged, tampered with or foreign: the one exception loading raises.

    Anything a model file could do beyond describing data (name a callable, point outside its folder, hold
    an array of the wrong shape or dtype, a malformed safetensors header, JSON nested without bound) ends in
    this error before the model is used; the CLI prints it on one line and exits with code 2.
    """


def check_int(name: str, value, *, minimum: int = 1) -> None:
    """Raise :class:`InputError` unless ``value`` is an int (not bool) of at least ``minimum``."""
    import numpy as np

    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise InputError(f"{name} must be {wanted}, got {value!r}")


class TextclusterWarning(UserWarning):
    """Base class of the warnings textcluster emits (usable input that needed fixing)."""
