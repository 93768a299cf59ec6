"""Post-processing in the pipeline: encode/save/load, the sentence-transformers export, and the runs
(postprocess=whitening|flow after model=avg and stacked on model=simcse_unsup)."""

import json

import numpy as np
import pytest

from conftest import SENTENCES, compose_config
from sentemb.encoder.postprocess import Flow, Whitening
from sentemb.encoder.postprocess.fitting import corpus_sentences
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.train import train

# 60 distinct sentences: more than the tiny backbone's width (32), so the covariance has full rank
FIT_SENTENCES = [f"{a} {b}" for a in SENTENCES for b in SENTENCES[:5]]


@pytest.mark.parametrize("pooling,head", [("mean", False), ("mean", True)])
def test_whitening_saved_and_exported_to_sentence_transformers(tiny_backbone_factory, tmp_path, pooling, head):
    """ST's Dense computes x W + b, sentemb (x - mu) W: equal to 1e-5 unless the embeddings' spread is ~1e-4 of
    their mean (e.g. the random tiny backbone's [CLS] state), where float32 cancellation in x W + b dominates."""
    from sentence_transformers import SentenceTransformer

    enc = SentenceEncoder(tiny_backbone_factory(), pooling=pooling, mlp_head=head, head_in_eval=head)
    enc.postprocess = Whitening(k=16).fit(enc.encode(FIT_SENTENCES, convert_to_numpy=False))
    expected = enc.encode(SENTENCES)
    assert expected.shape == (len(SENTENCES), 16)
    np.testing.assert_allclose(np.linalg.norm(expected, axis=1), 1.0, atol=1e-5)
    enc.save(tmp_path / "m")
    modules = json.loads((tmp_path / "m" / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules[-2:]] == ["Dense", "Normalize"]
    np.testing.assert_allclose(SentenceEncoder.load(tmp_path / "m").encode(SENTENCES), expected, atol=1e-5)
    st = SentenceTransformer(str(tmp_path / "m"), device="cpu")
    np.testing.assert_allclose(st.encode(SENTENCES), expected, atol=1e-5)  # one batch each: same padding


def test_flow_saved_with_the_model_and_left_out_of_the_st_layout(tiny_backbone_factory, tmp_path, caplog):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    raw = enc.encode(SENTENCES)
    enc.postprocess = Flow(depth=1, hidden=8, steps=3).fit(enc.encode(FIT_SENTENCES, convert_to_numpy=False))
    expected = enc.encode(SENTENCES)
    with caplog.at_level("WARNING"):
        enc.save(tmp_path / "m")
    assert "leaves it out" in caplog.text
    np.testing.assert_allclose(SentenceEncoder.load(tmp_path / "m").encode(SENTENCES), expected, atol=1e-5)
    modules = json.loads((tmp_path / "m" / "modules.json").read_text())
    assert len(modules) == 2  # Transformer, Pooling: the flow is not faked
    assert not np.allclose(raw, expected)


def test_corpus_names(shared_data_dir, tiny_corpus):
    wiki = corpus_sentences("wiki", shared_data_dir, max_sentences=50, seed=1)
    assert len(wiki) == 50 and len(set(wiki)) == 50
    nli = corpus_sentences(["nli"], shared_data_dir)
    assert len(nli) == len(set(nli)) > 10000
    assert corpus_sentences(str(tiny_corpus), shared_data_dir) == SENTENCES
    with pytest.raises(FileNotFoundError):
        corpus_sentences("no_such_corpus.txt", shared_data_dir)


@pytest.mark.parametrize("post,corpus", [("whitening", "target"), ("flow", "wiki")])
def test_postprocess_fast_dev_run_after_avg(post, corpus, tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "model=avg", f"postprocess={post}", f"postprocess.corpus={corpus}",
                          "trainer.fast_dev_run=true"], tmp_path / "run")
    train(cfg)


def test_simcse_then_whitening_evaluates_and_saves(tiny_overrides, tmp_path):
    """Stacking: a SimCSE run (one step) + whitening fitted on a text file, evaluated and saved."""
    corpus = tiny_overrides[2].split("=", 1)[1]
    cfg = compose_config([*tiny_overrides, "model=simcse_unsup", "postprocess=whitening",
                          f"postprocess.corpus={corpus}", "postprocess.transform.k=8", "eval=align_uniform",
                          "callbacks=none", "trainer.fast_dev_run=true", "+eval_after_fast_dev_run=true"],
                         tmp_path / "run")
    train(cfg)
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["postprocess"]["output_dim"] == 8 and results["postprocess"]["sentences"] == len(SENTENCES)
    loaded = SentenceEncoder.load(tmp_path / "run" / "model")
    assert isinstance(loaded.postprocess, Whitening) and loaded.encode(SENTENCES).shape == (len(SENTENCES), 8)


def test_sentemb_evaluate_fits_postprocess_on_a_saved_model(tiny_backbone_factory, tiny_corpus, tmp_path):
    from hydra import compose, initialize_config_dir
    from omegaconf import open_dict

    from conftest import CONF_DIR
    from sentemb.evaluate import evaluate

    SentenceEncoder(tiny_backbone_factory(), pooling="mean").save(tmp_path / "m")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="evaluate", overrides=[
            f"model_path={tmp_path / 'm'}", "eval=align_uniform", "postprocess=flow",
            f"postprocess.corpus={tiny_corpus}", "postprocess.transform.steps=3"])
    with open_dict(cfg):
        cfg.output_dir = str(tmp_path / "eval")
    payload = evaluate(cfg)
    assert payload["postprocess"]["name"] == "flow" and len(payload["postprocess"]["flow_nll_first_last"]) == 2
    assert "test/align" in payload["metrics"]
