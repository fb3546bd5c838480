// The audit page: who did what and when, filtered, paged, and downloadable as NDJSON.

import { api, clear, el, pageNumber, pager, run, time } from './common.js';

const PAGE_SIZE = 50;
const params = new URLSearchParams(location.search);
const page = pageNumber(params);
const FILTERS = { taskId: 'filter-task', serviceId: 'filter-service', actor: 'filter-actor', since: 'filter-since', until: 'filter-until' };
const TIMES = new Set(['since', 'until']);

// The API's query: the page's filters, with the form's local times as ISO-8601 with an offset.
function apiQuery() {
  const query = new URLSearchParams();
  for (const name of Object.keys(FILTERS)) {
    const value = (params.get(name) || '').trim();
    if (!value) continue;
    query.set(name, TIMES.has(name) ? new Date(value).toISOString() : value);
  }
  return query;
}

function link(number) {
  const query = new URLSearchParams(params);
  query.set('page', number);
  return `/audit?${query}`;
}

function row(event) {
  return el('tr', { 'data-position': event.position },
    el('td', {}, event.position),
    el('td', {}, time(event.time)),
    el('td', {}, event.actor),
    el('td', {}, event.message),
    el('td', {}, event.taskId ? el('a', { href: `/tasks/${event.taskId}` }, event.taskId) : '–'),
    el('td', {}, event.serviceId ?? '–'),
    el('td', { class: 'mono' }, event.traceId),
  );
}

async function download() {
  const blob = await api('GET', `/api/v2/audit/events?${apiQuery()}`, undefined, 'application/x-ndjson');
  const link = el('a', { href: URL.createObjectURL(blob), download: 'arbiter-audit.ndjson' });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not at once: the browser reads the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

async function load() {
  for (const [name, id] of Object.entries(FILTERS)) {
    document.getElementById(id).value = params.get(name) || '';
  }
  document.getElementById('download').addEventListener('click', () => run(download));
  const query = apiQuery();
  query.set('page', page);
  query.set('size', PAGE_SIZE);
  const found = await api('GET', `/api/v2/audit/events?${query}`);
  const body = clear(document.querySelector('#audit tbody'));
  for (const event of found.contents) body.append(row(event));
  if (found.contents.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No events match.')));
  }
  pager(document.getElementById('pager'), found.page, link);
}

run(load);
