// A tiny typed event emitter (no Node 'events' import: this code also runs in the browser).

export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private handlers: { [K in keyof Events]?: Set<Events[K]> } = {};

  on<E extends keyof Events>(event: E, handler: Events[E]): () => void {
    const set = (this.handlers[event] ??= new Set());
    set.add(handler);
    return () => set.delete(handler);
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const handler of this.handlers[event] ?? []) {
      try {
        (handler as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (err) {
        // A throwing UI handler must not break the transport.
        console.error(`mesh ${String(event)} handler threw`, err);
      }
    }
  }
}
