// Hash routes (#/nodes/7): the explorer serves the API on the paths, so the UI needs no server
// rewrite and works from a plain static directory.
import { useEffect, useState } from 'react';

export interface Route { page: string; id: number | undefined; params: URLSearchParams }

function parse(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', id] = path.split('/');
  return { page, id: id === undefined || id === '' ? undefined : Number(id), params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(page: string, id?: number): string {
  return `#/${page}${id === undefined ? '' : `/${id}`}`;
}
