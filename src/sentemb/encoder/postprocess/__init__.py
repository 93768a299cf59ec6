"""Post-hoc transforms fitted on a frozen encoder's embeddings and applied by `SentenceEncoder.encode`:
BERT-whitening (`whitening.Whitening`) and BERT-flow (`flow.Flow`). Each is an nn.Module with
`fit(embeddings (N, D))` and `forward(x (N, D)) -> (N, D')`; `fitting.fit_postprocess` fits the configured one
(conf/postprocess/) on a corpus; `io` saves and loads it with the model."""

from sentemb.encoder.postprocess.flow import Flow
from sentemb.encoder.postprocess.io import load_postprocess, save_postprocess
from sentemb.encoder.postprocess.whitening import Whitening

__all__ = ["Flow", "Whitening", "load_postprocess", "save_postprocess"]
