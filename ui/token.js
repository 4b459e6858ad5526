// The token the UI writes with (classifications need `sheriff:REPO`, or `admin`): pasted once
// into the header's "token" box, kept in localStorage, sent as `Authorization: Bearer` on
// writes only (reads are open). The box says whose token it is, its scopes and when it ends,
// read from the JWT's claims; the server alone decides what it grants.

const KEY = 'treeherd.token';
const listeners = new Set();
let box = null;
/** The token when localStorage is off (private windows): it then lasts as long as the page. */
let memory = '';

function stored() {
  try {
    return localStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

/** The token to write with, or ''. */
export function token() {
  return current();
}

function store(value) {
  try {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  } catch {
    memory = value;
  }
  changed();
}

function current() {
  return stored() || memory;
}

function changed() {
  render();
  for (const listener of listeners) listener(current());
}

/** Calls `listener(token)` whenever the token changes (here or in another tab). */
export function onTokenChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The claims of a JWT (`sub`, `scope`, `exp`), or null when it is not one. */
export function claims(jwt) {
  const part = (jwt || '').split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const value = JSON.parse(json);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** The token's scopes, as its claim lists them. */
export function scopesOf(jwt) {
  const c = claims(jwt);
  return c && typeof c.scope === 'string' ? c.scope.split(/\s+/).filter(Boolean) : [];
}

/** Whether the token says it may classify `repo`'s jobs (the server checks it again). */
export function maySheriff(jwt, repo) {
  const scopes = scopesOf(jwt);
  return scopes.includes('admin') || scopes.includes(`sheriff:${repo}`);
}

/** One line about a token: subject, scopes, expiry. */
export function describe(jwt) {
  if (!jwt) return 'no token: reading only';
  const c = claims(jwt);
  if (!c) return 'a token that is not a JWT';
  const parts = [];
  if (c.sub) parts.push(String(c.sub));
  const scopes = scopesOf(jwt);
  parts.push(scopes.length ? scopes.join(' ') : 'no scope');
  if (typeof c.exp === 'number') {
    const left = c.exp * 1000 - Date.now();
    parts.push(left <= 0 ? 'EXPIRED' : `ends in ${left > 86400e3 ? `${Math.floor(left / 86400e3)} d` : `${Math.max(1, Math.floor(left / 3600e3))} h`}`);
  }
  return parts.join(' · ');
}

function render() {
  if (!box) return;
  const jwt = current();
  const summary = box.querySelector('summary');
  summary.textContent = jwt ? 'token ✓' : 'token';
  summary.title = describe(jwt);
  box.querySelector('.token-about').textContent = describe(jwt);
  box.querySelector('.forget').hidden = !jwt;
  box.dataset.set = jwt ? 'yes' : 'no';
}

/**
 * Wires the header's token box (`<details>` with a form). Saving stores the pasted token,
 * "forget" removes it; another tab's change shows here too.
 */
export function mountToken(details) {
  box = details;
  const form = details.querySelector('form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.elements.token;
    const value = input.value.trim();
    input.value = '';
    store(value);
    details.querySelector('.token-message').textContent = '';
    details.open = false;
  });
  details.querySelector('.forget').addEventListener('click', () => {
    store('');
    details.open = false;
  });
  window.addEventListener('storage', (event) => {
    if (event.key === KEY || event.key === null) changed();
  });
  render();
}

/** Opens the token box with a message (a write was refused for want of a token). */
export function askForToken(message) {
  if (!box) return;
  box.querySelector('.token-message').textContent = message || '';
  box.open = true;
  box.querySelector('input[name=token]').focus();
}
