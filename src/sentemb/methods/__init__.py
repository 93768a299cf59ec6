"""Lightning modules joining an encoder, a sampler and a loss."""
