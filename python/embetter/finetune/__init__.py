"""Finetuners: small networks that bend an embedding space towards labels."""
from embetter.finetune._contrastive import ContrastiveLearner, ContrastiveTuner
from embetter.finetune._forward import FeedForwardTuner, ForwardFinetuner

__all__ = ["FeedForwardTuner", "ForwardFinetuner", "ContrastiveTuner", "ContrastiveLearner"]
