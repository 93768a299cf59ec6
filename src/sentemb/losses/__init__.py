"""Losses over `ContrastivePairs` (anchors, candidates, positives, negative weights)."""
