/**
 * The pretraining settings being edited: the config, the uploaded text, where the run starts
 * from, and the messages that say what is wrong with them (shown next to each field).
 */
import { MODEL_PRESETS, type ModelPresetName } from '../core/model/config.ts';
import { defaultPretrainConfig } from '../core/train/defaults.ts';
import type { PretrainConfig } from '../core/train/pretrainConfig.ts';
import { readUpload, validatePretrainConfig, type FieldError } from '../core/train/validate.ts';
import { FIELD_LABELS } from '../lib/fieldLabels.ts';
import { CHAR_VOCAB_ESTIMATE, estimateParams } from '../lib/paramCount.ts';

export type StartFrom = 'scratch' | 'base' | 'run';
type ModelShape = PretrainConfig['model'];
type Stories = Extract<PretrainConfig['corpus'], { kind: 'stories' }>;

export interface Upload {
  name: string;
  bytes: number;
  text: string;
}

class PretrainFormState {
  config = $state<PretrainConfig>(defaultPretrainConfig());
  /** The accepted upload; a rejected file leaves it as it was. */
  upload = $state.raw<Upload | null>(null);
  uploadError = $state<string | null>(null);
  startFrom = $state<StartFrom>('scratch');
  /** The run whose checkpoint to continue, when startFrom is 'run'. */
  startRunId = $state<number | null>(null);
  #stories: Stories = { kind: 'stories', num_stories: 5000, seed: 1 };
  /** Problems only the engine could see (e.g. a context longer than the corpus), for the config it saw. */
  #engineErrors = $state.raw<{ errors: FieldError[]; configKey: string } | null>(null);

  errors = $derived.by((): FieldError[] => {
    const errors = validatePretrainConfig(this.config, this.config.corpus.kind === 'upload' ? this.upload?.text : undefined);
    if (this.config.corpus.kind === 'upload' && !this.upload) errors.push({ field: 'corpus', message: 'choose a .txt file to train on' });
    if (this.startFrom === 'run' && this.startRunId === null) errors.push({ field: 'startFrom', message: 'choose the run to continue' });
    // Shown until the config changes: the same config would fail the same way.
    if (this.#engineErrors && this.#engineErrors.configKey === JSON.stringify(this.config)) errors.push(...this.#engineErrors.errors);
    return errors;
  });
  valid = $derived(this.errors.length === 0);

  /** Approximate parameter count of the model being configured. */
  paramEstimate = $derived(
    estimateParams(this.config.model, this.config.tokenizer.kind === 'bpe' ? this.config.tokenizer.vocabSize : CHAR_VOCAB_ESTIMATE),
  );

  /** The first problem with `field` (a dot path such as 'model.n_head'), if any. */
  errorFor(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  useStories(): void {
    if (this.config.corpus.kind === 'stories') return;
    this.config.corpus = { ...this.#stories };
  }

  setStories(patch: Partial<Omit<Stories, 'kind'>>): void {
    if (this.config.corpus.kind !== 'stories') return;
    Object.assign(this.config.corpus, patch);
    this.#stories = { ...this.config.corpus };
  }

  /** Switches to the uploaded text, if one was accepted before. */
  useUpload(): void {
    if (this.config.corpus.kind === 'stories') this.#stories = { ...this.config.corpus };
    this.config.corpus = this.upload ? { kind: 'upload', name: this.upload.name, bytes: this.upload.bytes } : { kind: 'upload', name: '', bytes: 0 };
  }

  async chooseFile(file: File): Promise<void> {
    const result = readUpload(file.name, new Uint8Array(await file.arrayBuffer()));
    if ('error' in result) {
      this.uploadError = result.error;
      return;
    }
    this.uploadError = null;
    this.upload = { name: file.name, bytes: file.size, text: result.text };
    this.config.corpus = { kind: 'upload', name: file.name, bytes: file.size };
  }

  setTokenizer(kind: 'char' | 'bpe'): void {
    this.config.tokenizer = { ...this.config.tokenizer, kind };
  }

  setVocabSize(vocabSize: number): void {
    this.config.tokenizer = { ...this.config.tokenizer, vocabSize };
  }

  setPreset(name: ModelPresetName | 'custom'): void {
    this.config.model_preset = name;
    if (name === 'custom') return;
    const { label: _label, ...shape } = MODEL_PRESETS[name];
    this.config.model = shape;
  }

  /** Editing one dimension makes the model 'custom'. */
  setModel(key: keyof ModelShape, value: number): void {
    this.config.model[key] = value;
    const preset = this.config.model_preset;
    if (preset !== 'custom') {
      const p = MODEL_PRESETS[preset];
      const m = this.config.model;
      if (p.n_layer !== m.n_layer || p.n_embd !== m.n_embd || p.n_head !== m.n_head || p.n_positions !== m.n_positions) {
        this.config.model_preset = 'custom';
      }
    }
  }

  /** Sets one of the top-level numeric training arguments. */
  set<K extends keyof PretrainConfig>(key: K, value: PretrainConfig[K]): void {
    this.config[key] = value;
  }

  /** Takes a stored run's settings. An uploaded text is not stored with a run: it must be chosen again. */
  load(config: PretrainConfig): void {
    const copy = structuredClone(config);
    if (copy.corpus.kind === 'upload' && this.upload?.name !== copy.corpus.name) {
      this.upload = null;
      this.uploadError = `${copy.corpus.name} is not stored with the run; choose it again to train on it`;
    }
    if (copy.corpus.kind === 'stories') this.#stories = { ...copy.corpus };
    this.config = { ...defaultPretrainConfig(), ...copy };
  }

  setStartFrom(startFrom: StartFrom): void {
    this.startFrom = startFrom;
  }

  setStartRun(runId: number | null): void {
    this.startRunId = runId;
  }

  continueFrom(runId: number): void {
    this.startFrom = 'run';
    this.startRunId = runId;
  }

  /**
   * Takes the engine's "field: message; field: message" refusal; returns false when the message
   * names no known field (then it is shown as the run's message instead).
   */
  engineRefused(config: PretrainConfig, message: string): boolean {
    const errors: FieldError[] = [];
    // Split only where the next part starts with a field name: a message may itself hold '; '.
    for (const part of message.split(/; (?=[a-z_]+(?:\.[A-Za-z_]+)?: )/)) {
      const match = /^([a-z_]+(?:\.[A-Za-z_]+)?): (.+)$/s.exec(part);
      if (!match || !(match[1] in FIELD_LABELS)) return false;
      errors.push({ field: match[1], message: match[2] });
    }
    if (errors.length === 0) return false;
    this.#engineErrors = { errors, configKey: JSON.stringify(config) };
    return true;
  }

  /** A plain copy of the config for the worker (proxies cannot cross postMessage). */
  snapshot(): PretrainConfig {
    return $state.snapshot(this.config) as PretrainConfig;
  }
}

export const pretrainForm = new PretrainFormState();
