"""Shared plumbing of the estimators backed by a C++ model: validation,
fitted-state checks and pickling of the C++ state."""
from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data


class CoreBacked:
    """Mixin: the fitted C++ object lives in ``self._model``; it pickles as bytes."""

    _core_class = None  # the embetter._core class, set by subclasses

    def __getstate__(self):
        state = self.__dict__.copy()
        model = state.pop("_model", None)
        if model is not None:
            state["_model_bytes"] = bytes(model.to_bytes())
        return state

    def __setstate__(self, state):
        blob = state.pop("_model_bytes", None)
        self.__dict__.update(state)
        if blob is not None:
            self._model = self._core_class.from_bytes(blob)

    def __sklearn_is_fitted__(self):
        # The fitted state is the C++ model; its attribute name has no trailing "_"
        # for check_is_fitted to find.
        return "_model" in self.__dict__

    def _check_X(self, X, reset: bool):
        return validate_data(self, X, reset=reset, dtype=np.float32, order="C")

    def _fitted_X(self, X):
        check_is_fitted(self, "_model")
        return self._check_X(X, reset=False)


def seed_of(random_state):
    """sklearn's random_state: None, an int, or a RandomState (drawn from)."""
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)):
        return int(random_state) & 0xFFFFFFFFFFFFFFFF
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    raise ValueError(f"random_state must be None, an int or a numpy RandomState, got {random_state!r}")
