"""Finetuners: small networks that bend an embedding space towards labels, and
finetuning of the encoder itself (SbertLearner, BodyTuner)."""
from embetter.finetune._body import BodyTuner, SbertLearner
from embetter.finetune._contrastive import ContrastiveLearner, ContrastiveTuner
from embetter.finetune._forward import FeedForwardTuner, ForwardFinetuner
from embetter.finetune._labels_file import read_labels

__all__ = ["FeedForwardTuner", "ForwardFinetuner", "ContrastiveTuner", "ContrastiveLearner", "SbertLearner",
           "BodyTuner", "read_labels"]
