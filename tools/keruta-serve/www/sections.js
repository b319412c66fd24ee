// sections.js: the sections CI systems mark in their logs, as one header
// line each, folded or open.  Markers recognised wherever a line starts
// with them (escape sequences around them ignored):
//   GitHub    ::group::Title ... ::endgroup::               (folded)
//   GitLab    section_start:<unix time>:<name>[collapsed=true]  ...
//             section_end:<unix time>:<name>                  (open unless
//             collapsed=true)
//   Buildkite --- Title (folded), +++ Title (open), ^^^ +++ (open the
//             previous); a Buildkite header ends the one before it.
// A section holding an ERROR or FATAL line opens by itself.  The records
// stay as they are; only their display changes.

import { stripAnsi } from './ansi.js';

const GL_START = /^section_start:(\d+):([\w.-]+)(?:\[([^\]]*)\])?\r?(.*)$/s;
const GL_END = /^section_end:(\d+):([\w.-]+)/;

// What a message marks: null, or { kind: 'start', style, title, folded,
// name?, unix? }, { kind: 'end', style, name?, unix? }, { kind: 'expand' }.
export function parseMarker(message) {
	if (typeof message !== 'string' || message.length > 4096)
		return null;
	const t = stripAnsi(message).replace(/^\r+/, '');
	let m;
	if (t.startsWith('::group::'))
		return { kind: 'start', style: 'gh', title: t.slice(9).trim(),
		    folded: true };
	if (t.startsWith('::endgroup::'))
		return { kind: 'end', style: 'gh' };
	if ((m = GL_START.exec(t)) !== null) {
		const title = stripAnsi(m[4]).replace(/^[\r\s]+/, '').trim();
		return { kind: 'start', style: 'gl', name: m[2], unix: Number(m[1]),
		    title: title || m[2],
		    folded: /(^|,)\s*collapsed=true\s*(,|$)/.test(m[3] || '') };
	}
	if ((m = GL_END.exec(t)) !== null)
		return { kind: 'end', style: 'gl', name: m[2], unix: Number(m[1]) };
	if (/^\^\^\^ \+\+\+\s*$/.test(t))
		return { kind: 'expand' };
	if ((m = /^(---|\+\+\+) (.*)$/.exec(t)) !== null)
		return { kind: 'start', style: 'bk', title: m[2].trim(),
		    folded: m[1] === '---' };
	return null;
}

// The outline of a log, fed its records in order.  A section is { start,
// end (the index of its end marker, or of its last line; -1 while open),
// depth, parent, title, folded, error, t0, t1 }.
export class Outline {
	constructor() {
		this.count = 0;		/* records fed */
		this.sections = [];	/* by start index */
		this.open = [];		/* the stack of open sections */
		this.hidden = [];	/* indexes of markers never shown */
		this.kinds = new Map();	/* index -> 'start' | 'end' | 'hidden' */
		this.version = 0;
	}

	close(s, end, rec, unix) {
		s.end = end;
		if (unix !== undefined && s.unix !== undefined)
			s.ms = (unix - s.unix) * 1000;
		else if (rec)
			s.ms = Date.parse(rec.timestamp) - s.t0;
	}

	// Feed record i (i === this.count).
	feed(i, r) {
		this.count = i + 1;
		const lvl = r && r.level;
		if (lvl === 'ERROR' || lvl === 'FATAL')
			for (const s of this.open)
				s.error = true;
		const m = r && r.source !== 'agent' ? parseMarker(r.message) : null;
		if (m === null) {
			const top = this.open[this.open.length - 1];
			if (top && top.style === 'bk' && r)
				top.last = r;
			return;
		}
		this.version++;
		if (m.kind === 'expand') {
			const s = this.sections[this.sections.length - 1];
			if (s)
				s.folded = false;
			this.kinds.set(i, 'hidden');
			return;
		}
		if (m.kind === 'end') {
			/* The innermost open section of the same style (and name). */
			for (let k = this.open.length - 1; k >= 0; k--) {
				const s = this.open[k];
				if (s.style === m.style && (m.name === undefined ||
				    s.name === m.name)) {
					for (const inner of this.open.splice(k))
						this.close(inner, i, r, inner === s ?
						    m.unix : undefined);
					break;
				}
			}
			this.kinds.set(i, 'end');
			return;
		}
		if (m.style === 'bk') {
			/* A Buildkite header ends the Buildkite section before it. */
			const k = this.open.findIndex((s) => s.style === 'bk');
			if (k >= 0)
				for (const s of this.open.splice(k))
					this.close(s, i - 1, s.last || null);
		}
		const parent = this.open[this.open.length - 1] || null;
		const s = { start: i, end: -1, depth: this.open.length, parent,
		    title: m.title, folded: m.folded, error: false, style: m.style,
		    name: m.name, unix: m.unix, t0: Date.parse(r.timestamp),
		    ms: NaN, last: null };
		this.sections.push(s);
		this.open.push(s);
		this.kinds.set(i, 'start');
	}

	// The innermost section holding record i (its header excluded), or
	// null.
	within(i) {
		const ss = this.sections;
		let lo = 0, hi = ss.length - 1, k = -1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (ss[mid].start < i) {
				k = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		for (let s = k >= 0 ? ss[k] : null; s; s = s.parent)
			if (s.end < 0 || s.end >= i)
				return s;
		return null;
	}

	section(i) {
		if (this.kinds.get(i) !== 'start')
			return null;
		const ss = this.sections;
		let lo = 0, hi = ss.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (ss[mid].start === i)
				return ss[mid];
			if (ss[mid].start < i)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		return null;
	}

	// Whether section s shows folded: as asked (or as marked), unless an
	// error inside opens it.
	isFolded(s, asked) {
		const a = asked.get(s.start);
		return a !== undefined ? a : s.folded && !s.error;
	}

	// The hidden record ranges, [a, b] inclusive, sorted and merged, for
	// a log of total records.
	ranges(total, asked) {
		const rs = [];
		for (const [i, k] of this.kinds)
			if (k === 'end' || k === 'hidden')
				rs.push([i, i]);
		for (const s of this.sections)
			if (this.isFolded(s, asked))
				rs.push([s.start + 1, s.end < 0 ? total - 1 : s.end]);
		rs.sort((x, y) => x[0] - y[0]);
		const out = [];
		for (const r of rs) {
			if (r[1] < r[0])
				continue;
			const last = out[out.length - 1];
			if (last && r[0] <= last[1] + 1)
				last[1] = Math.max(last[1], r[1]);
			else
				out.push([r[0], r[1]]);
		}
		return out;
	}
}
