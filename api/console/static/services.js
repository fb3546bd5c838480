// The services page: every arbitration service, and the operations the server allows on each.

import {
  api, badge, clear, confirmAction, el, may, me, pageNumber, pager, run,
} from './common.js';

const PAGE_SIZE = 20;
const params = new URLSearchParams(location.search);
const page = pageNumber(params);

// How each lifecycle operation is asked of the API (upgrade has its own dialog).
const LIFECYCLE = {
  START: ['POST', 'start', 'Start'],
  STOP: ['POST', 'stop', 'Stop'],
  RESTART: ['POST', 'restart', 'Restart'],
  DELETE: ['DELETE', 'delete', 'Delete'],
};

function openTask(task) {
  location.assign(`/tasks/${task.id}`);
}

async function lifecycle(service, operation) {
  const [method, verb, label] = LIFECYCLE[operation];
  const question = `${label} arbitration service ${service.name} (${service.svrIp}:${service.svrPort})?`;
  if (!(await confirmAction(question, label))) return;
  openTask(await api(method, `/api/v2/arbitration/services/${service.id}/${verb}`));
}

function clientToken() {
  // Idempotency: a second click on the same dialog's button answers the same task.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'console-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function upgrade(service) {
  const dialog = document.getElementById('upgrade');
  const select = clear(document.getElementById('upgrade-rpm'));
  const { contents } = await api(
    'GET', `/api/v2/arbitration/services/${service.id}/upgrade-candidates`,
  );
  for (const candidate of contents) {
    select.append(el('option', { value: candidate.name }, candidate.name));
  }
  document.getElementById('upgrade-service').textContent = service.name;
  document.getElementById('upgrade-current').textContent = service.version;
  document.getElementById('upgrade-none').hidden = contents.length > 0;
  document.getElementById('upgrade-ok').disabled = contents.length === 0;
  const token = clientToken();
  dialog.returnValue = '';
  dialog.showModal();
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'ok') return;
    const body = { rpmName: select.value, clientToken: token };
    run(async () => openTask(await api('POST', `/api/v2/arbitration/services/${service.id}/upgrade`, body)));
  }, { once: true });
}

function actions(user, service) {
  const buttons = [];
  if (may(user, 'service', service, 'UPGRADE')) {
    buttons.push(el('button', {
      type: 'button', class: 'primary', 'data-op': 'UPGRADE', onclick: () => run(() => upgrade(service)),
    }, 'Upgrade'));
  }
  for (const [operation, [, , label]] of Object.entries(LIFECYCLE)) {
    if (!may(user, 'service', service, operation)) continue;
    buttons.push(el('button', {
      type: 'button',
      class: operation === 'START' ? '' : 'danger',
      'data-op': operation,
      onclick: () => run(() => lifecycle(service, operation)),
    }, label));
  }
  return buttons;
}

function row(user, service) {
  const task = service.activeTaskId;
  return el('tr', { 'data-service-id': service.id },
    el('td', {}, service.id),
    el('td', {}, service.name),
    el('td', {}, `${service.svrIp} (host ${service.hostId})`),
    el('td', {}, service.svrPort),
    el('td', { class: 'mono' }, service.version),
    el('td', {}, badge(service.status)),
    el('td', {}, task ? el('a', { href: `/tasks/${task}` }, `task ${task}`) : '–'),
    el('td', { class: 'actions' }, actions(user, service)),
  );
}

async function load() {
  const query = new URLSearchParams({ page, size: PAGE_SIZE, sort: 'id,asc' });
  const [user, found] = await Promise.all([
    me(), api('GET', `/api/v2/arbitration/services?${query}`),
  ]);
  const body = clear(document.querySelector('#services tbody'));
  for (const service of found.contents) body.append(row(user, service));
  if (found.contents.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'No arbitration services.')));
  }
  pager(document.getElementById('pager'), found.page, (n) => `/services?page=${n}`);
}

run(load);
