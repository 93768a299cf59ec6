import pytest
import torch

from sentemb.encoder.pooling import POOLINGS, check_pooling
from sentemb.encoder.sentence_encoder import SentenceEncoder

SENTS = ["a short one", "a much longer sentence with many more tokens in it", "mid length sentence"]


@pytest.fixture
def backbone(tiny_backbone_factory):
    return tiny_backbone_factory()


def manual(encoder, name):
    feats = encoder.tokenize(SENTS)
    out = encoder.model(**feats, output_hidden_states=True)
    mask = feats["attention_mask"].unsqueeze(-1).float()
    hs = out.hidden_states

    def mean(x):
        return (x * mask).sum(1) / mask.sum(1)

    return {
        "cls": out.pooler_output,
        "cls_before_pooler": hs[-1][:, 0],
        "mean": mean(hs[-1]),
        "max": torch.stack([hs[-1][i, : int(mask[i].sum())].max(0).values for i in range(len(SENTS))]),
        "first_last_avg": mean((hs[1] + hs[-1]) / 2),
        "last2avg": mean((hs[-2] + hs[-1]) / 2),
    }[name]


@pytest.mark.parametrize("name", POOLINGS)
def test_pooling_matches_manual_computation(backbone, name):
    encoder = SentenceEncoder(backbone, pooling=name).eval()
    with torch.no_grad():
        expected = manual(encoder, name)
    got = torch.as_tensor(encoder.encode(SENTS, batch_size=2))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_unknown_pooling_names_the_setting():
    with pytest.raises(ValueError, match=r"model.pooling='avgg'.*allowed: cls, cls_before_pooler"):
        check_pooling("avgg")
