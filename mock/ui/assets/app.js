// mockpay's QA dashboard: plain JavaScript, no dependencies, no build step.
// It reads and drives the sandbox control API (/sandbox/*), and follows
// /sandbox/events to show every change as it happens. Everything shown
// comes from the server and is put on the page as text, never as markup.
'use strict';

// ---------------------------------------------------------------- helpers

// h builds an element: h('td', {class: 'num', text: '3'}, child, ...).
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

// fill replaces el's children, skipping the null and false that
// conditional parts leave.
function fill(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== undefined && k !== null && k !== false));
}

function enc(s) { return encodeURIComponent(s); }

function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? path + (path.includes('?') ? '&' : '?') + s : path;
}

// Times. The sandbox writes RFC 3339 in its own zone (Beijing time); the
// page shows them in that zone, whatever the browser's.
const reRFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const reCompact = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/; // the v3 API's yyyyMMddHHmmss

function fmtTime(s, opts) {
  const o = opts || {};
  if (!s) return '';
  let m = reRFC3339.exec(s);
  if (!m) {
    m = reCompact.exec(s);
    if (!m) return s;
  }
  const date = o.year ? `${m[1]}-${m[2]}-${m[3]}` : `${m[2]}-${m[3]}`;
  let t = `${m[4]}:${m[5]}:${m[6]}`;
  if (o.ms && m[7]) t += m[7].slice(0, 4);
  return o.dateless ? t : `${date} ${t}`;
}

function timeCell(s, opts) {
  return h('td', { class: 'time', title: s || '', text: fmtTime(s, opts) });
}

function zoneOf(s) {
  const m = reRFC3339.exec(s || '');
  if (!m) return '';
  if (m[8] === 'Z') return 'UTC';
  return m[8] === '+08:00' ? 'UTC+08:00, Beijing time' : 'UTC' + m[8];
}

function offsetMinutes(s) {
  const m = reRFC3339.exec(s || '');
  if (!m || m[8] === 'Z') return 0;
  const sign = m[8][0] === '-' ? -1 : 1;
  return sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
}

// formatAt renders epoch milliseconds as RFC 3339 at a zone offset.
function formatAt(ms, offsetMin) {
  const d = new Date(ms + offsetMin * 60000);
  const p = (n, w) => String(n).padStart(w || 2, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const off = Math.abs(offsetMin);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}${sign}${p(Math.floor(off / 60))}:${p(off % 60)}`;
}

function fmtDuration(ms) {
  const s = Math.round(ms / 1000);
  if (Math.abs(s) < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (Math.abs(m) < 120) return `${m}m`;
  const hrs = Math.round(m / 6) / 10;
  if (Math.abs(hrs) < 48) return `${hrs}h`;
  return `${Math.round(hrs / 2.4) / 10}d`;
}

function fen(n) {
  if (n === undefined || n === null) return '';
  return `¥${(n / 100).toFixed(2)}`;
}

// Colours of the states the sandbox names; the text is always the name.
const colours = {
  CREATED: 'blue', DOING: 'amber', DONE: 'green', REVOKED: 'grey', EXPIRED: 'violet',
  USER_CONFIRM: 'amber', MCH_COMPLETE: 'orange', USER_PAYING: 'orange', USER_PAID: 'green',
  USER_ACCEPTED: 'teal', FINISHED: 'orange',
  ACCEPTED: 'amber', SUCCESS: 'green', PAY_FAIL: 'red', PAY_BACK: 'grey',
  pending: 'amber', delivered: 'green', failed: 'red', dropped: 'grey',
  valid: 'green', invalid: 'red', malformed: 'orange', not_checked: 'grey',
  AVAILABLE: 'green', UNAVAILABLE: 'grey', UNBINDUSER: 'grey',
  NORMAL: 'green', PAUSE: 'amber', OUT_SERVICE: 'grey',
};

function badge(text, colour) {
  return h('span', { class: `badge b-${colour || colours[text] || 'grey'}`, text: String(text) });
}

// What an order's state means, in a few words.
const meanings = {
  'serviceorder CREATED': 'waiting for the user to confirm',
  'serviceorder DOING/USER_CONFIRM': 'confirmed: the service is under way',
  'serviceorder DOING/MCH_COMPLETE': 'completed by the merchant: the deduction follows',
  'serviceorder DONE': 'paid',
  'serviceorder REVOKED': 'cancelled',
  'serviceorder EXPIRED': 'never confirmed in time',
  'payafter-order CREATED': 'waiting for the user to accept',
  'payafter-order USER_ACCEPTED': 'accepted: the merchant may complete it with its finish_ticket',
  'payafter-order FINISHED': 'completed: waiting for the payment',
  'payafter-order USER_PAID': 'paid',
  'payafter-order REVOKED': 'cancelled',
  'payafter-order EXPIRED': 'never accepted in time',
};

function stateText(o) {
  return o.state_description ? `${o.state} / ${o.state_description}` : o.state;
}

function orderState(o) {
  const kids = [badge(stateText(o), colours[o.state_description === 'MCH_COMPLETE' ? 'MCH_COMPLETE' : o.state])];
  if (o.collection && o.collection.state === 'USER_PAYING') kids.push(badge('USER_PAYING'));
  return kids;
}

const kindNames = { serviceorder: 'Service order', 'payafter-order': 'Pay-after order', parking: 'Parking' };

function orderAmount(o) {
  if (typeof o.total_amount === 'number') return fen(o.total_amount);
  if (o.risk_fund && typeof o.risk_fund.amount === 'number') return `${fen(o.risk_fund.amount)} risk fund`;
  return '';
}

function empty(title, text) {
  return h('div', { class: 'empty' }, h('b', { text: title }), text);
}

// ---------------------------------------------------------------- the API

let token = sessionStorage.getItem('mockpay.sandboxToken') || '';

class APIError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// nextLink reads the Link header of a paged listing.
function nextLink(header) {
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header || '');
  return m ? m[1] : null;
}

// api calls the sandbox; a 401 asks for the token and tries again.
async function api(method, path, body) {
  for (;;) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload;
    if (typeof body === 'string') {
      payload = body;
      headers['Content-Type'] = 'application/yaml';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const resp = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
    if (resp.status === 401) {
      await askToken(token !== '');
      continue;
    }
    const text = await resp.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = { message: text }; }
    }
    if (!resp.ok) throw new APIError(resp.status, data);
    return { data, next: nextLink(resp.headers.get('Link')) };
  }
}

// Listings come a page at a time when the server pages them (Link:
// rel="next"); until then they come whole.
const pageSize = 100;

async function listing(path, params, pages) {
  let next = withQuery(path, Object.assign({}, params, { limit: pageSize }));
  const items = [];
  let n = 0;
  while (next && n < pages) {
    const r = await api('GET', next);
    items.push(...(r.data || []));
    next = r.next;
    n++;
  }
  return { items, next, pages: Math.max(n, 1) };
}

let tokenPrompt = null;

// askToken shows the token dialog once, however many calls are waiting.
function askToken(rejected) {
  if (tokenPrompt) return tokenPrompt;
  const dlg = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const err = document.getElementById('token-error');
  err.hidden = !rejected;
  err.textContent = rejected ? 'That token was not accepted. Check MOCKPAY_SANDBOX_TOKEN.' : '';
  input.value = '';
  tokenPrompt = new Promise((resolve) => {
    const form = document.getElementById('token-form');
    form.addEventListener('submit', () => {
      token = input.value.trim();
      sessionStorage.setItem('mockpay.sandboxToken', token);
      tokenPrompt = null;
      resolve();
    }, { once: true });
  });
  dlg.showModal();
  input.focus();
  return tokenPrompt;
}

// ---------------------------------------------------------------- toasts and actions

function toast(text, bad) {
  const el = h('div', { class: bad ? 'toast bad' : 'toast', text });
  const box = document.getElementById('toasts');
  box.append(el);
  while (box.childElementCount > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), bad ? 8000 : 4000);
}

function errorText(e) {
  if (e instanceof APIError && e.body) {
    let s = e.body.message || `HTTP ${e.status}`;
    if (e.body.code) s = `${e.body.code}: ${s}`;
    return s;
  }
  return String(e && e.message ? e.message : e);
}

// act runs what a button does, with the button busy meanwhile.
async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    const msg = await fn();
    if (msg) toast(msg);
  } catch (e) {
    toast(errorText(e), true);
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

// ---------------------------------------------------------------- state

const state = {
  view: 'orders',
  mchid: '',
  merchants: [],
  clock: null,
  clockAt: 0, // performance.now() when clock was read
  orders: { items: [], next: null, pages: 1, loaded: false },
  orderFilter: { sub_mchid: '', state: '', kind: '', openid: '' },
  selected: null, // {mchid, out_order_no, sub_mchid}
  order: null, // the selected order with its timeline
  orderCallbacks: [],
  notifications: { items: [], next: null, pages: 1, loaded: false },
  callbackFilter: { state: '', event_type: '', out_order_no: '' },
  openCallbacks: new Set(),
  requests: { items: [], next: null, pages: 1, loaded: false },
  requestFilter: { failures: false },
  selectedRequest: null,
  scenarios: [],
  user: null,
  userOpenID: '',
  lastFired: null,
  seenKinds: new Set(['serviceorder', 'payafter-order']),
  seenStates: new Set(['CREATED', 'DOING', 'DONE', 'REVOKED', 'EXPIRED', 'USER_ACCEPTED', 'FINISHED', 'USER_PAID']),
  seenEventTypes: new Set(),
};

// Row signatures last shown, to flash the rows that are new or changed
// (not on the first showing of a list).
const shown = {};

function flashIfChanged(list, key, sig, row) {
  const before = shown[list];
  if (before && before[key] !== sig) row.classList.add('flash');
  shown[`${list}.next`] = shown[`${list}.next`] || {};
  shown[`${list}.next`][key] = sig;
}

function flashDone(list) {
  shown[list] = shown[`${list}.next`] || {};
  delete shown[`${list}.next`];
}

// listTable renders items as a table with the columns cols, each a title
// and a cell(item); row(item) gives a row's key, its signature (what,
// changed, makes it flash) and its attributes.
function listTable(id, list, cols, items, row) {
  const rows = items.map((x) => {
    const r = row(x);
    const tr = h('tr', r.attrs, cols.map(([, cell]) => cell(x)));
    flashIfChanged(list, r.key, r.sig, tr);
    return tr;
  });
  flashDone(list);
  return h('table', { id },
    h('thead', {}, h('tr', {}, cols.map(([title]) => h('th', { text: title })))),
    h('tbody', {}, rows));
}

// ---------------------------------------------------------------- loading

const loaders = {
  merchants: async () => {
    state.merchants = (await listing('/sandbox/merchants', {}, 10)).items;
  },
  clock: async () => {
    state.clock = (await api('GET', '/sandbox/clock')).data;
    state.clockAt = performance.now();
  },
  orders: async () => {
    const f = state.orderFilter;
    state.orders = Object.assign(await listing('/sandbox/orders', {
      mchid: state.mchid, sub_mchid: f.sub_mchid, state: f.state, kind: f.kind, openid: f.openid,
    }, state.orders.pages), { loaded: true });
    for (const o of state.orders.items) {
      state.seenKinds.add(o.kind);
      state.seenStates.add(o.state);
    }
  },
  order: async () => {
    const s = state.selected;
    if (!s) return;
    const q = { sub_mchid: s.sub_mchid };
    try {
      const [o, ns] = await Promise.all([
        api('GET', withQuery(`/sandbox/orders/${enc(s.mchid)}/${enc(s.out_order_no)}`, q)),
        listing('/sandbox/notifications', { mchid: s.mchid, out_order_no: s.out_order_no }, 10),
      ]);
      state.order = o.data;
      state.orderCallbacks = ns.items;
    } catch (e) {
      if (e instanceof APIError && e.status === 404) {
        state.selected = null;
        state.order = null;
        return;
      }
      throw e;
    }
  },
  notifications: async () => {
    const f = state.callbackFilter;
    state.notifications = Object.assign(await listing('/sandbox/notifications', {
      mchid: state.mchid, state: f.state, event_type: f.event_type, out_order_no: f.out_order_no,
    }, state.notifications.pages), { loaded: true });
    for (const n of state.notifications.items) state.seenEventTypes.add(n.event_type);
  },
  requests: async () => {
    state.requests = Object.assign(await listing('/sandbox/requests', { mchid: state.mchid }, state.requests.pages), { loaded: true });
  },
  scenarios: async () => {
    state.scenarios = (await api('GET', '/sandbox/scenarios')).data || [];
  },
  user: async () => {
    if (!state.userOpenID) return;
    state.user = (await api('GET', `/sandbox/users/${enc(state.userOpenID)}`)).data;
  },
};

// refresh reloads data sets soon, each at most once per burst of events
// and never more often than twice its own load time, so that a busy
// sandbox cannot keep the page loading.
const pending = new Set();
const lastLoad = {};
let refreshTimer = null;

function refresh(...names) {
  for (const n of names) pending.add(n);
  if (refreshTimer) return;
  refreshTimer = setTimeout(runRefresh, 100);
}

async function runRefresh() {
  const now = performance.now();
  const due = [];
  for (const n of pending) {
    const last = lastLoad[n];
    if (!last || now - last.at >= Math.max(300, 2 * last.took)) due.push(n);
  }
  for (const n of due) pending.delete(n);
  await Promise.all(due.map(load));
  render();
  refreshTimer = null;
  if (pending.size) refreshTimer = setTimeout(runRefresh, 300);
}

async function load(name) {
  const start = performance.now();
  try {
    await loaders[name]();
  } catch (e) {
    toast(`Could not load ${name}: ${errorText(e)}`, true);
  }
  lastLoad[name] = { at: performance.now(), took: performance.now() - start };
}

async function reloadAll() {
  await Promise.all(['merchants', 'clock', 'orders', 'order', 'notifications', 'requests', 'scenarios', 'user'].map(load));
  render();
}

// ---------------------------------------------------------------- live events

let liveGen = 0;
let liveAbort = null;
let loadedWithoutLive = false;

function setLive(mode, text) {
  const el = document.getElementById('live');
  el.className = `live ${mode}`;
  document.getElementById('live-text').textContent = text;
}

// listen follows /sandbox/events with fetch, which, unlike EventSource,
// can send the token. Every (re)connection reloads what the page shows,
// since events may have been missed in between.
async function listen() {
  const gen = ++liveGen;
  if (liveAbort) liveAbort.abort();
  liveAbort = new AbortController();
  setLive('', 'Connecting…');
  try {
    const headers = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const resp = await fetch(withQuery('/sandbox/events', { mchid: state.mchid }), { headers, signal: liveAbort.signal, cache: 'no-store' });
    if (resp.status === 401) {
      await askToken(token !== '');
      if (gen === liveGen) listen();
      return;
    }
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    setLive('on', 'Live');
    reloadAll();
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        dispatch(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
  } catch (e) {
    if (e.name === 'AbortError') return;
  }
  if (gen !== liveGen) return;
  setLive('off', 'Reconnecting…');
  // Show what there is even when the stream cannot be had (a proxy that
  // buffers it, say); it is reloaded once the stream is back.
  if (!loadedWithoutLive) {
    loadedWithoutLive = true;
    reloadAll();
  }
  setTimeout(() => { if (gen === liveGen) listen(); }, 1500);
}

function dispatch(block) {
  let name = '';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) name = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (!name) return; // a comment: keep-alive, or why the stream ended
  let d = {};
  try { d = JSON.parse(data); } catch { return; }
  onEvent(name, d);
}

function onEvent(name, d) {
  const sel = state.selected;
  const about = (mchid, no) => sel && sel.mchid === mchid && sel.out_order_no === no;
  if (d.mchid && !state.merchants.some((m) => m.mchid === d.mchid)) refresh('merchants');
  switch (name) {
    case 'order':
      refresh('orders', 'clock');
      if (about(d.mchid, d.out_order_no)) refresh('order');
      break;
    case 'notification':
      refresh('notifications', 'clock');
      if (about(d.mchid, d.out_order_no)) refresh('order');
      if (state.user) refresh('user');
      break;
    case 'request':
      refresh('requests');
      if (about(d.mchid, d.out_order_no)) refresh('order');
      break;
    case 'clock':
      refresh('clock');
      break;
    case 'scenario':
      refresh('scenarios');
      break;
  }
}

// ---------------------------------------------------------------- the top bar

const quickSteps = ['15s', '1m', '5m', '1h', '1d'];

function stepDuration(s) {
  return s === '1d' ? '24h' : s;
}

async function advance(body, button) {
  await act(button, async () => {
    const r = (await api('POST', '/sandbox/clock/advance', body)).data;
    state.clock = r;
    state.clockAt = performance.now();
    state.lastFired = r.fired || [];
    render();
    const n = state.lastFired.length;
    return `Sandbox time is now ${fmtTime(r.now, { year: true })}; ${n === 0 ? 'nothing was due' : n === 1 ? '1 scheduled job ran' : `${n} scheduled jobs ran`}.`;
  });
}

function clockNow() {
  const c = state.clock;
  if (!c) return '';
  if (c.mode !== 'real') return c.now;
  // The real clock moves on its own: count on from when it was read.
  const base = Date.parse(c.now);
  return formatAt(base + (performance.now() - state.clockAt), offsetMinutes(c.now));
}

function renderTop() {
  const c = state.clock;
  document.getElementById('clock-now').textContent = c ? fmtTime(clockNow(), { year: true }) : '…';
  document.getElementById('clock-zone').textContent = c ? `(${zoneOf(c.now)})` : '';
  const meta = document.getElementById('clock-meta');
  if (c) {
    const n = (c.pending || []).length;
    meta.textContent = c.mode === 'virtual'
      ? `virtual clock · ${n === 0 ? 'nothing scheduled' : n === 1 ? '1 job scheduled' : `${n} jobs scheduled`}`
      : `real clock${c.scale && c.scale !== 1 ? ` ×${c.scale}` : ''} · ${n} scheduled`;
  }
  const quick = document.getElementById('quick-advance');
  const virtual = c && c.mode === 'virtual';
  if (!quick.childElementCount) {
    for (const s of quickSteps) {
      quick.append(h('button', {
        type: 'button', text: `+${s}`, title: `Advance the sandbox clock by ${s}`,
        on: { click: (e) => advance({ duration: stepDuration(s) }, e.currentTarget) },
      }));
    }
  }
  for (const b of quick.children) {
    b.disabled = !virtual;
    if (!virtual) b.title = 'The clock is real: start mockpay with MOCKPAY_CLOCK=virtual to move time';
  }

  const sel = document.getElementById('merchant-filter');
  const want = ['', ...state.merchants.map((m) => m.mchid)];
  if (state.mchid && !want.includes(state.mchid)) want.push(state.mchid);
  const have = [...sel.options].map((o) => o.value);
  if (want.join() !== have.join()) {
    fill(sel, want.map((v) => h('option', { value: v, text: v || 'All merchants' })));
  }
  sel.value = state.mchid;
}

// ---------------------------------------------------------------- navigation

const views = {};

const navItems = [
  ['orders', 'Orders', () => countOf(state.orders)],
  ['callbacks', 'Callbacks', () => {
    const failed = state.notifications.items.filter((n) => n.state === 'failed').length;
    return failed ? { alert: failed, title: `${failed} failed` } : countOf(state.notifications);
  }],
  ['requests', 'Requests', () => {
    const bad = state.requests.items.filter((r) => r.signature === 'invalid' || r.signature === 'malformed').length;
    return bad ? { alert: bad, title: `${bad} signature failures` } : countOf(state.requests);
  }],
  ['clock', 'Clock', () => (state.clock ? { n: (state.clock.pending || []).length, title: 'scheduled' } : null)],
  ['scenarios', 'Scenarios', () => ({ n: state.scenarios.length, title: 'loaded' })],
  ['users', 'Users', () => null],
  ['merchants', 'Merchants', () => ({ n: state.merchants.length })],
];

function countOf(list) {
  if (!list.loaded) return null;
  return { n: list.items.length + (list.next ? '+' : '') };
}

function renderNav() {
  const nav = document.getElementById('nav');
  fill(nav, ...navItems.map(([id, label, count]) => {
    const c = count();
    let badgeEl = null;
    if (c && c.alert) badgeEl = h('span', { class: 'count alert', title: c.title, text: c.alert });
    else if (c) badgeEl = h('span', { class: 'count', title: c.title || '', text: c.n });
    return h('a', { href: `#${id}`, class: state.view === id ? 'active' : '', 'aria-current': state.view === id ? 'page' : null }, label, badgeEl);
  }));
}

let built = null; // the view on the page: {id, root, update}

function render() {
  renderTop();
  renderNav();
  const main = document.getElementById('main');
  if (!built || built.id !== state.view) {
    const v = views[state.view]();
    built = Object.assign({ id: state.view }, v);
    fill(main, v.root);
  }
  built.update();
}

function go(view) {
  if (location.hash !== `#${view}`) location.hash = view;
}

window.addEventListener('hashchange', () => {
  const v = location.hash.slice(1);
  state.view = views[v] ? v : 'orders';
  render();
});

// ---------------------------------------------------------------- views: orders

function filterSelect(label, options, value, onChange) {
  return h('label', {}, label, h('select', { on: { change: (e) => onChange(e.target.value) } },
    options.map(([v, text]) => h('option', { value: v, text, selected: v === value }))));
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

function moreButton(list, name) {
  if (!list.next) return null;
  return h('div', { class: 'more' }, h('button', {
    type: 'button', text: 'Load more',
    on: { click: (e) => act(e.currentTarget, async () => { list.pages++; await load(name); render(); }) },
  }));
}

// filterSetter makes setFilter(key)(value): a filter of a listing
// changed, so it is loaded again from its first page.
function filterSetter(filter, list, name) {
  return (k) => (v) => {
    filter[k] = v;
    list().pages = 1;
    refresh(name);
  };
}

views.orders = () => {
  const f = state.orderFilter;
  const setFilter = filterSetter(f, () => state.orders, 'orders');
  const subLabel = h('label', {}, 'Sub-merchant');
  const stateSel = h('select', { 'aria-label': 'State', on: { change: (e) => setFilter('state')(e.target.value) } });
  const kindSel = h('select', { 'aria-label': 'Kind', on: { change: (e) => setFilter('kind')(e.target.value) } });
  const subSel = h('select', { 'aria-label': 'Sub-merchant', on: { change: (e) => setFilter('sub_mchid')(e.target.value) } });
  subLabel.append(subSel);
  const openid = h('input', { type: 'search', placeholder: 'any user', value: f.openid, 'aria-label': 'OpenID', on: { input: debounce((e) => setFilter('openid')(e.target.value.trim()), 300) } });
  const list = h('div', { class: 'card', id: 'orders-list' });
  const detail = h('div', { class: 'card detail', id: 'order-detail', hidden: true });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Orders' }), h('p', { text: 'Every Pay Score order, newest first. Click one for its timeline and to act as the user.' })),
    h('div', { class: 'filters' },
      h('label', {}, 'State', stateSel), h('label', {}, 'Kind', kindSel), subLabel, h('label', {}, 'User (openid)', openid)),
    h('div', { class: 'split' }, h('div', { class: 'grow' }, list), detail));

  const syncOptions = (sel, values, value, all, name) => {
    const want = [['', all], ...[...values].sort().map((v) => [v, name ? name(v) : v])];
    if ([...sel.options].map((o) => o.value).join() !== want.map((w) => w[0]).join()) {
      fill(sel, want.map(([v, t]) => h('option', { value: v, text: t })));
    }
    sel.value = value;
  };

  return {
    root,
    update() {
      syncOptions(stateSel, state.seenStates, f.state, 'Any state');
      syncOptions(kindSel, state.seenKinds, f.kind, 'Any kind', (k) => kindNames[k] || k);
      const subs = new Set(state.orders.items.map((o) => o.sub_mchid).filter(Boolean));
      if (f.sub_mchid) subs.add(f.sub_mchid);
      subLabel.hidden = subs.size === 0;
      syncOptions(subSel, subs, f.sub_mchid, 'Any sub-merchant');
      renderOrderList(list, subs.size > 0);
      renderOrderDetail(detail);
    },
  };
};

function renderOrderList(card, withSub) {
  const o = state.orders;
  if (!o.loaded) {
    fill(card, empty('Loading…', ''));
    return;
  }
  if (!o.items.length) {
    const filtered = Object.values(state.orderFilter).some(Boolean) || state.mchid;
    fill(card, filtered
      ? empty('No orders match', 'Change the filters above to see more.')
      : empty('No orders yet', 'Orders appear here, live, as soon as a merchant creates one (POST /v3/payscore/serviceorder or /v3/payscore/payafter-orders).'));
    return;
  }
  const sel = state.selected;
  // With an order open beside the list, the list keeps what tells orders apart.
  const wide = !sel;
  const cols = [
    ['Order', (x) => h('td', { class: 'key', text: x.out_order_no })],
    !state.mchid && wide && ['Merchant', (x) => h('td', { class: 'mono', text: x.mchid })],
    withSub && ['Sub-merchant', (x) => h('td', { class: 'mono', text: x.sub_mchid || '' })],
    wide && ['Kind', (x) => h('td', { text: kindNames[x.kind] || x.kind })],
    ['State', (x) => h('td', {}, orderState(x))],
    ['User', (x) => h('td', { class: 'mono clip', title: x.openid || '', text: x.openid || '' })],
    ['Amount', (x) => h('td', { class: 'num', text: orderAmount(x) })],
    wide && ['Created', (x) => timeCell(x.created_at)],
    ['Updated', (x) => timeCell(x.updated_at)],
  ].filter(Boolean);
  fill(card,
    listTable('orders-table', 'orders', cols, o.items, (x) => {
      const key = `${x.mchid}|${x.sub_mchid || ''}|${x.kind}|${x.out_order_no}`;
      const isSel = sel && sel.mchid === x.mchid && sel.out_order_no === x.out_order_no && (sel.sub_mchid || '') === (x.sub_mchid || '');
      return {
        key,
        sig: `${stateText(x)}|${x.updated_at}`,
        attrs: { class: `row${isSel ? ' selected' : ''}`, data: { key, order: x.out_order_no }, on: { click: () => selectOrder(x) } },
      };
    }),
    moreButton(o, 'orders'));
}

function selectOrder(x) {
  state.selected = { mchid: x.mchid, out_order_no: x.out_order_no, sub_mchid: x.sub_mchid || '' };
  state.order = null;
  render();
  load('order').then(render);
}

function orderPath(sel, action) {
  return withQuery(`/sandbox/orders/${enc(sel.mchid)}/${enc(sel.out_order_no)}/${action}`, { sub_mchid: sel.sub_mchid });
}

function renderOrderDetail(card) {
  const sel = state.selected;
  card.hidden = !sel;
  if (!sel) return;
  const o = state.order;
  if (!o) {
    fill(card, empty('Loading…', ''));
    return;
  }
  const kind = o.kind;
  const meaning = meanings[`${kind} ${o.state_description ? `${o.state}/${o.state_description}` : o.state}`];
  const canConfirm = o.state === 'CREATED';
  const canPay = (kind === 'serviceorder' && o.state === 'DOING' && o.state_description === 'MCH_COMPLETE') ||
    (kind === 'payafter-order' && o.state === 'FINISHED');
  const openidInput = o.openid ? null : h('input', { type: 'text', placeholder: 'openid of the user', 'aria-label': 'openid of the user who confirms' });
  const confirm = h('button', {
    type: 'button', class: 'primary', text: 'Confirm', disabled: !canConfirm,
    title: canConfirm ? 'The user confirms the order in WeChat' : 'Only a CREATED order can be confirmed',
    on: {
      click: (e) => act(e.currentTarget, async () => {
        const body = openidInput && openidInput.value.trim() ? { openid: openidInput.value.trim() } : {};
        const r = (await api('POST', orderPath(sel, 'confirm'), body)).data;
        state.order = r;
        refresh('order', 'orders');
        return `${r.out_order_no} confirmed: ${stateText(r)}`;
      }),
    },
  });
  const pay = h('button', {
    type: 'button', text: 'Pay', disabled: !canPay,
    title: canPay ? 'The user pays what is outstanding' : 'Only an order waiting for its payment (USER_PAYING) can be paid by the user',
    on: {
      click: (e) => act(e.currentTarget, async () => {
        const r = (await api('POST', orderPath(sel, 'pay'), {})).data;
        state.order = r;
        refresh('order', 'orders');
        return `${r.out_order_no} paid: ${stateText(r)}`;
      }),
    },
  });
  const facts = [
    ['Merchant', o.mchid || sel.mchid],
    ['Sub-merchant', o.sub_mchid],
    ['Kind', kindNames[kind] || kind],
    ['User', o.openid],
    ['Service', o.service_introduction],
    ['Amount', orderAmount(o)],
    ['order_id', o.order_id],
    ['query_id', o.query_id],
    ['notify_url', o.notify_url],
    ['Created', fmtTime(o.created_at, { year: true })],
    ['Updated', fmtTime(o.updated_at, { year: true })],
  ].filter(([, v]) => v);
  fill(card,
    h('div', { class: 'actions' }, h('h2', { text: o.out_order_no }), orderState(o),
      h('button', { type: 'button', class: 'link', text: 'Close', on: { click: () => { state.selected = null; render(); } } })),
    meaning ? h('p', { class: 'muted', text: meaning }) : null,
    h('div', { class: 'actions' }, openidInput, confirm, pay),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
    h('h3', { text: 'Callbacks' }),
    state.orderCallbacks.length ? callbackMini(state.orderCallbacks) : h('p', { class: 'muted', text: 'None yet.' }),
    h('h3', { text: 'Timeline' }),
    h('ul', { class: 'timeline', id: 'order-timeline' }, (o.timeline || []).map((t) => h('li', { class: `t-${t.type}` },
      h('span', { class: 'when', title: t.at, text: fmtTime(t.at, { dateless: true }) }),
      badge(t.type, { state: 'green', callback: 'violet', notification: 'violet', api: 'blue', deduction: 'amber', user: 'teal' }[t.type]), ' ',
      h('span', { class: 'what', text: t.summary })))));
}

function lastAttempt(n) {
  const a = n.attempts && n.attempts[n.attempts.length - 1];
  if (!a) return '';
  return a.status ? `HTTP ${a.status}` : a.error || 'no answer';
}

function callbackMini(ns) {
  return h('table', { class: 'attempts' }, h('tbody', {}, ns.map((n) => h('tr', {},
    h('td', { text: n.event_type }),
    h('td', {}, badge(n.state)),
    h('td', { text: `${n.attempts.length} ${n.attempts.length === 1 ? 'attempt' : 'attempts'}${n.attempts.length ? `, last ${lastAttempt(n)}` : ''}` }),
    h('td', {}, redeliverButton(n))))));
}

function redeliverButton(n) {
  return h('button', {
    type: 'button', text: 'Redeliver', disabled: !n.notify_url,
    title: n.notify_url ? `Send it to ${n.notify_url} again now` : 'It has no notify_url to go to',
    on: {
      click: (e) => {
        e.stopPropagation();
        act(e.currentTarget, async () => {
          const r = (await api('POST', `/sandbox/notifications/${enc(n.id)}/redeliver`)).data;
          refresh('notifications', 'order');
          return `${r.event_type} redelivered: ${lastAttempt(r)} (${r.state})`;
        });
      },
    },
  });
}

// ---------------------------------------------------------------- views: callbacks

views.callbacks = () => {
  const f = state.callbackFilter;
  const setFilter = filterSetter(f, () => state.notifications, 'notifications');
  const typeSel = h('select', { 'aria-label': 'Event type', on: { change: (e) => setFilter('event_type')(e.target.value) } });
  const list = h('div', { class: 'card', id: 'callbacks-list' });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Callbacks' }), h('p', { text: 'What mockpay sent to notify_url, with every attempt and how the merchant answered. Click one for its attempts and its decrypted resource.' })),
    h('div', { class: 'filters' },
      filterSelect('State', [['', 'Any state'], ['pending', 'pending'], ['delivered', 'delivered'], ['failed', 'failed'], ['dropped', 'dropped']], f.state, setFilter('state')),
      h('label', {}, 'Event type', typeSel),
      h('label', {}, 'Order (out_order_no)', h('input', { type: 'search', value: f.out_order_no, placeholder: 'any order', on: { input: debounce((e) => setFilter('out_order_no')(e.target.value.trim()), 300) } }))),
    list);
  return {
    root,
    update() {
      const want = ['', ...[...state.seenEventTypes].sort()];
      if ([...typeSel.options].map((o) => o.value).join() !== want.join()) {
        fill(typeSel, ...want.map((v) => h('option', { value: v, text: v || 'Any event' })));
      }
      typeSel.value = f.event_type;
      renderCallbackList(list);
    },
  };
};

function renderCallbackList(card) {
  const l = state.notifications;
  if (!l.loaded) {
    fill(card, empty('Loading…', ''));
    return;
  }
  if (!l.items.length) {
    fill(card, empty('No callbacks yet', 'A callback appears here as soon as something fires one: the user confirms an order, a deduction succeeds, a refund ends, the user opens or closes the service.'));
    return;
  }
  // Newest first, like the other listings.
  const items = [...l.items].reverse();
  const rows = [];
  for (const n of items) {
    const open = state.openCallbacks.has(n.id);
    const row = h('tr', {
      class: 'row', data: { id: n.id, event: n.event_type, order: n.out_order_no || '' },
      on: {
        click: () => {
          if (open) state.openCallbacks.delete(n.id);
          else state.openCallbacks.add(n.id);
          render();
        },
      },
    },
    h('td', {}, h('div', { class: 'key', text: n.event_type }), h('div', { class: 'muted', text: n.summary })),
    h('td', { class: 'mono', text: n.out_order_no || (n.openid ? `user ${n.openid}` : '') }),
    h('td', {}, badge(n.state)),
    h('td', { class: 'num', text: n.attempts.length }),
    h('td', { text: lastAttempt(n) }),
    h('td', { class: 'wrap mono', text: n.notify_url || '(none)' }),
    timeCell(n.create_time),
    h('td', {}, redeliverButton(n)));
    flashIfChanged('callbacks', n.id, `${n.state}|${n.attempts.length}`, row);
    rows.push(row);
    if (open) rows.push(h('tr', { class: 'expand' }, h('td', { colspan: 8 }, callbackDetail(n))));
  }
  flashDone('callbacks');
  fill(card,
    h('table', { id: 'callbacks-table' },
      h('thead', {}, h('tr', {}, ['Event', 'Order / user', 'State', 'Attempts', 'Last answer', 'notify_url', 'Created', ''].map((t) => h('th', { text: t })))),
      h('tbody', {}, rows)),
    moreButton(l, 'notifications'));
}

function attemptKind(k) {
  if (!k) return 'scheduled';
  return k;
}

function callbackDetail(n) {
  let resource = '';
  try { resource = JSON.stringify(n.resource, null, 2); } catch { resource = String(n.resource); }
  return h('div', {},
    n.note ? h('p', { text: `Note: ${n.note}` }) : null,
    n.scenario ? h('p', { text: `Shaped by ${n.scenario}` }) : null,
    n.attempts.length
      ? h('table', { class: 'attempts' },
        h('thead', {}, h('tr', {}, ['#', 'At', 'Kind', 'Answer', 'Took', 'Note'].map((t) => h('th', { text: t })))),
        h('tbody', {}, n.attempts.map((a, i) => h('tr', {},
          h('td', { class: 'num', text: i + 1 }),
          timeCell(a.at),
          h('td', { text: attemptKind(a.kind) }),
          h('td', { class: a.status >= 200 && a.status < 300 ? 'status-ok' : 'status-bad', text: a.status ? `HTTP ${a.status}` : 'no answer' }),
          h('td', { class: 'num', text: `${Math.round(a.duration_ms)} ms` }),
          h('td', { class: 'wrap', text: a.error || '' })))))
      : h('p', { class: 'muted', text: 'No attempt yet.' }),
    h('h3', { text: 'Resource (decrypted)' }),
    h('pre', { class: 'json', text: resource }));
}

// ---------------------------------------------------------------- views: requests

views.requests = () => {
  const f = state.requestFilter;
  const list = h('div', { class: 'card', id: 'requests-list' });
  const detail = h('div', { class: 'card detail', id: 'request-detail', hidden: true });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Requests' }), h('p', { text: 'The merchant\'s v3 API calls, newest first, with the signature verdict. Click a failed signature to see what mockpay verified.' })),
    h('div', { class: 'filters' },
      h('label', { class: 'inline' }, h('span', { text: 'Show' }), h('select', {
        'aria-label': 'Show',
        on: { change: (e) => { f.failures = e.target.value === 'failures'; render(); } },
      }, h('option', { value: 'all', text: 'Every call' }), h('option', { value: 'failures', text: 'Failed calls only', selected: f.failures })))),
    h('div', { class: 'split' }, h('div', { class: 'grow' }, list), detail));
  return {
    root,
    update() {
      renderRequestList(list);
      renderRequestDetail(detail);
    },
  };
};

function verdictText(v) {
  return v === 'not_checked' ? 'not checked' : v;
}

function renderRequestList(card) {
  const l = state.requests;
  if (!l.loaded) {
    fill(card, empty('Loading…', ''));
    return;
  }
  const items = state.requestFilter.failures ? l.items.filter((r) => r.status >= 400) : l.items;
  if (!items.length) {
    fill(card, empty(l.items.length ? 'No failed calls' : 'No requests yet', 'Every v3 API call a merchant makes shows here as it is answered.'));
    return;
  }
  const wide = !state.selectedRequest;
  const cols = [
    ['Time', (r) => timeCell(r.time, { ms: true })],
    !state.mchid && wide && ['Merchant', (r) => h('td', { class: 'mono', text: r.mchid || '' })],
    ['Method', (r) => h('td', { class: 'mono', text: r.method })],
    ['Path', (r) => h('td', { class: 'mono clip', title: r.url, text: r.url.split('?')[0] })],
    ['Status', (r) => h('td', { class: r.status < 400 ? 'status-ok' : 'status-bad', text: r.status })],
    wide && ['Code', (r) => h('td', { class: 'mono', text: r.code || '' })],
    ['Signature', (r) => h('td', {}, h('span', { class: `badge b-${colours[r.signature] || 'grey'}`, text: verdictText(r.signature) }))],
    wide && ['Took', (r) => h('td', { class: 'num', text: `${r.duration_ms.toFixed(1)} ms` })],
    wide && ['Scenario', (r) => h('td', { class: 'wrap', text: r.scenario ? `${r.scenario}: ${r.injected || ''}` : '' })],
  ].filter(Boolean);
  fill(card,
    listTable('requests-table', 'requests', cols, items, (r) => ({
      key: r.request_id,
      sig: '',
      attrs: {
        class: `row${state.selectedRequest === r.request_id ? ' selected' : ''}`, data: { id: r.request_id },
        on: { click: () => { state.selectedRequest = r.request_id; render(); } },
      },
    })),
    moreButton(l, 'requests'));
}

// The lines of the message a request signature covers (protocol.md §1.2).
const signedLines = ['HTTP method', 'URL (path and query, as sent)', 'timestamp', 'nonce_str', 'body (exactly as sent)'];

// checks says what to look at for each way a signature fails.
function checks(r) {
  const issue = r.signature_issue || '';
  if (r.signature === 'malformed') {
    return [
      'Send Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…" — one header, those five fields, values in double quotes.',
      'Send the Accept and User-Agent headers: WeChat Pay refuses a request without them.',
    ];
  }
  if (/^mchid /.test(issue)) return ['Register this merchant (Merchants, or POST /sandbox/merchants), or sign as one that is registered.'];
  if (/^serial_no /.test(issue)) return ['serial_no must be the serial number of the merchant\'s API certificate, in upper-case hex: see the merchant under Merchants.'];
  if (/^timestamp /.test(issue)) {
    return [
      'The timestamp is Unix time in seconds (10 digits), not milliseconds.',
      'It must be within 5 minutes of the server\'s wall clock. The sandbox clock does not matter here: signatures always use real time.',
    ];
  }
  return [
    'Sign exactly the five lines shown above, each ending with \\n — the body line too; an empty body is an empty line.',
    'The URL is the path and query exactly as sent: same parameter order and percent-encoding, no host.',
    'The body is the exact bytes sent: sign the string you send, not an object serialised again.',
    'Sign with the private key of the certificate whose serial_no you send (SHA256 with RSA, PKCS#1 v1.5, Base64).',
  ];
}

function renderRequestDetail(card) {
  const r = state.requests.items.find((x) => x.request_id === state.selectedRequest);
  card.hidden = !r;
  if (!r) return;
  const facts = [
    ['Request-ID', r.request_id], ['Time', fmtTime(r.time, { year: true, ms: true })], ['Merchant', r.mchid],
    ['Call', `${r.method} ${r.url}`], ['Answer', `${r.status}${r.code ? ` ${r.code}` : ''}`],
    ['Order', r.out_order_no], ['Scenario', r.scenario], ['What it did', r.injected],
    ['Took', `${r.duration_ms.toFixed(1)} ms`],
  ].filter(([, v]) => v);
  const failed = r.signature === 'invalid' || r.signature === 'malformed';
  let sig = null;
  if (failed) {
    const lines = r.verified_message ? r.verified_message.split('\n') : [];
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    sig = h('div', {},
      h('h3', { text: 'Why the signature failed' }),
      h('p', { class: 'error', text: r.signature_issue || 'The Authorization header could not be read.' }),
      lines.length ? [
        h('h3', { text: 'The message mockpay verified' }),
        h('div', { class: 'sigmsg', id: 'verified-message' }, lines.map((line, i) => h('div', {},
          h('span', { class: 'n', text: signedLines[i] || `line ${i + 1}` }),
          h('span', { class: 'v' }, line, h('span', { class: 'nl', text: '\\n' }))))),
      ] : null,
      h('h3', { text: 'What to check' }),
      h('ul', { class: 'check' }, checks(r).map((c) => h('li', { text: c }))));
  }
  fill(card,
    h('div', { class: 'actions' }, h('h2', { text: `${r.method} ${r.url.split('?')[0]}` }),
      h('span', { class: `badge b-${colours[r.signature] || 'grey'}`, text: `signature ${verdictText(r.signature)}` }),
      h('button', { type: 'button', class: 'link', text: 'Close', on: { click: () => { state.selectedRequest = null; render(); } } })),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
    sig);
}

// ---------------------------------------------------------------- views: clock

views.clock = () => {
  const dur = h('input', { type: 'text', id: 'advance-duration', placeholder: 'e.g. 15s, 30m, 2h, 720h', 'aria-label': 'Advance by' });
  const to = h('input', {
    type: 'datetime-local', id: 'advance-to', step: '1', 'aria-label': 'Advance to',
    on: { input: () => { to.dataset.edited = 'yes'; } },
  });
  const zone = h('span', { class: 'muted' });
  const byBtn = h('button', {
    type: 'submit', class: 'primary', text: 'Advance',
  });
  const toBtn = h('button', { type: 'submit', text: 'Advance to this time' });
  const byForm = h('form', {
    class: 'form',
    on: {
      submit: (e) => {
        e.preventDefault();
        const d = dur.value.trim();
        if (!d) return;
        advance({ duration: d === '1d' ? '24h' : d }, byBtn);
      },
    },
  }, h('label', {}, 'Advance by', dur), byBtn);
  const toForm = h('form', {
    class: 'form',
    on: {
      submit: (e) => {
        e.preventDefault();
        if (!to.value || !state.clock) return;
        const off = offsetMinutes(state.clock.now);
        const sign = off < 0 ? '-' : '+';
        const p = (n) => String(n).padStart(2, '0');
        const value = to.value.length === 16 ? `${to.value}:00` : to.value;
        advance({ to: `${value}${sign}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}` }, toBtn);
      },
    },
  }, h('label', {}, 'Advance to', to), zone, toBtn);
  const status = h('div', {});
  const pendingCard = h('div', { class: 'card', id: 'clock-pending' });
  const firedCard = h('div', { class: 'card', id: 'clock-fired', hidden: true });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Clock' }), h('p', { text: 'Sandbox time: orders, deductions, callback retries and scenario delays follow it. Request signatures never do.' })),
    h('div', { class: 'card' }, status, byForm, toForm),
    firedCard, pendingCard);
  return {
    root,
    update() {
      const c = state.clock;
      if (!c) return;
      const virtual = c.mode === 'virtual';
      fill(status,
        h('div', { class: 'actions' }, h('h2', { id: 'clock-view-now', text: fmtTime(clockNow(), { year: true, ms: true }) }), h('span', { class: 'muted', text: zoneOf(c.now) }), badge(virtual ? 'virtual clock' : 'real clock', virtual ? 'teal' : 'grey')),
        virtual
          ? h('p', { class: 'hint', text: 'Time moves only when you advance it; everything that falls due runs, in order, before the advance returns.' })
          : h('p', { class: 'hint', text: 'The clock follows real time. Start mockpay with MOCKPAY_CLOCK=virtual to move it from here.' }));
      for (const el of [dur, to, byBtn, toBtn]) el.disabled = !virtual;
      zone.textContent = `(${zoneOf(c.now)})`;
      if (!to.dataset.edited) to.value = c.now.slice(0, 19); // now, until edited

      firedCard.hidden = !state.lastFired;
      if (state.lastFired) {
        fill(firedCard, h('h2', { text: 'The last advance ran' }), state.lastFired.length
          ? h('table', {}, h('tbody', {}, state.lastFired.map((e) => h('tr', {}, timeCell(e.at, { ms: true }), h('td', { text: e.label })))))
          : h('p', { class: 'muted', text: 'Nothing: no scheduled work fell due.' }));
      }
      const pend = c.pending || [];
      const nowMs = Date.parse(c.now);
      fill(pendingCard, h('h2', { text: 'Scheduled' }), pend.length
        ? h('table', {},
          h('thead', {}, h('tr', {}, ['Due', 'In', 'What', ''].map((t) => h('th', { text: t })))),
          h('tbody', {}, pend.map((e) => h('tr', {},
            timeCell(e.at, { ms: true }),
            h('td', { class: 'num', text: fmtDuration(Date.parse(e.at) - nowMs) }),
            h('td', { text: e.label }),
            h('td', {}, virtual ? h('button', {
              type: 'button', text: 'Advance to here', title: `Advance to ${e.at}: this and everything before it runs`,
              on: { click: (ev) => advance({ to: e.at }, ev.currentTarget) },
            }) : null)))))
        : h('p', { class: 'muted', text: 'Nothing is scheduled.' }));
    },
  };
};

// ---------------------------------------------------------------- views: scenarios

const examples = {
  'deduction fails': 'name: deduct-failure\ndescription: Every deduction fails; the order stays USER_PAYING and no PAYSCORE.USER_PAID comes.\ndeduction:\n  fail: true\n',
  'USER_PAID callback never comes': 'name: dropped-notify\ndescription: PAYSCORE.USER_PAID is never sent; the merchant must query to learn the order was paid.\nmatch:\n  event_type: PAYSCORE.USER_PAID\ncallback:\n  drop: true\n',
  'order create answers 500 twice': 'name: api-system-error\ndescription: The first two order creates answer 500 SYSTEM_ERROR; an identical retry succeeds.\nmatch:\n  endpoint: serviceorder.create\n  times: 2\napi:\n  status: 500\n  code: SYSTEM_ERROR\n  message: 系统繁忙,请稍后重试\n',
};

views.scenarios = () => {
  const text = h('textarea', { id: 'scenario-yaml', spellcheck: 'false', placeholder: 'name: my-scenario\ndescription: what it does\n…', 'aria-label': 'Scenario YAML' });
  const file = h('input', { type: 'text', value: 'pasted.yaml', 'aria-label': 'File name' });
  const scope = h('select', { 'aria-label': 'For merchant' });
  const errBox = h('div', { id: 'scenario-error', hidden: true });
  const loadBtn = h('button', { type: 'submit', class: 'primary', text: 'Load' });
  const example = h('select', {
    'aria-label': 'Start from an example',
    on: {
      change: (e) => {
        if (examples[e.target.value]) text.value = examples[e.target.value];
        e.target.value = '';
      },
    },
  }, h('option', { value: '', text: 'Start from an example…' }), Object.keys(examples).map((k) => h('option', { value: k, text: k })));
  const form = h('form', {
    on: {
      submit: (e) => {
        e.preventDefault();
        errBox.hidden = true;
        act(loadBtn, async () => {
          try {
            const r = (await api('POST', withQuery('/sandbox/scenarios', { file: file.value.trim() || 'pasted.yaml', mchid: scope.value }), text.value)).data;
            refresh('scenarios');
            return `Loaded ${r.map((s) => `${s.name} (${s.id})`).join(', ')}`;
          } catch (err) {
            if (err instanceof APIError && err.status === 400) {
              showScenarioError(errBox, text.value, err.body);
              return '';
            }
            throw err;
          }
        });
      },
    },
  },
  h('div', { class: 'form' }, example),
  h('p', { class: 'hint', text: 'Paste a scenario file (the files in scenarios/ are examples). A file that is wrong anywhere is refused whole, with the line and the reason.' }),
  text,
  h('div', { class: 'form' }, h('label', {}, 'File name', file), h('label', {}, 'For merchant', scope), loadBtn),
  errBox);
  const list = h('div', { class: 'card', id: 'scenarios-list' });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Scenarios' }), h('p', { text: 'Failures on demand: what is loaded, how often it applied, and a place to load more.' })),
    list,
    h('div', { class: 'card' }, h('h2', { text: 'Load a scenario' }), form));
  return {
    root,
    update() {
      const want = ['', ...state.merchants.map((m) => m.mchid)];
      if ([...scope.options].map((o) => o.value).join() !== want.join()) {
        fill(scope, ...want.map((v) => h('option', { value: v, text: v || 'every merchant' })));
        scope.value = state.mchid;
      }
      renderScenarioList(list);
    },
  };
};

function showScenarioError(box, source, body) {
  const msg = (body && body.message) || 'The scenario was refused.';
  let line = body && body.detail && Number(body.detail.value);
  if (!line) {
    const m = /:(\d+):/.exec(msg);
    line = m ? Number(m[1]) : 0;
  }
  const lines = source.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final newline
  box.hidden = false;
  fill(box,
    h('p', { class: 'error', id: 'scenario-error-message', text: msg }),
    line ? h('div', { class: 'lines' }, lines.map((l, i) => {
      const n = i + 1;
      const row = h('div', { class: n === line ? 'bad' : '' }, h('span', { class: 'ln', text: n }), h('span', { class: 'tx', text: l || ' ' }));
      return n === line ? [row, h('div', { class: 'msg', text: `↑ ${body.detail && body.detail.issue ? body.detail.issue : msg}` })] : row;
    })) : null);
  const bad = box.querySelector('.bad');
  if (bad) bad.scrollIntoView({ block: 'nearest' });
}

function matchChips(m) {
  return Object.entries(m || {}).map(([k, v]) => h('span', { class: 'chip', text: `${k}: ${v}` }));
}

function renderScenarioList(card) {
  const ss = state.scenarios;
  if (!ss.length) {
    fill(card, empty('No scenario loaded', 'Everything behaves as WeChat Pay does when all goes well. Load a scenario below to make something fail.'));
    return;
  }
  fill(card, h('table', { id: 'scenarios-table' },
    h('thead', {}, h('tr', {}, ['ID', 'Scenario', 'Matches', 'Effects', 'Applied', ''].map((t) => h('th', { text: t })))),
    h('tbody', {}, ss.map((s) => h('tr', { data: { id: s.id } },
      h('td', { class: 'mono', text: s.id }),
      h('td', {}, h('div', { class: 'key', text: s.name }), h('div', { class: 'muted', text: s.description }), s.file ? h('div', { class: 'muted mono', text: s.file }) : null),
      h('td', {}, Object.keys(s.match || {}).length ? matchChips(s.match) : h('span', { class: 'muted', text: 'everything' })),
      h('td', {}, (s.effects || []).map((e) => badge(e, 'violet'))),
      h('td', { class: 'num', text: s.applied }),
      h('td', {}, h('button', {
        type: 'button', class: 'danger', text: 'Unload',
        on: {
          click: (e) => act(e.currentTarget, async () => {
            await api('DELETE', `/sandbox/scenarios/${enc(s.id)}`);
            refresh('scenarios');
            return `Unloaded ${s.name}`;
          }),
        },
      })))))));
}

// ---------------------------------------------------------------- views: users

views.users = () => {
  const openid = h('input', { type: 'text', id: 'user-openid', value: state.userOpenID, placeholder: 'openid, e.g. oUser1', list: 'known-openids', 'aria-label': 'OpenID' });
  const known = h('datalist', { id: 'known-openids' });
  const lookBtn = h('button', { type: 'submit', class: 'primary', text: 'Show user' });
  const lookup = h('form', {
    class: 'form',
    on: {
      submit: (e) => {
        e.preventDefault();
        state.userOpenID = openid.value.trim();
        if (!state.userOpenID) return;
        act(lookBtn, async () => { await load('user'); render(); });
      },
    },
  }, h('label', {}, 'User (openid)', openid), known, lookBtn);
  const body = h('div', { id: 'user-body' });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Users' }), h('p', { text: 'Play the WeChat user: open or close the merchant\'s service, set what the wallet can pay, and the parking plates.' })),
    h('div', { class: 'card' }, lookup), body);
  return {
    root,
    update() {
      const ids = [...new Set(state.orders.items.map((o) => o.openid).filter(Boolean))].sort();
      fill(known, ...ids.map((v) => h('option', { value: v })));
      if (!state.user || state.user.openid !== state.userOpenID) {
        fill(body);
        return;
      }
      if (!body.dataset.openid || body.dataset.openid !== state.user.openid) {
        body.dataset.openid = state.user.openid;
        fill(body, ...userPanels());
      }
      updateUser(body);
    },
  };
};

function merchantOf(mchid) {
  return state.merchants.find((m) => m.mchid === mchid);
}

// userPanels are the user's forms; updateUser fills in what changes.
function userPanels() {
  const u = () => state.user;
  const mchids = () => state.merchants.map((m) => m.mchid);
  const mchSel = h('select', { 'aria-label': 'Merchant' });
  const svcSel = h('select', { 'aria-label': 'Service' });
  const appSel = h('select', { 'aria-label': 'AppID' });
  const subSel = h('select', { 'aria-label': 'Sub-merchant' });
  const subLabel = h('label', {}, 'Sub-merchant', subSel);
  const code = h('input', { type: 'text', placeholder: 'optional', 'aria-label': 'Authorization code' });
  const fillMerchant = () => {
    const m = merchantOf(mchSel.value);
    const subs = (m && m.sub_merchants) || [];
    fill(svcSel, ...((m && m.service_ids) || []).map((v) => h('option', { value: v, text: v })));
    fill(appSel, ...((m && m.appids) || []).map((v) => h('option', { value: v, text: v })));
    fill(subSel, h('option', { value: '', text: subs.length ? 'the first' : '' }), ...subs.map((s) => h('option', { value: s.sub_mchid, text: s.sub_mchid })));
    subLabel.hidden = subs.length === 0;
  };
  mchSel.addEventListener('change', fillMerchant);
  fill(mchSel, ...mchids().map((v) => h('option', { value: v, text: v })));
  mchSel.value = state.mchid || mchids()[0] || '';
  fillMerchant();
  const who = () => ({ mchid: mchSel.value, service_id: svcSel.value || undefined });
  const authBtn = h('button', { type: 'button', class: 'primary', text: 'Authorize' });
  const revokeBtn = h('button', { type: 'button', class: 'danger', text: 'Revoke' });
  authBtn.addEventListener('click', () => act(authBtn, async () => {
    const body = Object.assign(who(), { appid: appSel.value || undefined, authorization_code: code.value.trim() || undefined });
    if (subSel.value) body.sub_mchid = subSel.value;
    await api('POST', `/sandbox/users/${enc(u().openid)}/authorize`, body);
    await load('user');
    render();
    return `${u().openid} opened service ${body.service_id || ''} of ${body.mchid}: PAYSCORE.USER_OPEN_SERVICE follows`;
  }));
  revokeBtn.addEventListener('click', () => act(revokeBtn, async () => {
    const body = who();
    await api('POST', `/sandbox/users/${enc(u().openid)}/revoke`, body);
    await load('user');
    render();
    return `${u().openid} closed service ${body.service_id || ''} of ${body.mchid}: PAYSCORE.USER_CLOSE_SERVICE follows`;
  }));

  const balance = h('input', { type: 'number', min: '0', step: '1', id: 'wallet-balance', placeholder: 'unlimited', 'aria-label': 'Balance in fen' });
  const outcome = h('select', { 'aria-label': 'Refunds end' }, ['SUCCESS', 'ABNORMAL', 'CLOSED'].map((v) => h('option', { value: v, text: v })));
  const walletBtn = h('button', { type: 'button', class: 'primary', text: 'Set wallet' });
  walletBtn.addEventListener('click', () => act(walletBtn, async () => {
    const b = balance.value.trim();
    await api('PUT', `/sandbox/users/${enc(u().openid)}/wallet`, { balance: b === '' ? null : Number(b), refund_outcome: outcome.value });
    await load('user');
    render();
    return b === '' ? 'The wallet pays any deduction' : `Deductions above ${fen(Number(b))} now fail`;
  }));

  const plateNo = h('input', { type: 'text', placeholder: 'e.g. 粤B888888', 'aria-label': 'Plate number' });
  const plateColor = h('select', { 'aria-label': 'Plate colour' }, ['BLUE', 'GREEN', 'YELLOW', 'BLACK', 'WHITE', 'LIMEGREEN'].map((v) => h('option', { value: v, text: v })));
  const plateState = h('select', { 'aria-label': 'Plate state' }, ['NORMAL', 'PAUSE', 'OUT_SERVICE'].map((v) => h('option', { value: v, text: v })));
  const plateBtn = h('button', { type: 'button', class: 'primary', text: 'Set plate' });
  plateBtn.addEventListener('click', () => act(plateBtn, async () => {
    const no = plateNo.value.trim();
    if (!no) throw new Error('Enter a plate number');
    const body = { mchid: mchSel.value, plate_color: plateColor.value, state: plateState.value };
    if (subSel.value) body.sub_mchid = subSel.value;
    await api('PUT', `/sandbox/users/${enc(u().openid)}/plates/${enc(no)}`, body);
    await load('user');
    render();
    return `Plate ${no}: ${plateState.value}`;
  }));

  return [
    h('div', { class: 'card', id: 'user-summary' }),
    h('div', { class: 'card' }, h('h2', { text: 'Service' }),
      h('div', { class: 'form' }, h('label', {}, 'Merchant', mchSel), subLabel, h('label', {}, 'Service', svcSel), h('label', {}, 'AppID', appSel), h('label', {}, 'Authorization code', code), authBtn, revokeBtn),
      h('p', { class: 'hint', text: 'Authorize is the user opening the service in WeChat (PAYSCORE.USER_OPEN_SERVICE); Revoke is closing it (PAYSCORE.USER_CLOSE_SERVICE).' })),
    h('div', { class: 'card' }, h('h2', { text: 'Wallet' }),
      h('div', { class: 'form' }, h('label', {}, 'Balance (fen)', balance), h('label', {}, 'Refunds end', outcome), walletBtn),
      h('p', { class: 'hint', text: 'A deduction larger than the balance fails and the order stays USER_PAYING; then the user can Pay from the order. Empty means unlimited.' })),
    h('div', { class: 'card', id: 'user-plates', hidden: true }, h('h2', { text: 'Parking plates' }),
      h('div', { id: 'plates-list' }),
      h('div', { class: 'form' }, h('label', {}, 'Plate number', plateNo), h('label', {}, 'Colour', plateColor), h('label', {}, 'State', plateState), plateBtn),
      h('p', { class: 'hint', text: 'NORMAL opens parking for the plate with the merchant above, PAUSE pauses it, OUT_SERVICE closes it; its entries change state and VEHICLE.ENTRANCE_STATE_CHANGE follows.' })),
  ];
}

function updateUser(body) {
  const u = state.user;
  const w = u.wallet || {};
  fill(body.querySelector('#user-summary'),
    h('h2', { text: u.openid }),
    h('dl', { class: 'facts' },
      h('dt', { text: 'Wallet' }), h('dd', { text: w.balance === null || w.balance === undefined ? 'unlimited' : `${fen(w.balance)} (${w.balance} fen)` }),
      h('dt', { text: 'Refunds end' }), h('dd', { text: w.refund_outcome || 'SUCCESS' })),
    h('h3', { text: 'Authorizations' }),
    (u.authorizations || []).length
      ? h('table', { id: 'user-authorizations' },
        h('thead', {}, h('tr', {}, ['Merchant', 'Service', 'AppID', 'State', 'Code', 'Since'].map((t) => h('th', { text: t })))),
        h('tbody', {}, u.authorizations.map((a) => h('tr', {},
          h('td', { class: 'mono', text: a.mchid }), h('td', { class: 'mono', text: a.service_id }), h('td', { class: 'mono', text: a.appid }),
          h('td', {}, badge(a.authorization_state)), h('td', { class: 'mono', text: a.authorization_code || '' }),
          timeCell(a.authorization_success_time || a.cancel_authorization_time)))))
      : h('p', { class: 'muted', text: 'None: the user has not opened any service.' }));
  // Plates exist once the sandbox serves Pay Score parking.
  const plates = body.querySelector('#user-plates');
  plates.hidden = !Array.isArray(u.plates);
  if (Array.isArray(u.plates)) {
    fill(body.querySelector('#plates-list'), u.plates.length
      ? h('table', {}, h('thead', {}, h('tr', {}, ['Plate', 'Colour', 'State', 'Merchant', 'Sub-merchant'].map((t) => h('th', { text: t })))),
        h('tbody', {}, u.plates.map((p) => h('tr', {},
          h('td', { class: 'key', text: p.plate_number }), h('td', { text: p.plate_color || '' }), h('td', {}, badge(p.state)),
          h('td', { class: 'mono', text: p.mchid || '' }), h('td', { class: 'mono', text: p.sub_mchid || '' })))))
      : h('p', { class: 'muted', text: 'No plate yet.' }));
  }
}

// ---------------------------------------------------------------- views: merchants

views.merchants = () => {
  const list = h('div', { class: 'card', id: 'merchants-list' });
  const newBtn = h('button', {
    type: 'button', class: 'primary', text: 'New merchant',
    on: {
      click: (e) => act(e.currentTarget, async () => {
        const m = (await api('POST', '/sandbox/merchants', {})).data;
        await load('merchants');
        render();
        return `Merchant ${m.mchid} registered, with generated keys (GET /sandbox/merchants/${m.mchid})`;
      }),
    },
  });
  const root = h('section', {},
    h('div', { class: 'view-head' }, h('h1', { text: 'Merchants' }), h('p', { text: 'The merchants registered in the sandbox. Click one to see only its orders, callbacks and requests.' }), newBtn),
    list);
  return {
    root,
    update() {
      const ms = state.merchants;
      if (!ms.length) {
        fill(list, empty('No merchant', 'Register one with New merchant, or POST /sandbox/merchants.'));
        return;
      }
      const partners = ms.some((m) => m.kind);
      fill(list, h('table', { id: 'merchants-table' },
        h('thead', {}, h('tr', {}, ['mchid', partners ? 'Kind' : null, 'AppIDs', 'Services', 'notify_url', 'Platform', partners ? 'Sub-merchants' : null].filter(Boolean).map((t) => h('th', { text: t })))),
        h('tbody', {}, ms.map((m) => h('tr', {
          class: `row${state.mchid === m.mchid ? ' selected' : ''}`,
          on: { click: () => { setMerchant(state.mchid === m.mchid ? '' : m.mchid); go('orders'); } },
        },
        h('td', { class: 'key mono', text: m.mchid }),
        partners ? h('td', { text: m.kind || 'merchant' }) : null,
        h('td', { class: 'mono', text: (m.appids || []).join(', ') }),
        h('td', { class: 'mono', text: (m.service_ids || []).join(', ') }),
        h('td', { class: 'mono wrap', text: m.notify_url || '' }),
        h('td', { text: m.platform_mode }),
        partners ? h('td', { class: 'mono', text: (m.sub_merchants || []).map((s) => s.sub_mchid).join(', ') }) : null)))));
    },
  };
};

// ---------------------------------------------------------------- boot

function setMerchant(mchid) {
  if (state.mchid === mchid) return;
  state.mchid = mchid;
  sessionStorage.setItem('mockpay.mchid', mchid);
  state.selected = null;
  state.order = null;
  state.selectedRequest = null;
  for (const l of [state.orders, state.notifications, state.requests]) l.pages = 1;
  listen(); // the stream keeps this merchant's events; connecting reloads
}

document.getElementById('merchant-filter').addEventListener('change', (e) => setMerchant(e.target.value));
document.getElementById('token-dialog').addEventListener('cancel', (e) => e.preventDefault()); // nothing works without it

state.mchid = new URLSearchParams(location.search).get('mchid') || sessionStorage.getItem('mockpay.mchid') || '';
{
  const v = location.hash.slice(1);
  state.view = views[v] ? v : 'orders';
}
render();
listen();
// A real clock moves by itself; the header follows it.
setInterval(() => {
  if (!state.clock || state.clock.mode !== 'real') return;
  renderTop();
  if (built && built.id === 'clock') built.update();
}, 1000);
