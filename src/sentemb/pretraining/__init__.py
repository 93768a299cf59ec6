"""Masked-language-model pretraining of a BERT-family encoder (`python -m sentemb.pretrain`).

BERT (Devlin et al., NAACL 2019) pretraining with masked-token prediction only (no next-sentence task, as
RoBERTa, Liu et al. 2019), from scratch or continued from any backbone (domain-adaptive pretraining,
Gururangan et al., ACL 2020). One module a job:

    corpus.py        the offline English corpus (readers of sentemb.data), evaluation sentences removed,
                     a held-out split
    wordnet_text.py  WordNet glosses and usage examples as extra sentences
    tokenizer.py     a WordPiece tokenizer trained with the `tokenizers` library, saved as a fast BERT tokenizer
    packing.py       token sequences -> full-length blocks (packing) or padded batches (dynamic padding)
    masking.py       15% masking with the 80/10/10 rule, optionally whole words
    schedule.py      warm-up then linear/cosine decay over the step or time budget
    data.py          the Lightning data module (train and held-out blocks)
    module.py        the Lightning module (MLM loss on the masked positions only, held-out curve)
    build.py         the model and tokenizer a config asks for
    export.py        the Hugging Face folder, the held-out curve (jsonl + PNG), pretrain_info.json
    made_backbone.py `backbone=mini_offline`: load a base this command made, or say how to make it
"""
