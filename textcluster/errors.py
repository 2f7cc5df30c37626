"""Exception and warning types shared by the library and the CLI."""


from sklearn.exceptions import NotFittedError as _SklearnNotFitted


class InputError(ValueError):
    """Bad input data or arguments: the CLI prints the message on one line and exits with code 2."""


class NotFittedError(InputError, _SklearnNotFitted):
    """A component was used before ``fit`` (also a scikit-learn ``NotFittedError``)."""


def check_fitted(est, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``est`` has the fitted ``attribute``."""
    if not hasattr(est, attribute):
        raise NotFittedError(f"this {type(est).__name__} is not fitted yet; call fit first")


def check_k(k, n_items: int, what: str = "documents") -> None:
    """Raise :class:`InputError` unless ``k`` is a positive int no larger than ``n_items``: the one check of
    the cluster count, used by every clusterer and the pipeline (``what`` names the items in the message)."""
    check_int("k", k)
    if n_items < k:
        raise InputError(f"fewer {what} ({n_items}) than clusters (k={k}); lower k")


def check_token_docs(token_docs) -> None:
    """Refuse a generator or string where a sequence of token lists is read several times."""
    if isinstance(token_docs, (str, bytes)) or not hasattr(token_docs, "__len__"):
        raise InputError("token_docs must be a sequence of token lists (a list, not a generator or a string)")


def count_tokens(token_docs) -> int:
    """The number of tokens in ``token_docs`` (a sequence of n token lists), or :class:`InputError` for a
    generator or string (trainers read the documents several times) or a collection without any token."""
    check_token_docs(token_docs)
    n_tokens = int(sum(len(d) for d in token_docs))
    if n_tokens == 0:
        raise InputError("no tokens left after tokenization: every document is empty or filtered out")
    return n_tokens


def resolve_seed(random_state) -> int:
    """The int seed for ``random_state`` (None draws a fresh one): the one place seeds are resolved."""
    import numpy as np

    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        raise InputError(f"random_state must be an int or None, got {random_state!r}")
    return int(random_state)


def check_vectors(X):
    """``X`` as a non-empty, finite float32 array (n, d), or raise :class:`InputError`."""
    import numpy as np

    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] == 0:
        raise InputError(f"expected a non-empty 2-D array of vectors, got shape {X.shape}")
    if not all(np.isfinite(X[s:s + 65_536]).all() for s in range(0, len(X), 65_536)):  # blocks: X may be large
        raise InputError("vectors contain NaN or infinite values")
    return X


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


def check_number(name: str, value, *, minimum: float, strict: bool = False) -> None:
    """Raise :class:`InputError` unless ``value`` is a real number (not bool) ``>= minimum`` (``> minimum``
    when ``strict``)."""
    import numpy as np

    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and \
        (value > minimum if strict else value >= minimum)
    if not ok:
        raise InputError(f"{name} must be a number {'>' if strict else '>='} {minimum:g}, got {value!r}")


class TextclusterWarning(UserWarning):
    """Base class of the warnings textcluster emits (usable input that needed fixing)."""
