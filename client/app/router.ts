// Minimal history.pushState routing: the server answers index.html for `/` and `/register`.

import { useEffect, useState } from 'preact/hooks';

export type Route = 'login' | 'register';

function routeOf(pathname: string): Route {
  return pathname.replace(/\/+$/, '') === '/register' ? 'register' : 'login';
}

const listeners = new Set<() => void>();

export function navigate(route: Route): void {
  const path = route === 'register' ? '/register' : '/';
  if (location.pathname !== path) history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => routeOf(location.pathname));
  useEffect(() => {
    const update = () => setRoute(routeOf(location.pathname));
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Props for an <a> that navigates without reloading the page. */
export function linkTo(route: Route) {
  return {
    href: route === 'register' ? '/register' : '/',
    onClick: (event: MouseEvent) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(route);
    },
  };
}
