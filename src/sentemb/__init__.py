"""sentemb: contrastive sentence embeddings on PyTorch Lightning and Hydra.

    from sentemb import SentenceEncoder
    SentenceEncoder.load("runs/.../model").encode(["a sentence"], batch_size=64)  # -> np.ndarray (N, D)
"""

__version__ = "0.1.0"
__all__ = ["SentenceEncoder", "__version__"]


def __getattr__(name: str):
    # Lazy: `import sentemb` stays cheap (no torch/transformers import) for the CLI and config tooling.
    if name == "SentenceEncoder":
        from sentemb.encoder.sentence_encoder import SentenceEncoder

        return SentenceEncoder
    raise AttributeError(name)
