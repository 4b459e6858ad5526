// The UI talks to treeherd like any other client: GraphQL over HTTP (`gql`) and
// subscriptions over `graphql-transport-ws` on the same /graphql endpoint (`Live`).

/** An error the server answered, with its `extensions.code` when it gave one. */
export class GraphQLError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * Runs one query; resolves to its `data`, rejects with the first error. Reads need no
 * credentials; a write passes `token`, sent as `Authorization: Bearer`.
 *
 * Queries go as automatic persisted queries over GET (the query's SHA-256 in the URL, so
 * the answer can be revalidated by its ETag); when the server does not know the hash yet
 * (`PersistedQueryNotFound`), the query is POSTed once with its hash and remembered there.
 * Mutations, and pages without WebCrypto (plain HTTP off localhost), POST the query.
 */
export async function gql(query, variables = {}, { signal, token } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const hash = isMutation(query) ? null : await sha256(query);
  if (hash) {
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    const params = new URLSearchParams({
      variables: JSON.stringify(variables),
      extensions: JSON.stringify(extensions),
    });
    const url = `/graphql?${params}`;
    let body;
    try {
      // `no-cache`: the browser may keep the answer but asks again (a 304 when unchanged),
      // so a view never shows what a write it just made has changed.
      const response = await fetch(url, { headers, signal, cache: 'no-cache' });
      body = await response.json();
    } catch (error) {
      if (signal && signal.aborted) throw error;
      // Chromium may answer a 304 from a cache entry that an aborted read left incomplete
      // (a view that navigates away aborts its reads): ask again, past the browser's cache.
      body = await answer(fetch(url, { headers, signal, cache: 'reload' }));
    }
    if (!notFound(body)) return dataOf(body);
    return dataOf(await post({ query, variables, extensions }, headers, signal));
  }
  return dataOf(await post({ query, variables }, headers, signal));
}

function post(request, headers, signal) {
  return answer(
    fetch('/graphql', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal,
    }),
  );
}

async function answer(pending) {
  const response = await pending;
  try {
    return await response.json();
  } catch {
    throw new GraphQLError(`the server answered ${response.status}`, 'INTERNAL');
  }
}

function notFound(body) {
  return Boolean(
    body.errors &&
      body.errors.some((e) => e.extensions && e.extensions.code === 'PERSISTED_QUERY_NOT_FOUND'),
  );
}

function dataOf(body) {
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new GraphQLError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

function isMutation(query) {
  // Comments and whitespace may come first; the UI names no fragments before an operation.
  return /^(\s|#[^\n]*\n)*mutation\b/.test(query);
}

const hashes = new Map(); // query -> its SHA-256 in hex

/** The query's SHA-256 in lower-case hex, or null where WebCrypto is not available. */
async function sha256(query) {
  if (hashes.has(query)) return hashes.get(query);
  if (!globalThis.crypto || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(query));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  hashes.set(query, hex);
  return hex;
}

/**
 * One WebSocket carrying every subscription of the page. It connects when the first
 * subscription starts, re-subscribes everything after a reconnect (with growing pauses),
 * and closes when the last one ends. Every event carries a `cursor` (its place in the
 * server's change log): after a reconnect each subscription resumes after the last cursor it
 * saw (`after`), so a tab that slept or lost its server misses nothing. A subscription that
 * cannot resume (its cursor is older than the server keeps) starts afresh, and `onResync`
 * listeners are told so views can re-read what they show.
 *
 * Every subscription document declares `$after: String` and passes it as `after`.
 */
export class Live {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.acked = false;
    this.nextId = 1;
    this.subscriptions = new Map(); // id -> {query, variables, onNext, cursor, started, restart}
    this.statusListeners = new Set();
    this.resyncListeners = new Set();
    this.retryMs = 1000;
    this.retryTimer = null;
    this.everConnected = false;
    this.status = 'off';
    // The newest cursor known: where a subscription started now would resume from.
    this.cursor = null;
  }

  /** Starts a subscription; returns the function that ends it. */
  subscribe(query, variables, onNext) {
    const id = String(this.nextId++);
    const subscription = { query, variables, onNext, cursor: this.cursor, started: false, restart: false };
    this.subscriptions.set(id, subscription);
    if (this.acked) this.start(id, subscription);
    else this.connect();
    return () => {
      if (!this.subscriptions.delete(id)) return;
      if (this.acked) this.send({ id, type: 'complete' });
      if (this.subscriptions.size === 0) this.close();
    };
  }

  /**
   * Sends a subscription. The first time it starts from now (its view has just read what it
   * shows); after a reconnect it resumes after its cursor, so nothing in between is missed.
   */
  start(id, subscription) {
    const { query, variables, cursor, started } = subscription;
    const after = started && cursor !== null ? { after: cursor } : {};
    subscription.started = true;
    this.send({ id, type: 'subscribe', payload: { query, variables: { ...variables, ...after } } });
  }

  onStatus(listener) {
    this.statusListeners.add(listener);
    listener(this.status);
  }

  onResync(listener) {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  setStatus(status) {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  connect() {
    if (this.socket || this.retryTimer) return;
    this.setStatus('connecting');
    const socket = new WebSocket(this.url, 'graphql-transport-ws');
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.acked = false;
      if (this.subscriptions.size === 0) {
        this.setStatus('off');
        return;
      }
      this.setStatus('reconnecting');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.connect();
      }, this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 30000);
    };
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    switch (message.type) {
      case 'connection_ack':
        this.acknowledged();
        break;
      case 'ping':
        this.send({ type: 'pong' });
        break;
      case 'next': {
        const subscription = this.subscriptions.get(message.id);
        if (subscription && message.payload && message.payload.data) {
          const event = Object.values(message.payload.data)[0];
          if (event && event.cursor) this.saw(subscription, event.cursor);
          subscription.onNext(message.payload.data);
        } else if (subscription && subscription.cursor !== null && cursorRefused(message.payload)) {
          // Too old to resume from: start afresh once the server has ended this one (its
          // `complete` follows), and have the views read what they show.
          subscription.cursor = null;
          subscription.started = false;
          subscription.restart = true;
          this.resync();
        } else if (message.payload && message.payload.errors) {
          console.warn('subscription refused', message.id, message.payload.errors);
        }
        break;
      }
      case 'complete': {
        const subscription = this.subscriptions.get(message.id);
        if (subscription && subscription.restart) {
          subscription.restart = false;
          this.start(message.id, subscription);
          break;
        }
        // The server ended it (a `next` carrying the refusal comes first): as for an error.
        if (this.subscriptions.delete(message.id) && this.subscriptions.size === 0) this.close();
        break;
      }
      case 'error':
        // Refused (a repository that does not exist, say): nothing more comes for it, and
        // with nothing left to follow the badge must not say live.
        console.warn('subscription error', message.id, message.payload);
        this.subscriptions.delete(message.id);
        if (this.subscriptions.size === 0) this.close();
        break;
      default:
        break;
    }
  }

  /** Connected: (re)starts every subscription, after learning where the log is if need be. */
  async acknowledged() {
    const socket = this.socket;
    if (this.cursor === null) {
      try {
        this.cursor = (await gql('query ChangeCursor { changeCursor }')).changeCursor;
      } catch (error) {
        console.warn('cannot read the change cursor', error);
      }
      if (this.socket !== socket) return; // closed meanwhile: the next connection starts over
      for (const subscription of this.subscriptions.values()) {
        if (subscription.cursor === null) subscription.cursor = this.cursor;
      }
    }
    this.acked = true;
    this.retryMs = 1000;
    // Only a subscription with nowhere to resume from can have missed something.
    const missed = [...this.subscriptions.values()].some((s) => s.cursor === null);
    for (const [id, subscription] of this.subscriptions) this.start(id, subscription);
    this.setStatus('live');
    if (this.everConnected && missed) this.resync();
    this.everConnected = true;
  }

  saw(subscription, cursor) {
    subscription.cursor = cursor;
    if (this.cursor === null || Number(cursor) > Number(this.cursor)) this.cursor = cursor;
  }

  resync() {
    for (const listener of this.resyncListeners) listener();
  }

  close() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.acked = false;
    if (socket) socket.close(1000);
    this.setStatus('off');
  }
}

/** Whether a subscription's first answer refuses its cursor. */
function cursorRefused(payload) {
  return Boolean(payload && payload.errors
    && payload.errors.some((e) => e.extensions && e.extensions.code === 'BAD_USER_INPUT'));
}

/** The page's one connection. */
export const live = new Live(
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
);
