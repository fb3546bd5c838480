// What every console page shares: the API client (session cookie plus the CSRF token), the
// signed-in user's permitted operations, DOM helpers, the confirmation dialog and paging.
// The console decides nothing itself: what may be done comes from the server.

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const SVG_NS = 'http://www.w3.org/2000/svg';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function signInAgain() {
  const here = location.pathname + location.search;
  location.assign('/sign-in?next=' + encodeURIComponent(here));
}

// One /api/v2 call; the envelope's data, or an ApiError with OCP's code and message.
export async function api(method, path, body, accept = 'application/json') {
  const headers = { Accept: accept };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    signInAgain();
    throw new ApiError(401, 30000, 'signed out');
  }
  if (accept !== 'application/json' && response.ok) return response.blob();
  const envelope = await response.json();
  if (!envelope.successful) {
    throw new ApiError(envelope.status, envelope.error.code, envelope.error.message);
  }
  return envelope.data;
}

let whoAmI;
export function me() {
  whoAmI ??= api('GET', '/api/v2/console/me');
  return whoAmI;
}

// A control is shown only when the rules allow the operation now (the resource's
// allowedOperations, from the domain) and the user's permissions allow it (from /me).
export function may(user, kind, resource, operation) {
  return (
    (resource.allowedOperations || []).includes(operation) &&
    user.operations[kind].includes(operation)
  );
}

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Elements from data, never from HTML strings: nothing the server says is parsed as markup.
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function time(iso) {
  if (!iso) return '–';
  const moment = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ` +
    `${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`
  );
}

export function badge(status) {
  return el('span', { class: `badge status-${status}` }, status);
}

export function flash(error) {
  const box = document.getElementById('flash');
  const text = error instanceof ApiError ? `${error.code} · ${error.message}` : String(error);
  box.replaceChildren(text);
  box.hidden = false;
}

export function clearFlash() {
  document.getElementById('flash').hidden = true;
}

// The shared confirmation dialog; resolves true when the operator confirms.
export function confirmAction(text, label = 'Confirm') {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = label;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

// Page links for one of OCP's list pages; `href(n)` is the link to page n.
export function pager(container, page, href) {
  clear(container);
  const { number, totalPages, totalElements } = page;
  container.append(
    number > 1 ? el('a', { href: href(number - 1), rel: 'prev' }, '‹ previous') : '',
    el('span', {}, ` page ${number} of ${Math.max(totalPages, 1)} · ${totalElements} in all `),
    number < totalPages ? el('a', { href: href(number + 1), rel: 'next' }, 'next ›') : '',
  );
}

export function pageNumber(params) {
  const number = Number.parseInt(params.get('page') || '1', 10);
  return Number.isFinite(number) && number > 0 ? number : 1;
}

// Report what a page's work threw instead of leaving the page half drawn in silence.
export function run(work) {
  work().catch(flash);
}

const current = document.body.dataset.page === 'task' ? 'tasks' : document.body.dataset.page;
document.querySelector(`[data-nav="${current}"]`)?.classList.add('current');
