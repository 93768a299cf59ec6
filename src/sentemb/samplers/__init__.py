"""Samplers: given a batch's embeddings, which pairs are positives and how each negative weighs."""

from sentemb.samplers.pairs import ContrastivePairs

__all__ = ["ContrastivePairs"]
