// The hash router: `#/view?key=value&...`. Everything a view shows (repository, filters,
// the selected job) is in the hash, so a copied address opens the same view.

export const VIEWS = ['pushes', 'job', 'graph', 'machines', 'scheduled', 'releases', 'log', 'intermittents'];

/** The current route: a view name and its parameters. */
export function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const cut = hash.indexOf('?');
  const path = cut < 0 ? hash : hash.slice(0, cut);
  const params = new URLSearchParams(cut < 0 ? '' : hash.slice(cut + 1));
  const view = VIEWS.includes(path) ? path : 'pushes';
  return { view, params };
}

/** The address of a view; empty parameters are left out. */
export function href(view, params = {}) {
  const search = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? params.entries() : Object.entries(params);
  for (const [key, value] of entries) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const query = search.toString();
  return `#/${view}${query ? `?${query}` : ''}`;
}

/** Goes to a view: a new history entry, or (`replace`) the current one rewritten. */
export function navigate(view, params, { replace = false } = {}) {
  const target = href(view, params);
  if (target === location.hash) return;
  if (replace) {
    history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

/** The route's parameters as a plain object, with some changed. */
export function withParams(params, changes) {
  const out = Object.fromEntries(params.entries());
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === '') delete out[key];
    else out[key] = String(value);
  }
  return out;
}
