// logview.js: a virtual list of log records.  Only the rows in sight are in
// the DOM; records are fetched in pages on demand and kept in a bounded
// cache, so a task of millions of lines costs what a screenful costs.
//
// Scrolling maps to a row index, not to pixels: the scroller holds a sticky
// row box the height of the view and a spacer of (rows x px) where px is the
// line height, shrunk for very long tasks to keep the spacer within what
// browsers can lay out.  Rows wrap freely; the top row is the one the
// scroll position names, or, at the bottom, the last row sits at the bottom.

import { appendAnsi, stripAnsi } from './ansi.js';
import { el, fmtStamp } from './format.js';
import { parseMarker } from './sections.js';

export const PAGE = 200;		/* records per fetched page */
const MAX_PAGES = 80;			/* cache bound: 16,000 records */
const MAX_PX = 4000000;			/* spacer bound in CSS pixels */
const OVERSCAN = 3;
const MAX_ROWS = 400;			/* rows drawn at most */
const REFETCH_MS = 2000;
const MAX_SHOW = 8000;			/* characters of one line drawn */

export class LogView {
	// loadPage(page, size) resolves to that page's records, oldest first;
	// lineOf(i, rec) is the record's line in the task's whole log (or
	// undefined while it is not known); lineHref(n) the link of line n.
	constructor(scroller, rows, spacer, { loadPage, onFollow, lineOf,
	    lineHref }) {
		this.scroller = scroller;
		this.rows = rows;
		this.spacer = spacer;
		this.loadPage = loadPage;
		this.onFollow = onFollow || (() => {});
		this.lineOf = lineOf || ((i) => i + 1);
		this.lineHref = lineHref || ((n) => '#L' + n);
		this.sel = null;	/* [a, b]: selected lines */
		this.whole = new Set();	/* rows whose every \r state shows */
		this.outline = null;	/* sections, when the view has them */
		this.asked = new Map();	/* section start -> folded, as clicked */
		this.hide = [];		/* hidden record ranges [a, b] */
		this.hideBefore = [];	/* hidden records before each range */
		this.hideKey = '';
		this.follow = true;
		this.lineH = 0;
		this.raf = 0;
		this.expectTop = -1;
		this.reset();
		scroller.addEventListener('scroll', () => this.scrolled());
		scroller.addEventListener('wheel', (e) => this.wheel(e),
		    { passive: false });
		scroller.addEventListener('keydown', (e) => this.key(e));
		/* Wheel and keys are ours; the scroll bar and touch are the user's. */
		this.userAt = 0;
		for (const ev of ['pointerdown', 'touchstart', 'touchmove'])
			scroller.addEventListener(ev, () => {
				this.userAt = Date.now();
			}, { passive: true });
		window.addEventListener('pointerup', () => {
			this.userAt = Date.now();
		});
		new ResizeObserver(() => this.schedule()).observe(scroller);
	}

	reset() {
		this.total = 0;
		this.first = 0;
		this.pages = new Map();	/* page -> {recs: [], fetched: ms} */
		this.pending = new Set();
		this.whole = new Set();
		this.selRow = undefined;	/* the row of the first selected line */
		this.outline = null;
		this.asked = new Map();
		this.hide = [];
		this.hideBefore = [];
		this.hideKey = '';
		this.gen = (this.gen || 0) + 1;
		this.schedule();
	}

	page(n, touch) {
		const p = this.pages.get(n);
		if (p && touch) {
			this.pages.delete(n);
			this.pages.set(n, p);
		}
		return p;
	}

	put(i, rec) {
		const n = Math.floor(i / PAGE);
		let p = this.page(n, true);
		if (!p) {
			p = { recs: [], fetched: 0 };
			this.pages.set(n, p);
			this.evict();
		}
		p.recs[i - n * PAGE] = rec;
	}

	get(i) {
		const p = this.page(Math.floor(i / PAGE), true);
		return p ? p.recs[i % PAGE] : undefined;
	}

	evict() {
		while (this.pages.size > MAX_PAGES)
			this.pages.delete(this.pages.keys().next().value);
	}

	// The newest records (newest first) and the number of rows in all.
	seedTail(total, newestFirst) {
		this.total = total;
		newestFirst.forEach((r, k) => {
			if (total - 1 - k >= 0)
				this.put(total - 1 - k, r);
		});
		if (this.follow)
			this.first = this.maxFirst();
		this.schedule();
	}

	append(recs) {
		for (const r of recs)
			this.put(this.total++, r);
		this.schedule();
	}

	// Records the server changed (a redaction): the pages holding them
	// are fetched again, and show them as they now are.
	redacted(ids) {
		const set = new Set(ids);
		for (const [n, p] of [...this.pages])
			if (p.recs.some((r) => r && set.has(r.id)))
				this.pages.delete(n);
		this.schedule();
	}

	// The live feed has (re)subscribed: what was fetched before may have
	// changed while no feed could say so (a redaction), so every page on
	// hand is fetched again once on screen, shown as it was until then.
	resync() {
		this.sync = (this.sync || 0) + 1;
		for (const p of this.pages.values()) {
			p.stale = true;
			p.fetched = 0;
		}
		this.schedule();
	}

	setFollow(on) {
		if (this.follow === on)
			return;
		this.follow = on;
		this.onFollow(on);
		this.schedule();
	}

	rerender() {
		this.schedule();
	}

	// Show every state of row i's carriage-returned line, or its last.
	toggleWhole(i) {
		if (!this.whole.delete(i))
			this.whole.add(i);
		this.schedule();
	}

	// Select lines a to b of the whole log (null: none).
	select(range) {
		this.sel = range;
		this.schedule();
	}

	// Sections on (an Outline being filled) or off (null).
	setOutline(o) {
		this.outline = o;
		this.asked = new Map();
		this.schedule();
	}

	// Fold or open the section whose header is record i.
	toggleSection(i) {
		const s = this.outline && this.outline.section(i);
		if (!s)
			return;
		this.asked.set(i, !this.outline.isFolded(s, this.asked));
		this.hideKey = '';
		this.schedule();
	}

	// The hidden ranges, again when the outline or the folds changed.
	updateHidden() {
		const o = this.outline;
		const key = o ? `${o.version} ${this.asked.size} ${[...this.asked]
		    .join()} ${o.open.length ? this.total : ''}` : '';
		if (key === this.hideKey)
			return;
		this.hideKey = key;
		this.hide = o ? o.ranges(this.total, this.asked) : [];
		this.hideBefore = [];
		let n = 0;
		for (const [a, b] of this.hide) {
			this.hideBefore.push(n);
			n += b - a + 1;
		}
		this.hidden = n;
	}

	// Rows on screen: records less the hidden ones.
	rowCount() {
		return this.total - (this.hide.length ? this.hidden : 0);
	}

	// The record of row d.
	toRec(d) {
		const h = this.hide, hb = this.hideBefore;
		let lo = 0, hi = h.length - 1, k = -1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (h[mid][0] - hb[mid] <= d) {
				k = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		return k < 0 ? d : d + hb[k] + h[k][1] - h[k][0] + 1;
	}

	// The row of record i (of the header above it, when it is hidden).
	toRow(i) {
		const h = this.hide, hb = this.hideBefore;
		let lo = 0, hi = h.length - 1, k = -1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (h[mid][0] <= i) {
				k = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		if (k < 0)
			return i;
		if (i <= h[k][1])
			return Math.max(0, h[k][0] - hb[k] - 1);
		return i - hb[k] - (h[k][1] - h[k][0] + 1);
	}

	// Show record i a third of the way down, follow off; a folded
	// section around it opens.
	showRow(i) {
		this.setFollow(false);
		if (this.outline)
			for (let s = this.outline.within(i); s; s = s.parent)
				if (this.outline.isFolded(s, this.asked))
					this.asked.set(s.start, false);
		this.updateHidden();
		const f = Math.max(0, Math.min(this.maxFirst(),
		    this.toRow(i) - Math.floor(this.visRows() / 3)));
		this.first = f;
		this.setTop(f * this.px());
		this.schedule();
	}

	schedule() {
		if (!this.raf)
			this.raf = requestAnimationFrame(() => {
				this.raf = 0;
				this.render();
			});
	}

	measure() {
		if (this.lineH)
			return;
		const probe = el('div', { class: 'row' },
		    el('span', { class: 'msg' }, 'Xg'));
		this.rows.append(probe);
		this.lineH = probe.getBoundingClientRect().height || 18;
		probe.remove();
	}

	visRows() {
		this.measure();
		/* Bounded, should a layout leave the scroller unconstrained. */
		return Math.max(1, Math.min(MAX_ROWS,
		    Math.floor(this.scroller.clientHeight / this.lineH)));
	}

	px() {
		const n = this.rowCount();
		return n ? Math.min(this.lineH, MAX_PX / n) : this.lineH;
	}

	maxFirst() {
		return Math.max(0, this.rowCount() - this.visRows());
	}

	setTop(v) {
		const max = this.scroller.scrollHeight - this.scroller.clientHeight;
		v = Math.max(0, Math.min(max, Math.round(v)));
		if (Math.abs(this.scroller.scrollTop - v) < 1)
			return;
		this.expectTop = v;
		this.scroller.scrollTop = v;
	}

	scrolled() {
		const top = this.scroller.scrollTop;
		if (this.expectTop >= 0 && Math.abs(top - this.expectTop) < 2) {
			this.expectTop = -1;
			return;
		}
		this.expectTop = -1;
		/* A layout change moved it, not the user: stick to the end. */
		if (this.follow && Date.now() - this.userAt > 1000) {
			this.schedule();
			return;
		}
		const max = this.scroller.scrollHeight - this.scroller.clientHeight;
		const atEnd = top >= max - 2;
		this.first = atEnd ? this.maxFirst() :
		    Math.min(this.maxFirst(), Math.floor(top / this.px()));
		this.setFollow(atEnd);
		this.schedule();
	}

	// Scroll by rows, so a wheel notch moves the same whatever the size.
	scrollRows(d) {
		const f = Math.max(0, Math.min(this.maxFirst(), this.first + d));
		this.first = f;
		this.setFollow(f >= this.maxFirst() && d > 0);
		if (!this.follow)
			this.setTop(f * this.px());
		this.schedule();
	}

	wheel(e) {
		if (e.ctrlKey || e.deltaY === 0)
			return;
		e.preventDefault();
		const rows = e.deltaMode === 1 ? e.deltaY :
		    e.deltaMode === 2 ? e.deltaY * this.visRows() :
		    e.deltaY / this.lineH;
		this.scrollRows(rows > 0 ? Math.ceil(rows) : Math.floor(rows));
	}

	key(e) {
		const v = this.visRows();
		const moves = { PageDown: v - 1, PageUp: 1 - v, ArrowDown: 1,
		    ArrowUp: -1, Home: -Infinity, End: Infinity };
		if (!(e.key in moves))
			return;
		e.preventDefault();
		const d = moves[e.key];
		if (d === Infinity) {
			this.setFollow(true);
			return;
		}
		this.scrollRows(d === -Infinity ? -this.first : d);
	}

	fetchPage(n) {
		if (this.pending.has(n))
			return;
		const p = this.pages.get(n);
		if (p && p.fetched && Date.now() - p.fetched < REFETCH_MS)
			return;
		const gen = this.gen, sync = this.sync;
		this.pending.add(n);
		this.loadPage(n, PAGE).then((recs) => {
			if (gen !== this.gen)
				return;
			recs.forEach((r, k) => {
				if (n * PAGE + k < this.total)
					this.put(n * PAGE + k, r);
			});
			const q = this.page(n, true);
			if (q && sync !== this.sync) {
				q.fetched = 0;	/* asked before the feed was live */
			} else if (q) {
				q.fetched = Date.now();
				q.stale = false;
			} else
				this.pages.set(n, { recs: [], fetched: Date.now() });
		}).catch(() => {
			if (gen !== this.gen)
				return;
			const q = this.pages.get(n) || { recs: [] };
			q.fetched = Date.now();
			this.pages.set(n, q);
			/* Try again once the pause is over (the server may be
			 * restarting). */
			setTimeout(() => {
				if (gen === this.gen)
					this.schedule();
			}, REFETCH_MS + 50);
		}).finally(() => {
			if (gen !== this.gen)
				return;
			this.pending.delete(n);
			this.schedule();
		});
	}

	render() {
		this.updateHidden();
		const rows = this.rowCount();
		const vis = this.visRows();
		const px = this.px();
		const extra = rows > vis ? this.lineH : 0;
		const h = Math.max(0, rows - vis) * px + extra;
		if (this.spacer.style.height !== h + 'px')
			this.spacer.style.height = h + 'px';
		if (this.follow)
			this.first = this.maxFirst();
		this.first = Math.min(this.first, this.maxFirst());
		const end = this.follow || this.first + vis >= rows;
		this.setTop(this.follow ? h : this.first * px);

		let lo, hi;
		if (end) {
			hi = rows;
			lo = Math.max(0, hi - vis - OVERSCAN);
		} else {
			lo = this.first;
			hi = Math.min(rows, lo + vis + OVERSCAN);
		}
		const o = this.outline;
		const frag = document.createDocumentFragment();
		const missing = new Set();
		for (let d = lo; d < hi; d++) {
			const i = this.toRec(d);
			const r = this.get(i);
			if (this.page(Math.floor(i / PAGE), false)?.stale)
				missing.add(Math.floor(i / PAGE));
			if (r === undefined) {
				missing.add(Math.floor(i / PAGE));
				frag.append(el('div', { class: 'row loading' }, '…'));
				continue;
			}
			const prev = i > 0 ? this.get(i - 1) : undefined;
			const isCont = prev !== undefined && continues(prev, r);
			if (isCont && d > lo)
				continue;	/* joined into the row above */
			const parts = [r];
			for (let j = i + 1; continues(parts[parts.length - 1],
			    this.peek(j)); j++)
				parts.push(this.peek(j));
			const row = renderRow(i, parts, isCont, this.whole.has(i));
			const n = this.lineOf(i, r);
			const ln = el('a', { class: 'ln' }, n === undefined ? '' :
			    String(n));
			if (n !== undefined) {
				ln.href = this.lineHref(n);
				ln.setAttribute('aria-label', `line ${n}`);
				row.dataset.line = n;
				if (this.sel && n >= this.sel[0] && n <= this.sel[1]) {
					if (n === this.sel[0])
						this.selRow = i;
					row.classList.add('sel');
					row.setAttribute('aria-current', 'true');
				}
			}
			row.prepend(ln);
			if (o)
				this.decorate(row, i);
			else
				plainMarker(row, r);
			frag.append(row);
		}
		this.rows.replaceChildren(frag);
		this.rows.style.setProperty('--lnw',
		    String(Math.max(3, String(this.total).length)) + 'ch');
		/* At the end, the last row sits at the bottom once rows overflow. */
		this.rows.classList.remove('bottom');
		if (end && this.rows.scrollHeight > this.rows.clientHeight)
			this.rows.classList.add('bottom');
		for (const n of missing)
			this.fetchPage(n);
	}

	// A section's header, and the depth of a line inside sections.
	decorate(row, i) {
		const o = this.outline;
		const s = o.section(i);
		let depth;
		if (s) {
			const folded = o.isFolded(s, this.asked);
			depth = s.depth;
			row.classList.add('sec');
			const msg = row.querySelector('.msg');
			const dur = Number.isFinite(s.ms) ? fmtDur(s.ms) :
			    s.end < 0 ? 'running' : '';
			msg.replaceChildren(el('button', { type: 'button',
			    class: 'fold', 'aria-expanded': String(!folded),
			    'aria-label': `${folded ? 'open' : 'fold'} section ` +
			    s.title }, folded ? '▸' : '▾'), ' ',
			    el('span', { class: 'title' }, s.title),
			    dur ? el('span', { class: 'dur' }, dur) : '');
			if (s.error)
				row.classList.add('sec-error');
		} else {
			const w = o.within(i);
			depth = w ? w.depth + 1 : 0;
		}
		if (depth)
			row.style.setProperty('--depth', String(Math.min(depth, 12)));
	}

	// get() without touching the cache order, for look-ahead.
	peek(i) {
		if (i >= this.total)
			return undefined;
		const p = this.pages.get(Math.floor(i / PAGE));
		return p ? p.recs[i % PAGE] : undefined;
	}
}

// A marker in a view without sections (a filtered one): its title, or
// what it did, never the marker itself.
function plainMarker(row, r) {
	const m = r.source !== 'agent' ? parseMarker(r.message) : null;
	if (m === null)
		return;
	row.classList.add(m.kind === 'start' ? 'sec' : 'sec-end');
	row.querySelector('.msg').replaceChildren(el('span', { class: 'title' },
	    m.kind === 'start' ? m.title : m.kind === 'end' ? 'end of section' :
	    'section opened'));
}

function fmtDur(ms) {
	if (ms < 0)
		return '';
	if (ms < 60000)
		return `${(ms / 1000).toFixed(1)} s`;
	const s = Math.round(ms / 1000);
	if (s < 3600)
		return `${Math.floor(s / 60)} min ${s % 60} s`;
	return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`;
}

function continues(a, b) {
	return a !== undefined && b !== undefined && a.continued === true &&
	    a.runId === b.runId &&
	    (typeof a.seq !== 'number' || b.seq === a.seq + 1);
}

function meta(r) {
	return r.metadata && typeof r.metadata === 'object' ? r.metadata : {};
}

// The text of a pipeline event, or null for an ordinary line.
export function eventText(r) {
	if (r.source !== 'agent')
		return null;
	const m = meta(r);
	switch (m.event) {
	case 'gap': {
		let s = `gap: ${m.count ?? '?'} records dropped`;
		if (m.reason)
			s += ` (${m.reason})`;
		if (m.fromSeq !== undefined)
			s += `, seq ${m.fromSeq}–${m.toSeq ?? '?'}`;
		return s;
	}
	case 'exit': {
		let s = m.signal ? `killed by signal ${m.signal}` :
		    `exited with code ${m.exitCode ?? '?'}`;
		if (typeof m.durationMs === 'number')
			s += ` after ${(m.durationMs / 1000).toFixed(1)} s`;
		return s;
	}
	case 'start':
		return `started${m.command ? ' ' + m.command : ''}` +
		    (m.pid ? ` (pid ${m.pid})` : '');
	default:
		return null;
	}
}

const ERASE_RE = /\x1b\[[02]?K/;

// What a terminal shows of a line holding carriage returns: each part
// after a \r writes over the start of what is there; an erase-line
// sequence clears the rest.  Colours survive only in a part that covers
// all the others.
export function lastState(text) {
	const parts = text.split('\r');
	while (parts.length > 1 && parts[parts.length - 1] === '')
		parts.pop();
	let shown = parts[0], plain = stripAnsi(shown);
	for (let k = 1; k < parts.length; k++) {
		const p = parts[k], v = stripAnsi(p);
		if (v.length >= plain.length || ERASE_RE.test(p)) {
			shown = p;
			plain = v;
		} else {
			plain = v + plain.slice(v.length);
			shown = plain;
		}
	}
	return shown;
}

function renderRow(i, parts, isCont, whole) {
	const r = parts[0];
	const lvl = typeof r.level === 'string' ? r.level : '';
	const src = typeof r.source === 'string' ? r.source : '';
	const ev = eventText(r);
	const row = el('div', { class: 'row', 'data-i': i });
	row.classList.add('lvl-' + (lvl || 'none'));
	if (isCont)
		row.classList.add('cont');
	if (ev !== null) {
		row.classList.add('marker', 'ev-' + meta(r).event);
	}
	row.append(el('span', { class: 'ts', title: r.timestamp },
	    fmtStamp(r.timestamp)),
	    el('span', { class: 'badge src src-' + src }, src),
	    el('span', { class: 'badge lvl lvl-' + lvl }, lvl));
	const msg = el('span', { class: 'msg' });
	let states = 0;		/* the parts of a carriage-returned line */
	if (ev !== null) {
		msg.textContent = ev;
	} else {
		let text = parts.map((p) =>
		    typeof p.message === 'string' ? p.message : '').join('');
		if (text.includes('\r')) {
			states = text.split('\r').filter((x) => x !== '').length;
			text = whole ? text.split('\r').filter((x) => x !== '')
			    .join('\n') : lastState(text);
		}
		const cut = text.length > MAX_SHOW ? text.length - MAX_SHOW : 0;
		if (cut)
			text = text.slice(0, MAX_SHOW);
		appendAnsi(msg, text);
		if (cut)
			msg.append(el('span', { class: 'more' },
			    ` … ${cut.toLocaleString('en-US')} more characters ` +
			    '(export to see the whole line)'));
		if (parts.length > 1)
			msg.title = `${parts.length} parts joined`;
	}
	row.append(msg);
	if (states > 1)
		row.append(el('button', { type: 'button', class: 'whole',
		    'aria-expanded': String(whole),
		    'aria-label': whole ? 'show the last state only' :
		    'show every state of this line' },
		    whole ? 'last state' : `${states} states`));
	if (r.partial === true)
		row.append(el('span', { class: 'flag', title: 'no newline' }, '⏎̸'));
	if (typeof r.bytes === 'string')
		row.append(el('span', { class: 'flag',
		    title: 'not valid UTF-8: shown with replacements' }, 'bin'));
	return row;
}
