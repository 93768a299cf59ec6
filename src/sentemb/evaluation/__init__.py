"""Evaluation: STS (SentEval/SimCSE protocol) and alignment/uniformity."""
