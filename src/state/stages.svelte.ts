/** Which pipeline stage is on screen; kept in the URL hash so a link opens the same stage. */
import { STAGES, type StageId } from '../lib/stages.ts';

function fromHash(): StageId {
  const id = location.hash.replace(/^#/, '');
  return STAGES.some((s) => s.id === id) ? (id as StageId) : 'pretrain';
}

class StagesState {
  active = $state<StageId>(fromHash());
  current = $derived(STAGES.find((s) => s.id === this.active)!);

  constructor() {
    addEventListener('hashchange', () => (this.active = fromHash()));
  }

  select(id: StageId): void {
    this.active = id;
    history.replaceState(null, '', `#${id}`);
  }
}

export const stages = new StagesState();
