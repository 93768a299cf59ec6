"""Cached-gradient training step (GradCache; Gao et al., 2021, "Scaling Deep Contrastive Learning Batch Size
under Memory Limited Setup"): the loss over a large batch from embeddings computed in mini-batches.

1. Embed each chunk without a graph, recording the RNG state before it.
2. Loss over all embeddings (gathered across devices as usual); gradient w.r.t. the embeddings only.
3. Re-embed each chunk with its RNG state replayed (same dropout masks as step 1) and back-propagate the
   cached embedding gradient through it. Peak activation memory is one chunk's, not the batch's.

Each chunk goes through `module.embed`, which encodes it in length-sorted sub-batches (model.sub_batches):
the sub-batches depend only on the chunk's token lengths, so the replay of step 3 runs the same forward
passes in the same order and draws the same dropout masks as step 1.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.data.batches import Batch


class ReplayRNG:
    """Captures the CPU (and CUDA) RNG state now; `with replay:` runs a block from that state and then
    restores whatever state the generators had before the block."""

    def __init__(self, device: torch.device):
        self.cpu = torch.get_rng_state()
        self.cuda_device = device if device.type == "cuda" else None
        self.cuda = torch.cuda.get_rng_state(device) if self.cuda_device is not None else None

    def __enter__(self):
        devices = [self.cuda_device] if self.cuda_device is not None else []
        self._fork = torch.random.fork_rng(devices=devices)
        self._fork.__enter__()
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda, self.cuda_device)

    def __exit__(self, *exc):
        return self._fork.__exit__(*exc)


def split_batch(batch: Batch, chunk_size: int) -> list[Batch]:
    """Row chunks of a (B, V, L) batch; each chunk trimmed to its own longest sequence."""
    chunks = []
    for start in range(0, len(batch), chunk_size):
        rows = slice(start, start + chunk_size)
        mask = batch.attention_mask[rows]
        length = int(mask.sum(-1).max())
        chunks.append(Batch(batch.input_ids[rows, :, :length], mask[:, :, :length],
                            None if batch.labels is None else batch.labels[rows],
                            None if batch.index is None else batch.index[rows],
                            text_ids=None if batch.text_ids is None else batch.text_ids[rows]))
    return chunks


def grad_cache_backward(module, batch: Batch, chunk_size: int, backward=None) -> Tensor:
    """Accumulate into the parameters' .grad the gradient of the full-batch loss; return the loss.

    `module` is a ContrastiveModule (embed, _gather, sampler, loss_fn); `backward(tensor, gradient)` is
    Lightning's manual_backward in training (precision plugins, DDP) and plain autograd by default.
    """
    backward = backward or (lambda tensor, gradient: tensor.backward(gradient))
    chunks = split_batch(batch, chunk_size)
    states, reps = [], []
    with torch.no_grad():
        for chunk in chunks:
            states.append(ReplayRNG(chunk.input_ids.device))
            reps.append(module.embed(chunk))
    cached = torch.cat(reps).detach().requires_grad_()
    embeddings, labels = module._gather(cached, batch.labels)
    loss = module.loss_fn(module.sample(embeddings, labels, batch))
    (grad,) = torch.autograd.grad(loss, cached)
    offset = 0
    for chunk, state in zip(chunks, states):
        with state:
            rep = module.embed(chunk)
        backward(rep, gradient=grad[offset : offset + len(chunk)])
        offset += len(chunk)
    return loss.detach()
