/**
 * ppo.py of the TRL export: PPO with a learned value model, in PyTorch on top of transformers and
 * accelerate. TRL 1.x removed its PPOTrainer (PPO was its last trainer still fed token ids), so the
 * export brings its own: the same argument names as TRL's former PPOConfig (what config.json's
 * "ppo" holds, see ppoArgs in trlConfig.ts) and the same algorithm, which the playground's PPO
 * follows too. train.py imports PPOConfig and PPOTrainer from it. Fixed text.
 */
export const PPO_SCRIPT = String.raw`"""PPO for the RLHF Playground's export, with the argument names of TRL's former PPOTrainer.

TRL 1.x has no PPOTrainer any more, so train.py takes PPOConfig and PPOTrainer from this file.
Each iteration: sample per_device_train_batch_size x num_mini_batches prompts, generate up to
response_length tokens, score each completion with the reward model (minus missing_eos_penalty
when it did not finish), add the per-token KL penalty to the reference (kl_coef, kl_estimator),
compute advantages with GAE (gamma, lam) from the value model, then num_ppo_epochs passes of
clipped policy and value updates (cliprange, cliprange_value, vf_coef) over num_mini_batches
mini-batches. total_episodes / (batch x processes) iterations; --max_steps in train.py caps them.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from transformers import get_scheduler, set_seed


@dataclass
class PPOConfig:
    output_dir: str
    learning_rate: float = 3e-6
    lr_scheduler_type: str = "linear"
    per_device_train_batch_size: int = 64
    seed: int = 0
    max_grad_norm: float = 1.0
    weight_decay: float = 0.0
    num_ppo_epochs: int = 4
    num_mini_batches: int = 1
    whiten_rewards: bool = False
    kl_coef: float = 0.05
    kl_estimator: str = "k1"
    cliprange: float = 0.2
    cliprange_value: float = 0.2
    vf_coef: float = 0.1
    gamma: float = 1.0
    lam: float = 0.95
    response_length: int = 53
    temperature: float = 0.7
    missing_eos_penalty: float | None = None
    total_episodes: int = 1024
    max_steps: int = -1  # iterations; > 0 overrides total_episodes
    save_steps: int = 0  # save a checkpoint-<iteration> every this many iterations (0: only at the end)
    logging_steps: int = 1
    report_to: str = "none"


def masked_mean(values, mask):
    return (values * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(values, mask, shift_mean=True):
    mean = masked_mean(values, mask)
    variance = masked_mean((values - mean) ** 2, mask)
    whitened = (values - mean) * torch.rsqrt(variance + 1e-8)
    return whitened if shift_mean else whitened + mean


def token_scores(classifier, input_ids, attention_mask, position_ids):
    """The classifier's head on every position: [batch, length] (a reward or a value per token)."""
    backbone = getattr(classifier, classifier.base_model_prefix)
    hidden = backbone(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).last_hidden_state
    return classifier.score(hidden).squeeze(-1)


def response_logprobs(logits, response, temperature):
    """log p(response token) from logits over the response positions: [batch, response_length]."""
    return torch.gather(F.log_softmax(logits / temperature, dim=-1), 2, response.unsqueeze(-1)).squeeze(-1)


class PolicyAndValue(torch.nn.Module):
    """One module for the two trained models, so one optimizer (and one DDP wrapper) holds both."""

    def __init__(self, policy, value_model):
        super().__init__()
        self.policy = policy
        self.value_model = value_model

    def forward(self, input_ids, attention_mask, position_ids):
        logits = self.policy(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).logits
        return logits, token_scores(self.value_model, input_ids, attention_mask, position_ids)


class _State:
    def __init__(self):
        self.global_step = 0
        self.log_history = []


class PPOTrainer:
    def __init__(self, args, processing_class, model, ref_model, reward_model, value_model, train_dataset):
        self.args = args
        self.processing_class = processing_class
        self.state = _State()
        self.accelerator = Accelerator()
        set_seed(args.seed)
        for m in (model, ref_model, reward_model, value_model):
            # Dropout off: the ratio of new to old log-probabilities must start at exactly 1.
            for module in m.modules():
                if isinstance(module, torch.nn.Dropout):
                    module.p = 0.0
        for m in (reward_model, value_model):
            m.config.pad_token_id = processing_class.pad_token_id
        prompts = list(train_dataset["prompt"])
        self.prompts = prompts[self.accelerator.process_index :: self.accelerator.num_processes]
        self.batch_size = args.per_device_train_batch_size * args.num_mini_batches
        processes = self.accelerator.num_processes
        self.iterations = args.max_steps if args.max_steps > 0 else max(1, math.ceil(args.total_episodes / (self.batch_size * processes)))
        updates = self.iterations * args.num_ppo_epochs * args.num_mini_batches
        trained = PolicyAndValue(model, value_model)
        optimizer = torch.optim.AdamW(trained.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
        scheduler = get_scheduler(args.lr_scheduler_type, optimizer, num_warmup_steps=0, num_training_steps=updates)
        self.model, self.optimizer, self.scheduler = self.accelerator.prepare(trained, optimizer, scheduler)
        device = self.accelerator.device
        self.ref_model = ref_model.to(device).eval()
        self.reward_model = reward_model.to(device).eval()

    def _prompt_batch(self, iteration, generator):
        if iteration % max(1, len(self.prompts) // self.batch_size) == 0:
            self._order = torch.randperm(len(self.prompts), generator=generator).tolist()
        start = (iteration * self.batch_size) % max(1, len(self.prompts))
        picks = [(start + i) % len(self.prompts) for i in range(self.batch_size)]
        return [self.prompts[self._order[i]] for i in picks]

    @torch.no_grad()
    def _rollout(self, prompts):
        """Generates and scores one batch; every tensor is [batch, response_length] unless noted."""
        args, tokenizer, device = self.args, self.processing_class, self.accelerator.device
        side, tokenizer.padding_side = tokenizer.padding_side, "left"  # completions continue on the right
        query = tokenizer(prompts, return_tensors="pt", padding=True).to(device)
        tokenizer.padding_side = side
        policy = self.accelerator.unwrap_model(self.model).policy
        generated = policy.generate(
            input_ids=query.input_ids,
            attention_mask=query.attention_mask,
            max_new_tokens=args.response_length,
            do_sample=True,
            temperature=args.temperature,
            top_k=0,
            top_p=1.0,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        q = query.input_ids.shape[1]
        response = generated[:, q:]
        is_eos = response == tokenizer.eos_token_id
        # Keep each completion up to and including its first end-of-text token.
        mask = (is_eos.long().cumsum(1) - is_eos.long()) == 0
        response = response.masked_fill(~mask, tokenizer.pad_token_id)
        input_ids = torch.cat([query.input_ids, response], dim=1)  # [batch, q + response_length]
        attention_mask = torch.cat([query.attention_mask, mask.long()], dim=1)
        position_ids = (attention_mask.cumsum(1) - 1).clamp(min=0)
        last = mask.sum(1) - 1  # index of each completion's last token
        logits, values = self.model(input_ids, attention_mask, position_ids)
        logprobs = response_logprobs(logits[:, q - 1 : -1], response, args.temperature)
        values = values[:, q - 1 : -1]
        ref_logits = self.ref_model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).logits
        ref_logprobs = response_logprobs(ref_logits[:, q - 1 : -1], response, args.temperature)
        scores = token_scores(self.reward_model, input_ids, attention_mask, position_ids)[:, q:]
        scores = scores.gather(1, last.unsqueeze(1)).squeeze(1)  # [batch]: the reward at the last token
        if args.missing_eos_penalty is not None:
            scores = scores - args.missing_eos_penalty * (~is_eos.any(1)).float()
        log_ratio = ref_logprobs - logprobs
        kl = -log_ratio if args.kl_estimator == "k1" else log_ratio.exp() - 1 - log_ratio
        rewards = -args.kl_coef * kl * mask
        rewards[torch.arange(len(last), device=device), last] += scores
        maskf = mask.float()
        if args.whiten_rewards:
            rewards = masked_whiten(rewards, maskf, shift_mean=False) * maskf
        values = values * maskf
        advantages, running = torch.zeros_like(rewards), torch.zeros_like(rewards[:, 0])
        for t in reversed(range(rewards.shape[1])):
            next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(running)
            running = rewards[:, t] + args.gamma * next_value - values[:, t] + args.gamma * args.lam * running
            advantages[:, t] = running
        returns = advantages + values
        advantages = masked_whiten(advantages, maskf) * maskf
        batch = dict(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, response=response, mask=maskf,
                     logprobs=logprobs, values=values, returns=returns, advantages=advantages)
        return batch, q, {"score": scores.mean().item(), "kl": (kl * maskf).sum(1).mean().item()}

    def _update(self, batch, q):
        args = self.args
        size = len(batch["response"]) // args.num_mini_batches
        for _ in range(args.num_ppo_epochs):
            for rows in torch.randperm(len(batch["response"])).split(size):
                b = {k: v[rows] for k, v in batch.items()}
                logits, vpred = self.model(b["input_ids"], b["attention_mask"], b["position_ids"])
                new_logprobs = response_logprobs(logits[:, q - 1 : -1], b["response"], args.temperature)
                vpred = vpred[:, q - 1 : -1]
                vclipped = b["values"] + (vpred - b["values"]).clamp(-args.cliprange_value, args.cliprange_value)
                vf_loss = 0.5 * masked_mean(torch.max((vpred - b["returns"]) ** 2, (vclipped - b["returns"]) ** 2), b["mask"])
                ratio = (new_logprobs - b["logprobs"]).exp()
                clipped = ratio.clamp(1 - args.cliprange, 1 + args.cliprange)
                pg_loss = masked_mean(torch.max(-b["advantages"] * ratio, -b["advantages"] * clipped), b["mask"])
                loss = pg_loss + args.vf_coef * vf_loss
                self.accelerator.backward(loss)
                self.accelerator.clip_grad_norm_(self.model.parameters(), args.max_grad_norm)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad()
        return {"loss": loss.item(), "pg_loss": pg_loss.item(), "vf_loss": vf_loss.item()}

    def train(self):
        generator = torch.Generator().manual_seed(self.args.seed)
        self.model.train()
        for iteration in range(self.iterations):
            batch, q, rollout = self._rollout(self._prompt_batch(iteration, generator))
            logs = {**self._update(batch, q), **rollout, "step": iteration + 1}
            self.state.global_step = iteration + 1
            if (iteration + 1) % max(1, self.args.logging_steps) == 0 or iteration + 1 == self.iterations:
                self.state.log_history.append(logs)
                if self.accelerator.is_main_process:
                    print({k: round(v, 4) for k, v in logs.items()})
            if self.args.save_steps and (iteration + 1) % self.args.save_steps == 0 and iteration + 1 < self.iterations:
                self.save_model(f"{self.args.output_dir}/checkpoint-{iteration + 1}")

    def save_model(self, path):
        """Saves the policy (the value model is a training aid, as in TRL)."""
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            self.accelerator.unwrap_model(self.model).policy.save_pretrained(path)
`;
