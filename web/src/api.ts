// Fetching from the explorer API (same origin) and a hook that refetches when its URL changes.
import { useEffect, useState } from 'react';
import type { ApiError } from './types.ts';

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path);
  const body = (await response.json()) as T | ApiError;
  if (!response.ok) throw new Error((body as ApiError).error?.message ?? `HTTP ${response.status}`);
  return body as T;
}

export interface Loaded<T> { data: T | undefined; error: string | undefined; loading: boolean }

/** GETs `path` (null: nothing) and again every `refreshMs` if given; the last answer wins. */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: path !== null });
  useEffect(() => {
    if (path === null) return;
    let current = true;
    const load = () => {
      setState((s) => ({ ...s, loading: true }));
      getJson<T>(path).then(
        (data) => current && setState({ data, error: undefined, loading: false }),
        (error: unknown) => current && setState((s) => ({ data: s.data, error: (error as Error).message, loading: false })),
      );
    };
    load();
    const timer = refreshMs === undefined ? undefined : setInterval(load, refreshMs);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [path, refreshMs]);
  return state;
}
