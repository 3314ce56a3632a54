"""Components that pick the input of a pipeline out of a DataFrame or dicts."""
from embetter.base import EmbetterBase


class ColumnGrabber(EmbetterBase):
    """Grabs one column of a pandas DataFrame (or any mapping of columns) as a list.

    Args:
        colname: the column to grab.

    Example:
        >>> import pandas as pd
        >>> ColumnGrabber("text").fit_transform(pd.DataFrame({"text": ["a", "b"]}))
        ['a', 'b']
    """

    def __init__(self, colname: str) -> None:
        self.colname = colname

    def transform(self, X, y=None):
        """Returns ``X[colname]`` as a list."""
        try:
            column = X[self.colname]
        except KeyError:
            raise KeyError(f"ColumnGrabber: column '{self.colname}' not found in the input") from None
        return [x for x in column]


class KeyGrabber(EmbetterBase):
    """Like ColumnGrabber, for an iterable of dictionaries (or a single dictionary).

    Args:
        colname: the key to grab.
    """

    def __init__(self, colname: str) -> None:
        self.colname = colname

    def transform(self, X, y=None):
        """Returns ``[x[colname] for x in X]`` (or ``X[colname]`` for a dict)."""
        if isinstance(X, dict):
            return X[self.colname]
        return [x[self.colname] for x in X]
