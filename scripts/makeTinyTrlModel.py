"""Makes a tiny random causal LM on disk, with no download, for smoke-running the TRL export.

    python scripts/makeTinyTrlModel.py EXPORT_DIR MODEL_DIR

The tokenizer is a small byte-level BPE trained (with the `tokenizers` library) on the export's
own text (data/*.jsonl), wrapped as a PreTrainedTokenizerFast with pad and end-of-text tokens and
a one-line chat template. The model is a 2-layer Llama with random weights: it only has to load
with AutoModelForCausalLM / AutoModelForSequenceClassification and train a few steps on a CPU.
Used by scripts/verifyTrlExport.ts (npm run verify:trl).
"""
import json
import sys
from pathlib import Path

EOS = "<|endoftext|>"
PAD = "<|pad|>"
# Turns joined with their role, ending with the end-of-text token; a generation prompt opens an assistant turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}" + EOS + "\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def export_texts(export_dir):
    """Every string value of every row of the export's JSONL files (prompts, completions, chosen, rejected)."""
    for path in sorted(Path(export_dir, "data").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield from (v for v in json.loads(line).values() if isinstance(v, str))


def make_tokenizer(export_dir):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2048,
        special_tokens=[PAD, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(export_texts(export_dir), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=PAD, bos_token=EOS)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def make_model(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: makeTinyTrlModel.py EXPORT_DIR MODEL_DIR")
    export_dir, model_dir = sys.argv[1], sys.argv[2]
    import torch

    torch.manual_seed(0)
    tokenizer = make_tokenizer(export_dir)
    model = make_model(tokenizer)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    print(json.dumps({"model_dir": str(model_dir), "vocab_size": len(tokenizer), "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
