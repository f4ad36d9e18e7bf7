/** Messages the whole page shows at the top: storage full, the worker failing to load, ... */
export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
  /** Notices with a key replace each other (one "storage is full" message, kept current). */
  key?: string;
}

class NoticesState {
  list = $state.raw<Notice[]>([]);
  #next = 1;

  push(kind: Notice['kind'], text: string, key?: string): void {
    const existing = this.list.find((n) => (key !== undefined ? n.key === key : n.text === text));
    if (existing) {
      this.list = this.list.map((n) => (n === existing ? { ...n, kind, text } : n));
      return;
    }
    this.list = [...this.list, { id: this.#next++, kind, text, key }];
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
  }
}

export const notices = new NoticesState();
