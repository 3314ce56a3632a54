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
"""

__title__ = "embetter"
__version__ = "0.1.0"
