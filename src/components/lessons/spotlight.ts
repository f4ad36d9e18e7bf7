/**
 * Points at a lesson step's controls on the page. The fields and cards only carry an attribute
 * (data-setting="ppo.kl_coef", data-lesson-target="ppo-train"); this finds them on the step's tab,
 * outlines each (class lesson-target), unfolds the <details> around the first one, scrolls it into
 * view once, and mounts a callout with the step's formulas right after it in the DOM, so a screen
 * reader reaches the callout from the control. It follows the page while the step is current (a
 * tab that renders later, a card that re-renders) and undoes everything when stopped.
 */
import { mount, unmount } from 'svelte';
import { LESSON_TARGETS, targetSelector, type LessonStep, type LessonTarget } from '../../lib/lessons.ts';
import LessonCallout from './LessonCallout.svelte';

/** Where the step's formulas are: in a callout after a control, or (none on screen) in the panel. */
export type Placement = { at: 'control'; target: LessonTarget; label: string; element: HTMLElement } | { at: 'panel' };

const FOCUSABLE = 'input:not([disabled]), select:not([disabled]), button:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** The element of a target on the step's tab (only the tab on screen renders its panel's content). */
function findTarget(key: LessonTarget, stage: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`#panel-${stage} ${targetSelector(key)}`);
}

/** Opens every folded <details> the element sits in (or is), so the control can be seen. */
function unfold(element: HTMLElement): void {
  for (let at: HTMLElement | null = element; at; at = at.parentElement) if (at instanceof HTMLDetailsElement && !at.open) at.open = true;
}

/** Scrolls to a target and puts the keyboard on its first control (the panel's "Go to it"). */
export function goToTarget(element: HTMLElement): void {
  unfold(element);
  element.scrollIntoView({ block: 'center' });
  (element.matches(FOCUSABLE) ? element : element.querySelector<HTMLElement>(FOCUSABLE))?.focus({ preventScroll: true });
}

/**
 * Starts pointing at `step`'s targets; `report` hears where the formulas are each time that
 * changes. Returns the function that stops and removes the outline and the callout.
 */
export function spotlight(step: LessonStep, report: (placement: Placement) => void): () => void {
  let outlined: HTMLElement[] = [];
  let anchor: HTMLElement | null = null;
  let host: HTMLElement | null = null;
  let callout: Record<string, unknown> | null = null;
  let reported: Placement['at'] | undefined;
  let scrolled = false;
  /** Details opened for this step, once each: if the reader folds one again, it stays folded. */
  const unfolded = new WeakSet<HTMLElement>();
  let frame = 0;

  // Each placement beside a control is news (the element may be a new one); 'panel' only once in a row.
  function say(placement: Placement): void {
    if (placement.at === 'panel' && reported === 'panel') return;
    reported = placement.at;
    report(placement);
  }

  function removeCallout(): void {
    if (callout) void unmount(callout);
    host?.remove();
    callout = host = anchor = null;
  }

  function place(): void {
    frame = 0;
    const found = step.targets.flatMap((key) => {
      const element = findTarget(key, step.stage);
      return element ? [{ key, element }] : [];
    });
    const elements = found.map((f) => f.element);
    for (const element of outlined) if (!elements.includes(element)) element.classList.remove('lesson-target');
    for (const element of elements) element.classList.add('lesson-target');
    outlined = elements;

    const first = found[0];
    if (!first) {
      removeCallout();
      say({ at: 'panel' });
      return;
    }
    // Already beside it: the observer also hears the page's own changes, and the callout's.
    if (first.element === anchor && host?.isConnected && anchor.nextElementSibling === host) return;
    removeCallout();
    if (!unfolded.has(first.element)) {
      unfolded.add(first.element);
      unfold(first.element);
    }
    anchor = first.element;
    host = document.createElement('div');
    host.className = 'lesson-callout-host';
    anchor.after(host);
    callout = mount(LessonCallout, { target: host, props: { step } });
    if (!scrolled) {
      scrolled = true;
      // The callout first, then the control, so the control is in view even when both do not fit.
      host.scrollIntoView({ block: 'nearest' });
      anchor.scrollIntoView({ block: 'nearest' });
    }
    say({ at: 'control', target: first.key, label: LESSON_TARGETS[first.key], element: first.element });
  }

  // Placed on the next frame: the step's tab renders first, and the callout is never mounted inside the caller's effect.
  const schedule = () => {
    frame ||= requestAnimationFrame(place);
  };
  const observer = new MutationObserver(schedule);
  observer.observe(document.querySelector('main') ?? document.body, { childList: true, subtree: true });
  schedule();

  return () => {
    observer.disconnect();
    cancelAnimationFrame(frame);
    for (const element of outlined) element.classList.remove('lesson-target');
    removeCallout();
  };
}
