"""Evaluation: the evaluators (STS and its SentEval/SimCSE protocol, Chinese STS, alignment/uniformity, clustering,
intent), the dev sets (`dev_sets`) and a run's evaluators built once (`plan`)."""
