/**
 * train.py of the TRL export: runs the exported stages with TRL's trainers on a real model, in
 * order, each later stage starting from the SFT output (or the model named in config.json when no
 * SFT stage ran), reading every hyperparameter from config.json. Runs under `accelerate launch`
 * on one or many GPUs (TRL's trainers handle the distribution), and on a CPU in full precision.
 * `--max_steps N` makes a smoke run; each stage writes run_summary.json beside its model. Run for
 * real against TRL 1.13 by `npm run verify:trl`. Fixed text: everything that varies is in config.json.
 */
export const TRAIN_SCRIPT = String.raw`"""Runs the RLHF Playground's stages with Hugging Face TRL, with the playground's hyperparameters.

    pip install -r requirements.txt
    accelerate launch --config_file accelerate_config.yaml train.py --stage all   # every stage, in order
    accelerate launch --config_file accelerate_config.yaml train.py --stage dpo   # one stage (starts from outputs/sft if it exists)
    python train.py --stage sft --model Qwen/Qwen2.5-0.5B                         # another model, one process
    python train.py --stage all --max_steps 2                                     # a smoke run: 2 steps a stage

Settings come from config.json (TRL's names); datasets from data/; reward functions from rewards.py.
Each stage saves its model to <output-dir>/<stage>, with run_summary.json (steps, seconds, losses).
"""
import argparse
import gc
import importlib
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ["sft", "reward", "dpo", "grpo", "ppo"]
SMOKE_STEPS = 0  # --max_steps: > 0 caps every stage at that many steps

# Config class and the modules to look in, per trainer: TRL moves trainers to and from
# trl.experimental between versions, so both places are tried. TRL 1.x has no PPO trainer (it was
# removed), so PPO comes from ppo.py beside this script, which keeps the names of TRL's former one.
TRAINERS = {
    "SFTTrainer": ("SFTConfig", ["trl"]),
    "RewardTrainer": ("RewardConfig", ["trl"]),
    "DPOTrainer": ("DPOConfig", ["trl"]),
    "KTOTrainer": ("KTOConfig", ["trl", "trl.experimental.kto"]),
    "ORPOTrainer": ("ORPOConfig", ["trl", "trl.experimental.orpo"]),
    "CPOTrainer": ("CPOConfig", ["trl", "trl.experimental.cpo"]),
    "GRPOTrainer": ("GRPOConfig", ["trl"]),
    "RLOOTrainer": ("RLOOConfig", ["trl"]),
    "PPOTrainer": ("PPOConfig", ["ppo"]),
}


def trl_classes(trainer_name):
    """(ConfigClass, TrainerClass) for a TRL trainer name."""
    config_name, modules = TRAINERS[trainer_name]
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
            return getattr(module, config_name), getattr(module, trainer_name)
        except (ImportError, AttributeError):
            continue
    raise SystemExit(f"{trainer_name} was not found in {', '.join(modules)}: install the TRL version in requirements.txt")


def load_json_rows(relative_path):
    from datasets import load_dataset

    return load_dataset("json", data_files=str(HERE / relative_path), split="train")


def split_rows(dataset, stage):
    """(train, eval or None): the playground's held-out fraction, with the stage's seed."""
    fraction = stage.get("eval_fraction", 0) or 0
    if fraction <= 0 or len(dataset) < 2:
        return dataset, None
    parts = dataset.train_test_split(test_size=fraction, seed=stage["args"].get("seed", 0))
    return parts["train"], parts["test"]


def trainer_args(config_class, stage, output_dir, has_eval=False):
    """The stage's TRL arguments from config.json, plus where to save and whether to evaluate."""
    args = dict(stage["args"])
    args["output_dir"] = str(output_dir)
    args.setdefault("report_to", "none")
    if "bf16" in getattr(config_class, "__dataclass_fields__", {}) and not bf16_available():
        # TRL turns bf16 on by default, which stops the run where the device has none (a CPU, an older GPU).
        args.setdefault("bf16", False)
    if SMOKE_STEPS:
        # A smoke run: a few optimizer steps, each logged; everything else as exported.
        args["max_steps"] = SMOKE_STEPS
        args["logging_steps"] = 1
    if "eval_steps" in args:
        args["eval_strategy"] = "steps" if has_eval else "no"
        if not has_eval:
            args.pop("eval_on_start", None)
    return config_class(**args)


def bf16_available():
    from transformers.utils import is_torch_bf16_gpu_available

    return is_torch_bf16_gpu_available()


def load_tokenizer(name_or_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def has_model(path):
    return (Path(path) / "config.json").exists()


def policy_start(config, out_root):
    """Policy stages start from the SFT output when there is one, else from the model to train."""
    sft = out_root / "sft"
    return str(sft) if has_model(sft) else config["model_name_or_path"]


def train_and_save(trainer, stage):
    """Trains, saves the model and tokenizer once (the main process) with run_summary.json (steps,
    seconds, mean and last logged loss), then waits for every process."""
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    output_dir = trainer.args.output_dir
    trainer.save_model(output_dir)
    if trainer.accelerator.is_main_process:
        if trainer.processing_class is not None:
            trainer.processing_class.save_pretrained(output_dir)
        losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
        means = [entry["train_loss"] for entry in trainer.state.log_history if "train_loss" in entry]
        summary = {
            "trainer": stage["trainer"],
            "global_step": trainer.state.global_step,
            "seconds": round(seconds, 2),
            "train_loss": means[-1] if means else None,
            "final_loss": losses[-1] if losses else None,
        }
        with open(Path(output_dir) / "run_summary.json", "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
        print(json.dumps(summary))
    trainer.accelerator.wait_for_everyone()


def run_sft(config, stage, out_root):
    config_class, trainer_class = trl_classes(stage["trainer"])
    train, evaluation = split_rows(load_json_rows(stage["data"]), stage)
    args = trainer_args(config_class, stage, out_root / "sft", evaluation is not None)
    model = config["model_name_or_path"]
    trainer = trainer_class(model=model, args=args, train_dataset=train, eval_dataset=evaluation, processing_class=load_tokenizer(model))
    train_and_save(trainer, stage)


def run_reward(config, stage, out_root):
    from transformers import AutoModelForSequenceClassification

    config_class, trainer_class = trl_classes(stage["trainer"])
    start = policy_start(config, out_root)
    tokenizer = load_tokenizer(start)
    # One output: the scalar reward, read at the last token.
    model = AutoModelForSequenceClassification.from_pretrained(start, num_labels=1)
    model.config.pad_token_id = tokenizer.pad_token_id
    train, evaluation = split_rows(load_json_rows(stage["data"]), stage)
    args = trainer_args(config_class, stage, out_root / "reward", evaluation is not None)
    trainer = trainer_class(model=model, args=args, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer)
    if len(trainer.train_dataset) == 0:
        # TRL's RewardTrainer drops the pairs longer than max_length (it does not truncate them).
        raise SystemExit(f"every preference pair is longer than max_length={args.max_length} tokens of this model's tokenizer: raise max_length for the reward stage in config.json")
    train_and_save(trainer, stage)


def run_dpo(config, stage, out_root):
    from transformers import AutoModelForCausalLM

    config_class, trainer_class = trl_classes(stage["trainer"])
    start = policy_start(config, out_root)
    train, evaluation = split_rows(load_json_rows(stage["data"]), stage)
    args = trainer_args(config_class, stage, out_root / "dpo", evaluation is not None)
    # DPO and KTO copy the starting model as the frozen reference themselves; ORPO and CPO need none.
    model = AutoModelForCausalLM.from_pretrained(start)
    trainer = trainer_class(model=model, args=args, train_dataset=train, eval_dataset=evaluation, processing_class=load_tokenizer(start))
    train_and_save(trainer, stage)


def run_grpo(config, stage, out_root):
    from rewards import build_reward_funcs

    config_class, trainer_class = trl_classes(stage["trainer"])
    start = policy_start(config, out_root)
    reward_funcs = build_reward_funcs(stage["reward_funcs"], config["gold"], out_root / "reward")
    args = trainer_args(config_class, stage, out_root / "grpo")
    trainer = trainer_class(
        model=start,
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=load_json_rows(stage["data"]),
        processing_class=load_tokenizer(start),
    )
    train_and_save(trainer, stage)


def run_ppo(config, stage, out_root):
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    config_class, trainer_class = trl_classes(stage["trainer"])
    start = policy_start(config, out_root)
    reward_path = out_root / "reward"
    if not has_model(reward_path):
        raise SystemExit(f"PPO scores with a reward model, and {reward_path} holds none: run --stage reward first")
    tokenizer = load_tokenizer(start)
    args = trainer_args(config_class, stage, out_root / "ppo")
    trainer = trainer_class(
        args=args,
        processing_class=tokenizer,
        model=AutoModelForCausalLM.from_pretrained(start),
        ref_model=AutoModelForCausalLM.from_pretrained(start),
        reward_model=AutoModelForSequenceClassification.from_pretrained(reward_path, num_labels=1),
        # The value model starts as a copy of the reward model, as TRL's PPO example did.
        value_model=AutoModelForSequenceClassification.from_pretrained(reward_path, num_labels=1),
        train_dataset=load_json_rows(stage["data"]),
    )
    train_and_save(trainer, stage)


RUNNERS = {"sft": run_sft, "reward": run_reward, "dpo": run_dpo, "grpo": run_grpo, "ppo": run_ppo}


def main():
    parser = argparse.ArgumentParser(description="Run the RLHF Playground's stages with TRL.")
    parser.add_argument("--stage", choices=STAGES + ["all"], default="all", help="one stage, or all exported stages in order")
    parser.add_argument("--model", help="model to train instead of config.json's model_name_or_path")
    parser.add_argument("--output-dir", default="outputs", help="each stage saves to <output-dir>/<stage>")
    parser.add_argument("--max_steps", type=int, default=0, help="a smoke run: this many optimizer steps a stage (PPO: iterations), logging each; 0 = as exported")
    options = parser.parse_args()
    global SMOKE_STEPS
    SMOKE_STEPS = options.max_steps

    with open(HERE / "config.json", encoding="utf-8") as f:
        config = json.load(f)
    if options.model:
        config["model_name_or_path"] = options.model
    out_root = Path(options.output_dir)
    stages = config["stages"] if options.stage == "all" else [options.stage]
    for name in stages:
        if name not in config["stages"]:
            raise SystemExit(f"stage {name!r} was not exported (exported: {', '.join(config['stages'])})")
        print(f"=== {name}: {config[name]['trainer']}")
        RUNNERS[name](config, config[name], out_root)
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


if __name__ == "__main__":
    main()
`;
