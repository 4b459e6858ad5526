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
 */
export async function gql(query, variables = {}, { signal, token } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch('/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
    signal,
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLError(`the server answered ${response.status}`, 'INTERNAL');
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new GraphQLError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

/**
 * One WebSocket carrying every subscription of the page. It connects when the first
 * subscription starts, re-subscribes everything after a reconnect (with growing pauses),
 * and closes when the last one ends. Nothing is queued while disconnected: after a
 * reconnect, `onResync` listeners are told so views can re-read what they show.
 */
export class Live {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.acked = false;
    this.nextId = 1;
    this.subscriptions = new Map(); // id -> {payload, onNext}
    this.statusListeners = new Set();
    this.resyncListeners = new Set();
    this.retryMs = 1000;
    this.retryTimer = null;
    this.everConnected = false;
    this.status = 'off';
  }

  /** Starts a subscription; returns the function that ends it. */
  subscribe(query, variables, onNext) {
    const id = String(this.nextId++);
    this.subscriptions.set(id, { payload: { query, variables }, onNext });
    if (this.acked) this.send({ id, type: 'subscribe', payload: { query, variables } });
    else this.connect();
    return () => {
      if (!this.subscriptions.delete(id)) return;
      if (this.acked) this.send({ id, type: 'complete' });
      if (this.subscriptions.size === 0) this.close();
    };
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
      case 'connection_ack': {
        this.acked = true;
        this.retryMs = 1000;
        for (const [id, { payload }] of this.subscriptions) {
          this.send({ id, type: 'subscribe', payload });
        }
        this.setStatus('live');
        if (this.everConnected) for (const listener of this.resyncListeners) listener();
        this.everConnected = true;
        break;
      }
      case 'ping':
        this.send({ type: 'pong' });
        break;
      case 'next': {
        const subscription = this.subscriptions.get(message.id);
        if (subscription && message.payload && message.payload.data) {
          subscription.onNext(message.payload.data);
        } else if (message.payload && message.payload.errors) {
          console.warn('subscription refused', message.id, message.payload.errors);
        }
        break;
      }
      case 'complete': {
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

/** The page's one connection. */
export const live = new Live(
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
);
