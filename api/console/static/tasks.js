// The tasks page: the task list view, newest first, filtered by status and name.

import { api, badge, clear, el, pageNumber, pager, run, time } from './common.js';

const PAGE_SIZE = 20;
const params = new URLSearchParams(location.search);
const status = params.get('status') || '';
const name = params.get('name') || '';
const page = pageNumber(params);

function link(number) {
  const query = new URLSearchParams({ page: number });
  if (status) query.set('status', status);
  if (name) query.set('name', name);
  return `/tasks?${query}`;
}

function row(task) {
  return el('tr', { 'data-task-id': task.id },
    el('td', {}, el('a', { href: `/tasks/${task.id}` }, task.id)),
    el('td', {}, el('a', { href: `/tasks/${task.id}` }, task.name)),
    el('td', {}, badge(task.status)),
    el('td', {}, task.operation),
    el('td', {}, task.serviceId),
    el('td', {}, task.creator),
    el('td', {}, time(task.createTime)),
    el('td', {}, time(task.finishTime)),
  );
}

async function load() {
  document.getElementById('filter-status').value = status;
  document.getElementById('filter-name').value = name;
  const query = new URLSearchParams({ page, size: PAGE_SIZE, sort: 'id,desc' });
  if (status) query.set('status', status);
  if (name) query.set('name', name);
  const found = await api('GET', `/api/v2/tasks/instances?${query}`);
  const body = clear(document.querySelector('#tasks tbody'));
  for (const task of found.contents) body.append(row(task));
  if (found.contents.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'No tasks match.')));
  }
  pager(document.getElementById('pager'), found.page, link);
}

run(load);
