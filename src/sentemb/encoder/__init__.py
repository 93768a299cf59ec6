"""Encoders: a Hugging Face backbone, a pooling, an optional MLP head."""
