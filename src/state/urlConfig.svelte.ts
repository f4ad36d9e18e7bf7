/**
 * The page's settings in its URL (src/lib/urlConfig.ts says how they are written): read once when
 * the page opens, into the stage forms and the tab on screen, then kept current as settings
 * change, so the address bar always holds a link to this experiment. Also the controls the link
 * hides (`hide=grpo.beta`), which a teacher uses to hand students a cut-down page, and the lesson
 * and step being followed (`lesson=kl-penalty&step=2`). The starting checkpoints and reward
 * choices name stored runs, so they are applied once the run list has loaded (urlChoices.svelte.ts).
 */
import { decodeUrlConfig, describeIgnored, encodeUrlConfig, type DecodedUrl, type StageConfigs } from '../lib/urlConfig.ts';
import { dpoForm } from './dpoForm.svelte.ts';
import { grpoForm } from './grpoForm.svelte.ts';
import { history as runHistory } from './history.svelte.ts';
import { lessons } from './lessons.svelte.ts';
import { notices } from './notices.svelte.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { pretrainForm } from './pretrainForm.svelte.ts';
import { rewardForm } from './rewardForm.svelte.ts';
import { sftForm } from './sftForm.svelte.ts';
import { stages } from './stages.svelte.ts';
import { applyChoices, currentChoices, linkCodeNames } from './urlChoices.svelte.ts';

/** Typing a number rewrites the address once the typing pauses, not at every key. */
const WRITE_DELAY_MS = 300;

class UrlConfigState {
  /** Controls the link hides: setting keys ('grpo.beta') and cards ('grpo.advanced'). */
  hidden = $state.raw<ReadonlySet<string>>(new Set());
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  isHidden(key: string): boolean {
    return this.hidden.has(key);
  }

  /** Applies the link the page was opened with, says what it ignored, then follows the settings. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const decoded = decodeUrlConfig(location.search);
    this.hidden = new Set(decoded.hide);
    const c = decoded.configs;
    // Each form's load takes a whole config (the defaults with what the link set).
    if (c.pretrain) pretrainForm.load(c.pretrain);
    if (c.sft) sftForm.load({ ...c.sft });
    if (c.reward) rewardForm.load(c.reward);
    if (c.ppo) ppoForm.load(c.ppo);
    if (c.grpo) grpoForm.load({ ...c.grpo });
    if (c.dpo) dpoForm.load({ ...c.dpo });
    // Without a stage in the query the hash's stage stands (older links: #grpo).
    if (decoded.stage) stages.select(decoded.stage);
    if (decoded.lesson) lessons.restore(decoded.lesson.id, decoded.lesson.step - 1);
    void this.#applyChoices(decoded);
  }

  /**
   * Applies the link's checkpoints and rewards once the stored runs are known, says what it
   * ignored, then follows the settings (not before: the address would lose the runs meanwhile).
   */
  async #applyChoices(decoded: DecodedUrl): Promise<void> {
    try {
      if (!runHistory.loaded) await runHistory.refresh();
    } catch {
      /* no database: the named runs are reported as missing */
    }
    const ignored = [...decoded.ignored, ...applyChoices(decoded.choices)];
    if (ignored.length > 0) notices.push('info', describeIgnored(ignored), 'url-ignored');
    const code = linkCodeNames(decoded.choices);
    if (code.length > 0) {
      const names = code.map((n) => `“${n}”`).join(', ');
      notices.push(
        'info',
        `This link brought JavaScript reward code (${names}). Read it under GRPO & RLOO, Reward functions, before you train: it runs only then, in a sandboxed worker.`,
        'url-code',
      );
    }
    $effect.root(() => {
      $effect(() => {
        this.#current();
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.write(), WRITE_DELAY_MS);
      });
    });
  }

  /** The query for what is on screen now: '' when every setting is at its default and nothing is hidden. */
  #current(): string {
    const configs: StageConfigs = {
      pretrain: pretrainForm.snapshot(),
      sft: $state.snapshot(sftForm.config),
      reward: rewardForm.snapshot(),
      ppo: ppoForm.snapshot(),
      grpo: { ...($state.snapshot(grpoForm.config) as StageConfigs['grpo']), method: grpoForm.method },
      dpo: dpoForm.snapshot(),
    };
    const stage = stages.active;
    const lesson = lessons.lessonId === null ? undefined : { id: lessons.lessonId, step: lessons.index + 1 };
    const query = encodeUrlConfig({ stage, configs, hide: [...this.hidden], lesson, choices: currentChoices() });
    // The hash already names the stage: a link with nothing else stays as short as before.
    return query === `stage=${stage}` ? '' : query;
  }

  /** Puts the current settings in the address bar now (without a history entry per change). */
  write(): void {
    clearTimeout(this.#timer);
    const query = this.#current();
    const search = query ? `?${query}` : '';
    if (search !== location.search) history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
  }

  /** Copies the link to these settings; false where the clipboard is not available (the page then shows the link to copy by hand). */
  async copyLink(): Promise<boolean> {
    this.write();
    try {
      if (!navigator.clipboard) return false;
      await navigator.clipboard.writeText(location.href);
      return true;
    } catch {
      return false;
    }
  }
}

export const urlConfig = new UrlConfigState();
