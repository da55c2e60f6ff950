export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A deadline `ms` from now, for grpc-js call options. */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}
