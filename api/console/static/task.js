// The task page: the live DAG (pushed by the server as Server-Sent Events), the selected
// subtask's log, the operator's actions the server allows, and the replay of any version.

import {
  api, badge, clear, clearFlash, confirmAction, el, flash, may, me, run, time,
} from './common.js';
import { draw, elapsed, seconds } from './dag.js';

const taskId = Number(location.pathname.split('/')[2]);
const TASK = `/api/v2/tasks/instances/${taskId}`;

const state = {
  user: null,
  latest: null, // the task as the stream last pushed it
  latestVersion: 0,
  shown: null, // the task on screen: the latest, or the one replayed
  asOf: null, // the replayed version, or null when live
  selected: null, // the selected subtask's id
  timeline: [],
  replays: 0, // replay requests made, so that only the last one asked is drawn
};

// Operations on the task and its subtasks: how to ask the API, and whether to ask first.
const TASK_ACTIONS = [
  { op: 'RETRY', label: 'Retry task', path: 'retry' },
  { op: 'ROLLBACK', label: 'Roll back', path: 'rollback', confirm: 'Roll back task {task}: undo every step that ran, last first?' },
];
const SUBTASK_ACTIONS = [
  { op: 'RETRY', label: 'Retry', path: 'retry' },
  { op: 'SKIP', label: 'Skip', path: 'skip', confirm: 'Skip subtask "{name}": mark it done without running it?' },
  { op: 'CANCEL', label: 'Cancel', path: 'cancel', confirm: 'Cancel subtask "{name}": interrupt it while it runs?' },
];

function live() {
  return state.asOf === null;
}

async function act(action, path, words) {
  if (action.confirm) {
    const question = action.confirm.replace('{task}', taskId).replace('{name}', words);
    if (!(await confirmAction(question, action.label))) return;
  }
  clearFlash();
  await api('POST', path);
  // Nothing to draw here: the stream pushes the task as the command left it.
}

function buttons(kind, resource, actions, base, words) {
  return actions
    .filter((action) => live() && may(state.user, kind, resource, action.op))
    .map((action) => el('button', {
      type: 'button',
      class: action.confirm ? 'danger' : 'primary',
      'data-op': action.op,
      onclick: () => run(() => act(action, `${base}/${action.path}`, words)),
    }, action.label));
}

function fact(name, value) {
  return [el('dt', {}, name), el('dd', {}, value)];
}

function renderHead(task) {
  document.getElementById('task-name').textContent = `${task.name} · ${task.id}`;
  document.getElementById('task-status').replaceWith(
    Object.assign(badge(task.status), { id: 'task-status' }),
  );
  clear(document.getElementById('task-actions')).append(...buttons('task', task, TASK_ACTIONS, TASK, ''));
  clear(document.getElementById('task-facts')).append(
    ...fact('Operation', task.operation),
    ...fact('Creator', task.creator),
    ...fact('Executor', task.executor),
    ...fact('Created', time(task.createTime)),
    ...fact('Finished', time(task.finishTime)),
    ...fact('Rollback', task.prohibitRollback ? 'prohibited' : 'possible'),
  );
}

async function loadLog() {
  const pane = document.getElementById('subtask-log');
  const follow = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
  const { log } = await api('GET', `${TASK}/subtasks/${state.selected}/log`);
  pane.textContent = log || '(no log yet)';
  if (follow) pane.scrollTop = pane.scrollHeight;
}

function renderSubtask(task) {
  const aside = document.getElementById('subtask');
  const subtask = task.subtasks.find((s) => s.id === state.selected);
  aside.hidden = !subtask;
  if (!subtask) return;
  document.getElementById('subtask-name').textContent = subtask.name;
  const spent = elapsed(subtask, new Date());
  clear(document.getElementById('subtask-facts')).append(
    ...fact('Id', subtask.id),
    ...fact('Status', badge(subtask.status)),
    ...fact('Operation', subtask.operation),
    ...fact('Run', subtask.runTime),
    ...fact('Elapsed', `${spent === null ? '–' : seconds(spent)} of ${seconds(subtask.timeout)}`),
    ...fact('Executor', subtask.executor || '–'),
    ...fact('Started', time(subtask.startTime)),
    ...fact('Finished', time(subtask.finishTime)),
  );
  clear(document.getElementById('subtask-actions')).append(
    ...buttons('subtask', subtask, SUBTASK_ACTIONS, `${TASK}/subtasks/${subtask.id}`, subtask.name),
  );
}

function select(subtaskId) {
  state.selected = state.selected === subtaskId ? null : subtaskId;
  render();
  if (state.selected !== null) run(loadLog);
}

function render() {
  const task = state.shown;
  renderHead(task);
  draw(document.getElementById('dag'), task.subtasks, { selected: state.selected, onSelect: select });
  renderSubtask(task);
  document.getElementById('as-of').hidden = live();
  document.getElementById('as-of-version').textContent = state.asOf ?? '';
  document.getElementById('as-of-latest').textContent = state.latestVersion;
  renderReplay();
}

function renderReplay() {
  const slider = document.getElementById('replay-slider');
  const version = state.asOf ?? state.latestVersion;
  slider.max = Math.max(1, state.latestVersion);
  slider.value = version;
  document.getElementById('replay-version').textContent = version;
  const body = clear(document.querySelector('#timeline tbody'));
  for (const event of state.timeline) {
    const row = el('tr', {
      class: event.version === version ? 'current' : '',
      'data-version': event.version,
      onclick: () => run(() => replay(event.version)),
    },
    el('td', {}, event.version),
    el('td', {}, time(event.time)),
    el('td', {}, event.actor),
    el('td', {}, event.message),
    el('td', { class: 'mono' }, event.node || '–'),
    el('td', { class: 'mono' }, event.traceId),
    );
    body.append(row);
  }
}

async function loadTimeline() {
  const { contents } = await api('GET', `${TASK}/events`);
  state.timeline = contents.filter((event) => event.aggregate === 'Task');
  renderReplay();
}

async function replay(version) {
  const target = Math.min(Math.max(1, version), state.latestVersion);
  const asked = ++state.replays;
  const shown = target === state.latestVersion ? state.latest : await api('GET', `${TASK}?asOf=${target}`);
  if (asked !== state.replays) return; // a later step (a dragged slider) has overtaken this one
  state.asOf = target === state.latestVersion ? null : target;
  state.shown = shown;
  render();
}

function onPush(event) {
  state.latest = JSON.parse(event.data);
  state.latestVersion = Number(event.lastEventId);
  if (live()) state.shown = state.latest;
  render();
  run(loadTimeline);
  if (state.selected !== null) run(loadLog); // follows a running step's log
}

// Elapsed times of running steps move on between pushes: a local clock, no request.
function tick() {
  if (state.shown && live() && state.shown.subtasks.some((s) => s.status === 'RUNNING')) {
    draw(document.getElementById('dag'), state.shown.subtasks, { selected: state.selected, onSelect: select });
    renderSubtask(state.shown);
  }
}

async function start() {
  state.user = await me();
  const stream = new EventSource(`${TASK}/stream`);
  stream.addEventListener('task', onPush);
  stream.addEventListener('error', () => {
    if (stream.readyState === EventSource.CLOSED) {
      // The stream was refused (not found, signed out...): say why with an ordinary request.
      run(async () => {
        await api('GET', TASK);
        flash('Live updates stopped; reload the page to resume them.');
      });
    }
  });
  const slider = document.getElementById('replay-slider');
  slider.addEventListener('input', () => run(() => replay(Number(slider.value))));
  document.getElementById('step-back').addEventListener('click', () => run(() => replay((state.asOf ?? state.latestVersion) - 1)));
  document.getElementById('step-forward').addEventListener('click', () => run(() => replay((state.asOf ?? state.latestVersion) + 1)));
  document.getElementById('back-to-live').addEventListener('click', () => run(() => replay(state.latestVersion)));
  setInterval(tick, 1000);
}

run(start);
