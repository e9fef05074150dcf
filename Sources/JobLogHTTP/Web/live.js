// One WebSocket per page (/api/admin/ws). Views call watch(params, handlers);
// the socket sends {"watch": params} and the daemon answers each with
// {"subscription": ID}, in order. Events carry their subscription id.
//
// After a disconnect the socket reconnects with exponential backoff
// (0.5 s doubling to 10 s, with jitter), sends every active watch again and
// calls each handler's ready(): the view then catches up from the store
// (getLogs afterId = the last id it rendered), so nothing is missed and, since
// views drop ids they already have, nothing is shown twice. A `lagged` event
// is handled the same way.

const MIN_DELAY = 500;
const MAX_DELAY = 10000;

class Live {
  constructor() {
    this.ws = null;
    this.subs = new Set(); // active subscriptions: {params, handlers, id}
    this.byId = new Map(); // subscription id -> sub
    this.pending = []; // requests waiting for their answer, in order: a sub (watch) or null (unwatch)
    this.delay = MIN_DELAY;
    this.timer = null;
    this.state = 'idle';
    this.stateListeners = new Set();
  }

  /** Subscribes; handlers: {event(ev), ready()}. Returns {close()}. */
  watch(params, handlers) {
    const sub = { params, handlers, id: null, closed: false };
    this.subs.add(sub);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.sendWatch(sub);
    else this.connect();
    return {
      close: () => {
        sub.closed = true;
        this.subs.delete(sub);
        if (sub.id !== null) {
          this.byId.delete(sub.id);
          this.sendUnwatch(sub.id);
        }
      },
    };
  }

  /** fn(state) on 'connecting' | 'live' | 'reconnecting'. */
  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
  }

  setState(s) {
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  connect() {
    if (this.ws || this.timer) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/admin/ws';
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    if (this.state !== 'reconnecting') this.setState('connecting');
    ws.onopen = () => {
      this.delay = MIN_DELAY;
      this.setState('live');
      for (const sub of this.subs) this.sendWatch(sub);
    };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.pending = [];
      this.byId.clear();
      for (const sub of this.subs) sub.id = null;
      this.scheduleReconnect();
    };
    ws.onerror = () => {}; // onclose follows
  }

  scheduleReconnect() {
    if (this.timer) return;
    this.setState('reconnecting');
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.subs.size > 0) this.connect();
    }, wait);
  }

  sendWatch(sub) {
    this.pending.push(sub);
    this.send({ watch: sub.params });
  }

  sendUnwatch(id) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.pending.push(null);
      this.send({ unwatch: id });
    }
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if (typeof msg.type === 'string') {
      const sub = this.byId.get(String(msg.subscription));
      if (!sub || sub.closed) return;
      if (msg.type === 'lagged') {
        safe(() => sub.handlers.ready && sub.handlers.ready('lagged', msg.dropped));
        return;
      }
      safe(() => sub.handlers.event && sub.handlers.event(msg));
      return;
    }
    if (msg.subscription !== undefined || msg.unwatched !== undefined || msg.error !== undefined) {
      const sub = this.pending.shift();
      if (!sub) return; // the answer to an unwatch
      if (msg.error !== undefined) {
        safe(() => sub.handlers.failed && sub.handlers.failed(msg.error));
        return;
      }
      const id = String(msg.subscription);
      if (sub.closed) {
        this.sendUnwatch(id);
        return;
      }
      sub.id = id;
      this.byId.set(id, sub);
      safe(() => sub.handlers.ready && sub.handlers.ready('subscribed'));
    }
  }
}

function safe(fn) {
  try {
    fn();
  } catch (e) {
    console.error(e);
  }
}

/** The page's one live connection. */
export const live = new Live();
