// A task's subtasks drawn as a graph from their upstreams and downstreams, whatever the DAG's
// shape: each subtask sits one layer below its deepest upstream (the longest path from the
// entries), layers run top to bottom, and within a layer subtasks are ordered by where their
// upstreams sit, so that edges cross as little as a single pass can arrange.

import { svg } from './common.js';

const NODE = { width: 300, height: 84 };
const GAP = { x: 36, y: 44 };
const MARGIN = 12;

// Every edge named by either end, once: [upstream id, downstream id].
export function edges(subtasks) {
  const ids = new Set(subtasks.map((s) => s.id));
  const seen = new Map();
  for (const s of subtasks) {
    for (const up of s.upstreams) if (ids.has(up)) seen.set(`${up}>${s.id}`, [up, s.id]);
    for (const down of s.downstreams) if (ids.has(down)) seen.set(`${s.id}>${down}`, [s.id, down]);
  }
  return [...seen.values()];
}

// The subtasks by layer: layer 0 holds the entries, and a subtask's layer is one more than its
// deepest upstream's (Kahn's order, so every upstream is placed first).
export function layers(subtasks) {
  const links = edges(subtasks);
  const ups = new Map(subtasks.map((s) => [s.id, []]));
  const downs = new Map(subtasks.map((s) => [s.id, []]));
  for (const [up, down] of links) {
    ups.get(down).push(up);
    downs.get(up).push(down);
  }
  const waiting = new Map(subtasks.map((s) => [s.id, ups.get(s.id).length]));
  const depth = new Map();
  const queue = subtasks.filter((s) => waiting.get(s.id) === 0).map((s) => s.id);
  for (const id of queue) depth.set(id, 0);
  while (queue.length) {
    const id = queue.shift();
    for (const down of downs.get(id)) {
      depth.set(down, Math.max(depth.get(down) ?? 0, depth.get(id) + 1));
      waiting.set(down, waiting.get(down) - 1);
      if (waiting.get(down) === 0) queue.push(down);
    }
  }
  // A cycle is not a DAG; should one ever come, its members go below everything else.
  const bottom = Math.max(-1, ...depth.values()) + 1;
  const result = [];
  for (const s of subtasks) {
    const layer = depth.get(s.id) ?? bottom;
    (result[layer] ??= []).push(s);
  }
  const rows = result.filter(Boolean);
  const column = new Map();
  rows.forEach((row, index) => {
    if (index > 0) {
      const centre = (s) => {
        const placed = ups.get(s.id).filter((id) => column.has(id)).map((id) => column.get(id));
        return placed.length ? placed.reduce((a, b) => a + b, 0) / placed.length : Infinity;
      };
      row.sort((a, b) => centre(a) - centre(b));
    }
    row.forEach((s, i) => column.set(s.id, i - (row.length - 1) / 2));
  });
  return rows;
}

// Positions of every node (top-left corners) and the drawing's size.
export function layout(subtasks) {
  const rows = layers(subtasks);
  const widest = Math.max(1, ...rows.map((row) => row.length));
  const width = widest * NODE.width + (widest - 1) * GAP.x + 2 * MARGIN;
  const height = rows.length * NODE.height + Math.max(0, rows.length - 1) * GAP.y + 2 * MARGIN;
  const at = new Map();
  rows.forEach((row, layer) => {
    const span = row.length * NODE.width + (row.length - 1) * GAP.x;
    const left = (width - span) / 2;
    row.forEach((s, i) => {
      at.set(s.id, { x: left + i * (NODE.width + GAP.x), y: MARGIN + layer * (NODE.height + GAP.y) });
    });
  });
  return { at, width, height, layers: rows.map((row) => row.map((s) => s.id)) };
}

export function seconds(value) {
  if (value < 60) return `${value.toFixed(1)} s`;
  const minutes = Math.floor(value / 60);
  const rest = Math.round(value % 60);
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

// Elapsed seconds of the subtask's latest run: to its finish, or to now while it runs.
export function elapsed(subtask, now) {
  if (!subtask.startTime) return null;
  const running = subtask.status === 'RUNNING' || subtask.status === 'CANCELING';
  const end = subtask.finishTime && !running ? new Date(subtask.finishTime) : running ? now : null;
  return end ? Math.max(0, (end - new Date(subtask.startTime)) / 1000) : null;
}

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function node(subtask, place, selected, now, onSelect) {
  const spent = elapsed(subtask, now);
  const share = spent === null ? 0 : Math.min(1, spent / subtask.timeout);
  const classes = ['node', `status-${subtask.status}`, selected ? 'selected' : ''].join(' ').trim();
  const group = svg('g', {
    class: classes,
    transform: `translate(${place.x},${place.y})`,
    tabindex: 0,
    role: 'button',
    'data-subtask-id': subtask.id,
    'data-status': subtask.status,
    'aria-label': `${subtask.name}: ${subtask.status}`,
    onclick: () => onSelect(subtask.id),
    onkeydown: (event) => {
      if (event.key === 'Enter' || event.key === ' ') onSelect(subtask.id);
    },
  },
  svg('title', {}, `${subtask.name} (${subtask.id})`),
  svg('rect', { class: 'box', width: NODE.width, height: NODE.height, rx: 8 }),
  svg('text', { class: 'name', x: 12, y: 21 }, clip(subtask.name, 40)),
  svg('text', { class: 'meta', x: 12, y: 40 }, `${subtask.status} · ${subtask.operation} · run ${subtask.runTime}`),
  svg('text', { class: 'meta elapsed', x: 12, y: 57 },
    `${spent === null ? '–' : seconds(spent)} of ${seconds(subtask.timeout)}`),
  svg('text', { class: 'meta executor', x: 12, y: 73 }, clip(subtask.executor || 'not run yet', 44)),
  svg('rect', { class: 'track', x: 0, y: NODE.height - 4, width: NODE.width, height: 4 }),
  svg('rect', { class: 'spent', x: 0, y: NODE.height - 4, width: NODE.width * share, height: 4 }),
  );
  return group;
}

// Draw the task's DAG into `target` (an <svg>), the subtask `selected` highlighted.
export function draw(target, subtasks, { selected = null, now = new Date(), onSelect = () => {} } = {}) {
  const { at, width, height } = layout(subtasks);
  target.setAttribute('viewBox', `0 0 ${width} ${height}`);
  target.setAttribute('width', width);
  target.setAttribute('height', height);
  const arrow = svg('marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto',
  }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }));
  const lines = edges(subtasks).map(([up, down]) => {
    const from = at.get(up);
    const to = at.get(down);
    const x1 = from.x + NODE.width / 2;
    const y1 = from.y + NODE.height;
    const x2 = to.x + NODE.width / 2;
    const y2 = to.y;
    const bend = (y2 - y1) / 2;
    return svg('path', {
      class: 'edge',
      d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`,
      'marker-end': 'url(#arrow)',
      'data-edge': `${up}>${down}`,
    });
  });
  const nodes = subtasks.map((s) => node(s, at.get(s.id), s.id === selected, now, onSelect));
  target.replaceChildren(svg('defs', {}, arrow), ...lines, ...nodes);
}
