// app.js: the keruta admin panel.  A task list on the left, the chosen
// task's logs on the right: history, then live lines over a WebSocket.
// Routes: #/ (list only) and #/tasks/<id> with lines and filters (route.js).

import { api, ApiError, downloadUrl, getToken, LiveFeed, setToken,
    taskPath } from './api.js';
import { el, fmtAgo, fmtCount, fmtTime, isUtc, setStamps,
    setUtc } from './format.js';
import { rawLog } from './raw.js';
import { Outline } from './sections.js';
import { LogView, PAGE } from './logview.js';
import { parseHash, taskHash } from './route.js';
import { textMatcher } from './search.js';

const $ = (id) => document.getElementById(id);
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const SOURCES = ['stdout', 'stderr', 'agent'];
const LIST_MS = 2000;
/* Sections are read from the whole log, up to this many lines; beyond,
 * the markers show as text (the server does not index them). */
const OUTLINE_MAX = 200000;

const state = {
	taskId: null,
	runs: [],		/* {runId, start, exit}: the task's runs */
	errAt: -1,		/* the error last stepped to */
	lines: null,		/* [a, b]: the selected lines, 1-based */
	tasks: new Map(),	/* taskId -> latest row of GET /tasks */
	list: [],		/* the same, newest activity first */
	feed: null,
	gen: 0,
	listBusy: false,
	listed: false,		/* GET /tasks has answered once */
	loaded: false,		/* the view's first page has come */
	statsOpen: false,
	unseen: 0,		/* live lines below the view, not yet seen */
};

let view;

/* Line numbers of a filtered view: the line of record id X in the whole
 * log is the task's count less the count after X, asked for the rows in
 * sight, both counts taken again if the task grew in between. */
const lines = { ids: new Map(), want: new Set(), busy: false };
const LINE_CACHE = 20000;

/* ---- messages ---- */

let bannerTimer = 0;
function banner(text, kind = 'error') {
	const b = $('banner');
	b.textContent = text;
	b.className = kind;
	b.hidden = false;
	clearTimeout(bannerTimer);
	bannerTimer = setTimeout(() => {
		b.hidden = true;
	}, 8000);
}

function explain(e) {
	if (e instanceof ApiError) {
		if (e.status === 401)
			return 'unauthorized: ' + (e.message ?
			    e.message + '; ' : '') + 'enter an access token';
		if (e.status === 403)
			return 'forbidden: ' + e.message;
		return e.status ? `${e.message} (${e.status})` : e.message;
	}
	return String(e && e.message ? e.message : e);
}

function setConn(s, detail) {
	const c = $('conn');
	c.className = 'conn ' + (s === 'live' ? 'live' :
	    s === 'error' || s === 'off' || s === 'denied' ? 'off' : 'wait');
	c.textContent = s;
	if (s === 'error')
		banner('live feed: ' + detail);
	else if (s === 'denied')
		banner('live feed: ' + explain(detail));
	else if (s === 'live' && $('banner').textContent.startsWith('live feed:'))
		$('banner').hidden = true;	/* resolved by the reconnect */
}

/* ---- the task list ---- */

function statusText(t) {
	if (!t)
		return '';
	if (t.status === 'exited' || typeof t.exitCode === 'number')
		return typeof t.exitCode === 'number' ?
		    `exited ${t.exitCode}` : 'exited';
	return t.status || '';
}

function statusClass(t) {
	if (!t)
		return '';
	if (typeof t.exitCode === 'number')
		return t.exitCode === 0 ? 'ok' : 'bad';
	return t.status === 'running' ? 'run' : '';
}

/* GET /tasks: lastActivity is when the server last stored a record. */
const lastOf = (t) => t.lastActivity ?? t.lastTimestamp;

// running, succeeded (exited 0) or failed (exited otherwise).
function stateOf(t) {
	if (typeof t.exitCode === 'number')
		return t.exitCode === 0 ? 'succeeded' : 'failed';
	return t.status === 'exited' ? 'failed' : 'running';
}

function renderTasks(list) {
	const now = Date.now();
	const want = $('task-filter').value.trim().toLowerCase();
	const st = $('task-state').value;
	if (want)
		list = list.filter((t) => t.taskId.toLowerCase().includes(want));
	if (st)
		list = list.filter((t) => stateOf(t) === st);
	const body = $('task-rows');
	const frag = document.createDocumentFragment();
	for (const t of list) {
		const id = t.taskId;
		const tr = el('tr', { 'data-task': id, tabindex: 0,
		    class: id === state.taskId ? 'sel' : null },
		    el('td', { class: 'id' }, el('a',
		    { href: '#/tasks/' + encodeURIComponent(id) }, id)),
		    el('td', { class: 'num count' }, fmtCount(t.count)),
		    el('td', { class: 'ago', title: fmtTime(lastOf(t)) },
		    fmtAgo(lastOf(t), now)),
		    el('td', { class: 'status ' + statusClass(t) },
		    statusText(t)),
		    el('td', { class: 'num took' }, fmtDuration(
		    Date.parse(t.lastTimestamp) - Date.parse(t.firstTimestamp))),
		    el('td', { class: 'num errors' + (t.errors ? ' bad' : '') },
		    fmtCount(t.errors ?? 0)));
		frag.append(tr);
	}
	body.replaceChildren(frag);
	$('task-empty').hidden = list.length !== 0;
}

async function refreshTasks() {
	if (state.listBusy)
		return;
	state.listBusy = true;
	try {
		const body = await api('/tasks');
		const list = (Array.isArray(body && body.tasks) ? body.tasks : [])
		    .filter((t) => t && typeof t.taskId === 'string');
		list.sort((a, b) => String(lastOf(b) ?? '').localeCompare(
		    String(lastOf(a) ?? '')));
		const before = state.tasks.get(state.taskId);
		state.tasks = new Map(list.map((t) => [t.taskId, t]));
		state.list = list;
		state.listed = true;
		renderTasks(list);
		headStatus();
		notice();
		if ($('stamps').value === 'since')
			applyStamps();
		/* Open stats follow the task as it grows. */
		const after = state.tasks.get(state.taskId);
		if (state.statsOpen && after && (!before ||
		    before.count !== after.count))
			loadStats();
	} catch (e) {
		banner('task list: ' + explain(e));
	} finally {
		state.listBusy = false;
	}
}

/* ---- search across tasks ---- */

// GET /logs?q=: the hits of every task, newest first, a page at a time.
async function searchAll(more) {
	const q = $('all-q').value.trim();
	const list = $('hit-list');
	if (!q) {
		$('hits').hidden = true;
		return;
	}
	if (!more) {
		state.hitsNext = null;
		list.replaceChildren();
	}
	const params = { q, size: 50 };
	if (more && state.hitsNext)
		params.before = state.hitsNext;
	let b;
	try {
		b = await api('/logs', { params });
	} catch (e) {
		banner('search: ' + explain(e));
		return;
	}
	const recs = Array.isArray(b && b.content) ? b.content : [];
	for (const r of recs)
		list.append(el('li', null, el('a', { href: '#', 'data-task':
		    r.taskId, 'data-id': r.id }, el('span', { class: 'task' },
		    r.taskId), el('span', { class: 'when' }, fmtTime(r.timestamp)),
		    el('span', { class: 'text' }, String(r.message ?? '')))));
	state.hitsNext = b && typeof b.next === 'number' ? b.next : null;
	$('hits-more').hidden = state.hitsNext === null;
	const n = list.children.length;
	$('hits-head').textContent = n ? `${fmtCount(n)}${state.hitsNext ?
	    '+' : ''} lines match “${q}” in every task, newest first` :
	    `no line matches “${q}”`;
	$('hits').hidden = false;
}

// A hit opens its task at its line: the records up to it, counted.
async function openHit(e) {
	const a = e.target.closest('a[data-id]');
	if (!a)
		return;
	e.preventDefault();
	const task = a.dataset.task, id = Number(a.dataset.id);
	try {
		const all = await api(taskPath(task) + '/logs/count');
		const after = await api(taskPath(task) + '/logs/count',
		    { params: { after: id } });
		const n = all.count - after.count;
		location.hash = taskHash({ taskId: task, lines: [n, n] });
	} catch (err) {
		banner('search: ' + explain(err));
	}
}

/* ---- the task view ---- */

function checked(id, all) {
	const v = [...$(id).querySelectorAll('input:checked')].map((i) => i.value);
	return v.length === all.length ? null : v;	/* null: no filter */
}

// The level select names a minimum: the server takes one level as such.
function filters() {
	const min = $('level').value;
	return { min, levels: min ? LEVELS.slice(LEVELS.indexOf(min)) : null,
	    sources: checked('sources', SOURCES), q: $('q').value.trim() };
}

function restParams(f) {
	return { level: f.min, source: f.sources, q: f.q };
}

function store(key, v) {
	try {
		localStorage.setItem(key, v);
	} catch {
		/* no storage */
	}
}

function stored(key) {
	try {
		return localStorage.getItem(key);
	} catch {
		return null;
	}
}

// Timestamps as the reader chose, "since start" counted from the task's
// first record.
function applyStamps() {
	const mode = $('stamps').value;
	const t = state.tasks.get(state.taskId);
	setStamps(mode, t ? t.firstTimestamp : undefined);
	$('log').classList.toggle('no-ts', mode === 'off');
	view.rerender();
}

async function downloadRaw() {
	const id = state.taskId;
	const b = $('raw-btn');
	b.disabled = true;
	b.textContent = 'Raw log…';
	try {
		const blob = await rawLog(downloadUrl(taskPath(id) +
		    '/logs/export', { format: 'ndjson' }));
		const a = el('a', { href: URL.createObjectURL(blob),
		    download: `${id}.log` });
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(a.href), 60000);
	} catch (e) {
		banner('raw log: ' + explain(e));
	} finally {
		b.disabled = false;
		b.textContent = 'Raw log';
	}
}

function headStatus() {
	if (!state.taskId)
		return;
	const t = state.tasks.get(state.taskId);
	const s = $('view-status');
	s.textContent = statusText(t);
	s.className = 'status ' + statusClass(t);
	/* The last run's own duration when it said so, else the span of
	 * the task's records. */
	const last = state.runs.length ? state.runs[state.runs.length - 1] :
	    null;
	const m = last && last.exit ? last.exit.metadata : null;
	let ms = m && typeof m.durationMs === 'number' ? m.durationMs : NaN;
	if (!Number.isFinite(ms) && t)
		ms = Date.parse(t.lastTimestamp) - Date.parse(t.firstTimestamp);
	const d = fmtDuration(ms);
	$('view-duration').textContent = d ? 'duration ' + d : '';
}

function showCount() {
	$('view-count').textContent = `${fmtCount(view.total)} lines`;
}

// What an empty pane means: a task not there (yet), or filters that match
// nothing.  The live feed stays on either way, and the first line that
// comes takes the notice away.
function notice() {
	const n = $('notice');
	const id = state.taskId;
	if (id === null || !state.loaded || view.total > 0) {
		n.hidden = true;
		return;
	}
	const f = filters();
	if (state.listed && !state.tasks.has(id))
		n.textContent = `Task “${id}” does not exist (yet). Watching ` +
		    'for it: its lines will show here as they arrive.';
	else if (f.min || f.sources || f.q)
		n.textContent = 'No line of this task matches the filters.';
	else
		n.textContent = `Task “${id}” has no lines (yet). Watching: ` +
		    'they will show here as they arrive.';
	n.hidden = false;
}

// The address of what is on screen, kept in the hash without a new
// history entry for each filter change.
function syncHash() {
	if (state.taskId === null)
		return;
	const f = filters();
	const h = taskHash({ taskId: state.taskId, lines: state.lines,
	    level: f.min, sources: f.sources, q: f.q });
	if (h !== location.hash)
		history.replaceState(null, '', h);
}

// Set the filter controls from a route; true if any changed.
function setControls(r) {
	const before = JSON.stringify(filters());
	$('level').value = r.level;
	for (const i of $('sources').querySelectorAll('input'))
		i.checked = !r.sources || r.sources.includes(i.value);
	$('q').value = r.q;
	return JSON.stringify(filters()) !== before;
}

function isFiltered() {
	const f = filters();
	return Boolean(f.min || f.sources || f.q);
}

function lineOf(i, r) {
	if (!state.filtered)
		return i + 1;
	if (!r || typeof r.id !== 'number')
		return undefined;
	const n = lines.ids.get(r.id);
	if (n === undefined && !lines.want.has(r.id)) {
		lines.want.add(r.id);
		queueMicrotask(fetchLines);
	}
	return n;
}

async function fetchLines() {
	if (lines.busy || !lines.want.size)
		return;
	lines.busy = true;
	const gen = state.gen;
	const path = taskPath(state.taskId) + '/logs/count';
	const want = [...lines.want].slice(0, 50);
	let ok = false;
	try {
		for (let tries = 0; tries < 3 && !ok; tries++) {
			const [t0, ...after] = await Promise.all([api(path),
			    ...want.map((x) => api(path, { params: { after: x } }))]);
			const t1 = await api(path);
			if (gen !== state.gen)
				return;
			if (t0.count !== t1.count)
				continue;
			want.forEach((x, k) => lines.ids.set(x,
			    t0.count - after[k].count));
			ok = true;
		}
	} catch {
		/* tried again below */
	} finally {
		lines.busy = false;
	}
	if (gen !== state.gen)
		return;
	if (!ok) {
		setTimeout(fetchLines, 2000);
		return;
	}
	for (const x of want)
		lines.want.delete(x);
	while (lines.ids.size > LINE_CACHE)
		lines.ids.delete(lines.ids.keys().next().value);
	view.rerender();
	fetchLines();
}

function lineHref(n) {
	const f = filters();
	return taskHash({ taskId: state.taskId, lines: [n, n], level: f.min,
	    sources: f.sources, q: f.q });
}

// Select the lines of the route and bring the first into sight.
async function gotoLines() {
	const sel = state.lines;
	view.select(sel);
	if (!sel)
		return;
	const gen = state.gen;
	const n = sel[0];
	let i = n - 1;
	try {
		if (state.filtered) {
			const b = await api(taskPath(state.taskId) + '/logs',
			    { params: { page: n - 1, size: 1, order: 'asc' } });
			const r = b && Array.isArray(b.content) ? b.content[0] :
			    undefined;
			if (gen !== state.gen)
				return;
			if (!r || typeof r.id !== 'number') {
				i = view.total;
			} else {
				lines.ids.set(r.id, n);
				const c = await api(taskPath(state.taskId) +
				    '/logs/count', { params: { ...restParams(
				    filters()), after: r.id - 1 } });
				i = view.total - c.count;
			}
		}
	} catch (e) {
		banner(`line ${n}: ` + explain(e));
		return;
	}
	if (gen !== state.gen || sel !== state.lines)
		return;
	if (i >= view.total && !state.filtered) {
		banner(`line ${n}: the task has ${fmtCount(view.total)} lines`,
		    'info');
		return;
	}
	view.showRow(Math.min(i, view.total - 1));
}

/* ---- errors, search hits, runs ---- */

function typing(t) {
	return t instanceof HTMLInputElement || t instanceof HTMLSelectElement ||
	    t instanceof HTMLTextAreaElement;
}

// Show and select row i of the view, whose first record is r.
async function selectRow(i, r) {
	const gen = state.gen;
	let n = state.filtered ? undefined : i + 1;
	if (n === undefined && r && typeof r.id === 'number') {
		const path = taskPath(state.taskId) + '/logs/count';
		const [t, c] = await Promise.all([api(path),
		    api(path, { params: { after: r.id } })]);
		n = t.count - c.count;
	}
	if (gen !== state.gen)
		return;
	view.showRow(i);
	view.selRow = i;
	if (n !== undefined) {
		state.lines = [n, n];
		view.select(state.lines);
		syncHash();
	}
}

// The k-th error (ERROR or FATAL) among the lines the filters show, from
// 0; d steps from the current one.
async function stepError(d) {
	const id = state.taskId;
	const f = filters();
	const p = restParams(f);
	const gen = state.gen;
	const k = d === 0 ? 0 : state.errAt + d;
	if (k < 0)
		return;
	try {
		const b = await api(taskPath(id) + '/logs', { params: { ...p,
		    level: f.min === 'FATAL' ? 'FATAL' : 'ERROR', page: k, size: 1,
		    order: 'asc' } });
		const r = b && Array.isArray(b.content) ? b.content[0] : undefined;
		if (gen !== state.gen)
			return;
		if (!r || typeof r.id !== 'number') {
			banner(k === 0 ? 'no error in this task' +
			    (state.filtered ? ' with these filters' : '') :
			    `no error after this one (${fmtCount(k)} in all)`,
			    'info');
			return;
		}
		const c = await api(taskPath(id) + '/logs/count',
		    { params: { ...p, after: r.id - 1 } });
		if (gen !== state.gen)
			return;
		state.errAt = k;
		$('banner').hidden = true;
		await selectRow(Math.max(0, view.total - c.count), r);
	} catch (e) {
		banner('errors: ' + explain(e));
	}
}

// Search hits are the rows of a searched view: step the selection.
function stepHit(d) {
	if (!filters().q || !view.total)
		return;
	const cur = view.selRow;
	const i = cur === undefined ? (d > 0 ? 0 : view.total - 1) :
	    Math.max(0, Math.min(view.total - 1, cur + d));
	selectRow(i, view.get(i));
}

// The runs of the task, from the pipeline's start and exit events.
async function loadRuns() {
	const id = state.taskId;
	let b;
	try {
		b = await api(taskPath(id) + '/logs', { params: { source: 'agent',
		    page: 0, size: 200, order: 'asc' } });
	} catch {
		return;
	}
	if (id !== state.taskId)
		return;
	const runs = new Map();
	for (const r of Array.isArray(b && b.content) ? b.content : []) {
		const m = r.metadata && typeof r.metadata === 'object' ?
		    r.metadata : {};
		if (typeof r.runId !== 'string' || (m.event !== 'start' &&
		    m.event !== 'exit'))
			continue;
		const run = runs.get(r.runId) || { runId: r.runId };
		run[m.event] = r;
		runs.set(r.runId, run);
	}
	state.runs = [...runs.values()].filter((x) => x.start);
	const sel = $('runs');
	sel.replaceChildren(...state.runs.map((x, k) => {
		const m = x.exit ? x.exit.metadata : null;
		return el('option', { value: x.runId }, `#${k + 1} ` +
		    `${x.runId.slice(0, 8)} ` + (m ? m.signal ?
		    `(killed by ${m.signal})` : `(exited ${m.exitCode ?? '?'})` :
		    '(running)'));
	}));
	if (state.runs.length)
		sel.value = state.runs[state.runs.length - 1].runId;
	sel.closest('label').hidden = state.runs.length === 0;
	headStatus();
}

async function gotoRun() {
	const run = state.runs.find((x) => x.runId === $('runs').value);
	if (!run)
		return;
	const r = run.start;
	try {
		const c = await api(taskPath(state.taskId) + '/logs/count',
		    { params: { ...restParams(filters()), after: r.id - 1 } });
		await selectRow(Math.max(0, view.total - c.count), r);
	} catch (e) {
		banner('run: ' + explain(e));
	}
}

function fmtDuration(ms) {
	if (!Number.isFinite(ms) || ms < 0)
		return '';
	const s = ms / 1000;
	if (s < 60)
		return `${s.toFixed(1)} s`;
	const m = Math.floor(s / 60);
	if (m < 60)
		return `${m} min ${Math.round(s % 60)} s`;
	return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/* ---- sections ---- */

// Feed the outline the lines that came live after its reading.
function catchUp(o) {
	for (let i = o.count; i < view.total; i++) {
		const r = view.peek(i);
		if (r === undefined)
			break;
		o.feed(i, r);
	}
}

// Read the whole log (unfiltered) for its section markers, then fold.
async function loadOutline(gen, id) {
	if (view.total > OUTLINE_MAX)
		return;
	const o = new Outline();
	const feed = (l) => {
		if (l === '' || o.count >= view.total)
			return;
		try {
			o.feed(o.count, JSON.parse(l));
		} catch {
			/* not a record: it is not counted either */
		}
	};
	try {
		const r = await fetch(downloadUrl(taskPath(id) + '/logs/export',
		    { format: 'ndjson' }), { cache: 'no-store' });
		if (!r.ok || !r.body)
			return;
		const reader = r.body.pipeThrough(new TextDecoderStream())
		    .getReader();
		let rest = '';
		for (;;) {
			const { value, done } = await reader.read();
			if (gen !== state.gen) {
				reader.cancel();
				return;
			}
			if (done)
				break;
			const ls = (rest + value).split('\n');
			rest = ls.pop();
			ls.forEach(feed);
		}
		feed(rest);
	} catch {
		return;		/* no sections: the markers show as text */
	}
	if (gen !== state.gen)
		return;
	catchUp(o);
	state.outline = o;
	view.setOutline(o);
	if (state.lines)
		gotoLines();
}

// A click in the rows: a section's fold, a line's states, a line number.
function rowClicked(e) {
	const fold = e.target.closest('button.fold');
	if (fold) {
		view.toggleSection(Number(fold.closest('.row').dataset.i));
		return;
	}
	const w = e.target.closest('button.whole');
	if (w) {
		view.toggleWhole(Number(w.closest('.row').dataset.i));
		return;
	}
	const a = e.target.closest('a.ln');
	if (!a || e.ctrlKey || e.metaKey)
		return;		/* a new tab opens the link as it is */
	e.preventDefault();
	const n = Number(a.closest('.row').dataset.line);
	if (!n)
		return;
	const s = state.lines;
	state.lines = e.shiftKey && s ? [Math.min(s[0], n), Math.max(s[1], n)] :
	    [n, n];
	view.setFollow(false);
	view.select(state.lines);
	syncHash();
}

function filtersChanged() {
	syncHash();
	loadView();
}

function setExports() {
	const p = taskPath(state.taskId) + '/logs/export';
	for (const [f, ext] of [['ndjson', 'ndjson'], ['csv', 'csv'],
	    ['txt', 'txt']]) {
		const a = $('export-' + f);
		a.href = downloadUrl(p, { format: f });
		a.download = `${state.taskId}.${ext}`;
	}
}

// Lines that arrived while the user reads further up.
function unseen(n) {
	state.unseen = n;
	const b = $('unseen');
	b.hidden = n === 0;
	b.textContent = `↓ ${fmtCount(n)} new line${n === 1 ? '' : 's'}`;
}

function closeFeed() {
	if (state.feed) {
		state.feed.stop();
		state.feed = null;
	}
	setConn('off');
}

async function loadView() {
	const gen = ++state.gen;
	const id = state.taskId;
	const f = filters();
	closeFeed();
	view.reset();
	state.outline = null;
	state.filtered = isFiltered();
	state.errAt = -1;
	lines.ids.clear();
	lines.want.clear();
	state.loaded = false;
	showCount();
	unseen(0);
	notice();
	if (f.sources && !f.sources.length) {
		state.loaded = true;
		notice();
		return;		/* nothing can match */
	}
	const params = restParams(f);
	let body, newest = null;
	try {
		/* With a search, the live cursor starts at the task's newest
		 * record, not at the newest match: older lines are not sent. */
		[body, newest] = await Promise.all([
			api(taskPath(id) + '/logs', { params:
			    { ...params, page: 0, size: PAGE, order: 'desc' } }),
			f.q ? api(taskPath(id) + '/logs', { params: { ...params,
			    q: '', page: 0, size: 1, order: 'desc' } }) : null,
		]);
	} catch (e) {
		if (gen === state.gen) {
			banner(explain(e));
			setConn('off');
		}
		return;
	}
	if (gen !== state.gen)
		return;
	const recs = Array.isArray(body && body.content) ? body.content : [];
	const total = typeof body.totalElements === 'number' ?
	    body.totalElements : recs.length;
	view.loadPage = (page, size) => api(taskPath(id) + '/logs',
	    { params: { ...params, page, size, order: 'asc' } })
	    .then((b) => (Array.isArray(b && b.content) ? b.content : []));
	view.seedTail(total, recs);
	state.loaded = true;
	showCount();
	notice();
	gotoLines();
	if (!state.filtered)
		loadOutline(gen, id);
	const ids = recs.concat(newest && Array.isArray(newest.content) ?
	    newest.content : []).map((r) => r.id)
	    .filter((x) => typeof x === 'number');
	/* The server filters live lines on level and source, not on q. */
	const match = textMatcher(f.q);
	state.feed = new LiveFeed({
		taskId: id, sources: f.sources, levels: f.levels,
		after: ids.length ? Math.max(...ids) : 0,
		onRecords: (rs) => {
			const keep = rs.filter(match);
			if (keep.length) {
				view.append(keep);
				if (state.outline)
					catchUp(state.outline);
				showCount();
				notice();
				if (!view.follow)
					unseen(state.unseen + keep.length);
			}
		},
		onRedacted: (ids) => view.redacted(ids),
		onState: (st, detail) => {
			/* Live from here on: what came before is checked. */
			if (st === 'live')
				view.resync();
			setConn(st, detail);
		},
	}).start();
}

async function loadStats() {
	const box = $('stats');
	const id = state.taskId;
	let s;
	try {
		s = await api(taskPath(id) + '/logs/stats');
	} catch (e) {
		box.replaceChildren(el('p', { class: 'err' }, explain(e)));
		return;
	}
	if (id !== state.taskId)
		return;
	const counts = (obj, keys, cls) => el('dd', null,
	    ...[...new Set([...keys, ...Object.keys(obj || {})])]
	    .filter((k) => obj && obj[k] !== undefined)
	    .map((k) => el('span', { class: `stat ${cls}-${k}`,
	    'data-key': k }, `${k} `, el('b', null, fmtCount(obj[k])))));
	const tr = s.timeRange || {};
	box.replaceChildren(el('dl', null,
	    el('dt', null, 'Total'),
	    el('dd', null, el('b', { id: 'stats-total' }, fmtCount(s.totalLogs))),
	    el('dt', null, 'By level'), counts(s.levelCounts, LEVELS, 'lvl'),
	    el('dt', null, 'By source'), counts(s.logCounts, SOURCES, 'src'),
	    el('dt', null, 'Time range'),
	    el('dd', { id: 'stats-range' }, tr.start ?
	    `${fmtTime(tr.start)} – ${fmtTime(tr.end)}` : '—')));
}

function toggleStats(open = !state.statsOpen) {
	state.statsOpen = open;
	$('stats').hidden = !open;
	$('stats-btn').setAttribute('aria-expanded', String(open));
	if (open)
		loadStats();
}

async function deleteLogs() {
	const id = state.taskId;
	const t = state.tasks.get(id);
	const n = t ? t.count : undefined;
	if (!await ask(`Delete every log record of task ` +
	    `“${id}”${typeof n === 'number' ? ` (${fmtCount(n)})` : ''}, ` +
	    'whatever the filters show? This cannot be undone.', 'Delete',
	    false) || id !== state.taskId)
		return;
	try {
		const r = await api(taskPath(id) + '/logs', { method: 'DELETE' });
		banner(`deleted ${fmtCount(r && r.deletedCount)} records`, 'info');
	} catch (e) {
		banner('delete: ' + explain(e));
	}
	loadView();
	refreshTasks();
	if (state.statsOpen)
		loadStats();
}

// Asks the dialog; true when confirmed with ok (its button says so).
async function ask(text, ok, every) {
	const dlg = $('confirm');
	$('confirm-text').textContent = text;
	$('confirm-ok').textContent = ok;
	$('confirm-every').hidden = !every;
	$('every-task').checked = false;
	dlg.returnValue = '';
	dlg.showModal();
	await new Promise((res) => dlg.addEventListener('close', res,
	    { once: true }));
	return dlg.returnValue === 'ok';
}

// The text selected in the log: a leaked value, scrubbed on the server
// from every record stored (of this task, or of every task); the lines
// on screen follow through the live feed's redacted event.
async function redactSelection() {
	const id = state.taskId;
	const sel = window.getSelection();
	const value = sel && sel.rangeCount && $('log').contains(
	    sel.getRangeAt(0).commonAncestorContainer) ?
	    sel.toString().trim() : '';
	if ([...value].length < 4 || value.includes('\n')) {
		banner('redact: select the leaked text in the log first (4 ' +
		    'characters at least, on one line)');
		return;
	}
	if (!await ask(`Scrub “${value}” from every stored line of task ` +
	    `“${id}”: each occurrence, also base64-, URL- or JSON-encoded, ` +
	    'becomes [REDACTED:retro]. This cannot be undone.', 'Redact', true))
		return;
	const body = { values: [value] };
	if (!$('every-task').checked)
		body.task = id;
	try {
		const r = await api('/redactions', { method: 'POST', body });
		banner(`redaction ${r.id}: running…`, 'info');
		let st = r;
		while (st.state === 'running') {
			await new Promise((res) => setTimeout(res, 500));
			st = await api('/redactions/' + r.id);
		}
		banner(`redaction ${r.id} ${st.state}: ` +
		    `${fmtCount(st.changed)} records scrubbed`,
		    st.state === 'done' ? 'info' : 'error');
	} catch (e) {
		banner('redact: ' + explain(e));
	}
}

function openTask(id) {
	state.taskId = id;
	$('view').hidden = false;
	$('view-title').textContent = id;
	document.title = `${id} · keruta logs`;
	for (const tr of $('task-rows').children)
		tr.classList.toggle('sel', tr.dataset.task === id);
	state.runs = [];
	$('runs').closest('label').hidden = true;
	headStatus();
	setExports();
	applyStamps();
	loadRuns();
	view.setFollow(true);
	loadView();
	if (state.statsOpen)
		loadStats();
}

function closeTask() {
	state.taskId = null;
	state.lines = null;
	$('notice').hidden = true;
	state.gen++;
	closeFeed();
	$('view').hidden = true;
	document.title = 'keruta logs';
	for (const tr of $('task-rows').children)
		tr.classList.remove('sel');
}

function route() {
	const r = parseHash(location.hash);
	if (r.taskId === null) {
		closeTask();
		return;
	}
	const changed = setControls(r);
	const moved = JSON.stringify(r.lines) !== JSON.stringify(state.lines);
	state.lines = r.lines;
	if (r.taskId !== state.taskId)
		openTask(r.taskId);
	else if (changed)
		loadView();
	else if (moved)
		gotoLines();
}

/* ---- wiring ---- */

function init() {
	view = new LogView($('log'), $('rows'), $('spacer'), {
		loadPage: () => Promise.resolve([]),
		onFollow: (on) => {
			$('follow').checked = on;
			if (on)
				unseen(0);
		},
		lineOf,
		lineHref,
	});
	$('rows').addEventListener('click', rowClicked);
	let utc = false;
	try {
		utc = localStorage.getItem('keruta.utc') === '1';
	} catch {
		/* no storage */
	}
	setUtc(utc);
	$('utc').checked = utc;
	$('utc').addEventListener('change', () => {
		setUtc($('utc').checked);
		try {
			localStorage.setItem('keruta.utc', isUtc() ? '1' : '0');
		} catch {
			/* no storage */
		}
		view.rerender();
		if (state.statsOpen)
			loadStats();
	});
	$('stamps').value = ['clock', 'since', 'off'].includes(
	    stored('keruta.stamps')) ? stored('keruta.stamps') : 'clock';
	$('stamps').addEventListener('change', () => {
		store('keruta.stamps', $('stamps').value);
		applyStamps();
	});
	$('wrap').checked = stored('keruta.wrap') !== '0';
	$('log').classList.toggle('nowrap', !$('wrap').checked);
	$('wrap').addEventListener('change', () => {
		store('keruta.wrap', $('wrap').checked ? '1' : '0');
		$('log').classList.toggle('nowrap', !$('wrap').checked);
		view.rerender();
	});
	$('raw-btn').addEventListener('click', downloadRaw);
	$('token').placeholder = getToken() ? 'token set (session)' :
	    'access token';
	$('auth').addEventListener('submit', (e) => {
		e.preventDefault();
		setToken($('token').value.trim());
		$('token').value = '';
		$('token').placeholder = getToken() ? 'token set (session)' :
		    'access token';
		refreshTasks();
		if (state.taskId) {
			setExports();
			loadView();
		}
	});
	$('task-rows').addEventListener('keydown', (e) => {
		const tr = e.target.closest('tr[data-task]');
		if (tr && e.key === 'Enter')
			location.hash = '#/tasks/' + encodeURIComponent(tr.dataset.task);
	});
	$('task-rows').addEventListener('click', (e) => {
		const tr = e.target.closest('tr[data-task]');
		if (tr && !e.target.closest('a'))
			location.hash = '#/tasks/' + encodeURIComponent(tr.dataset.task);
	});
	for (const id of ['level', 'sources'])
		$(id).addEventListener('change', filtersChanged);
	let qTimer = 0;
	$('search').addEventListener('submit', (e) => {
		e.preventDefault();
		clearTimeout(qTimer);
		filtersChanged();
	});
	$('q').addEventListener('input', () => {
		clearTimeout(qTimer);
		qTimer = setTimeout(filtersChanged, 400);
	});
	$('follow').addEventListener('change', () => view.setFollow(
	    $('follow').checked));
	$('unseen').addEventListener('click', () => view.setFollow(true));
	$('stats-btn').addEventListener('click', () => toggleStats());
	$('delete-btn').addEventListener('click', deleteLogs);
	$('redact-btn').addEventListener('click', redactSelection);
	$('task-filter').addEventListener('input', () => renderTasks(state.list));
	$('task-state').addEventListener('change', () =>
	    renderTasks(state.list));
	$('all-search').addEventListener('submit', (e) => {
		e.preventDefault();
		searchAll(false);
	});
	$('hits-more').addEventListener('click', () => searchAll(true));
	$('hits-close').addEventListener('click', () => {
		$('hits').hidden = true;
	});
	$('hit-list').addEventListener('click', openHit);
	document.addEventListener('keydown', (e) => {
		const t = e.target;
		if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey &&
		    !(t instanceof HTMLInputElement || t instanceof HTMLSelectElement ||
		    t instanceof HTMLTextAreaElement) && !$('view').hidden) {
			e.preventDefault();
			$('q').focus();
			return;
		}
		if (e.ctrlKey || e.metaKey || e.altKey || typing(t) ||
		    $('view').hidden)
			return;
		if (e.key === 'e' || e.key === 'E') {
			e.preventDefault();
			stepError(state.errAt < 0 ? 0 : e.key === 'e' ? 1 : -1);
		} else if (e.key === 'n' || e.key === 'N') {
			e.preventDefault();
			stepHit(e.key === 'n' ? 1 : -1);
		}
	});
	$('first-error').addEventListener('click', () => stepError(0));
	$('runs').addEventListener('change', gotoRun);
	window.addEventListener('hashchange', route);
	document.addEventListener('visibilitychange', () => {
		if (!document.hidden)
			refreshTasks();
	});
	setInterval(() => {
		if (!document.hidden)
			refreshTasks();
	}, LIST_MS);
	refreshTasks();
	route();
	/* For the browser tests and the console. */
	window.kerutaPanel = { view, state };
}

init();
