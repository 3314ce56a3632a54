"""Finetuners: small networks that bend an embedding space towards labels."""
from embetter.finetune._contrastive import ContrastiveLearner, ContrastiveTuner
from embetter.finetune._forward import FeedForwardTuner, ForwardFinetuner
from embetter.finetune._labels_file import read_labels

__all__ = ["FeedForwardTuner", "ForwardFinetuner", "ContrastiveTuner", "ContrastiveLearner", "read_labels"]
