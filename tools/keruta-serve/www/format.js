// format.js: timestamps, numbers and small DOM helpers.

let utc = false;
let stampMode = 'clock';	/* clock, since (the task's start) or off */
let stampStart = NaN;

export function setUtc(on) {
	utc = on;
}

export function isUtc() {
	return utc;
}

function pad(n, w = 2) {
	return String(n).padStart(w, '0');
}

// RFC 3339 with nanoseconds -> "2026-11-28 10:15:03.123" in local time or
// UTC; the sub-millisecond digits are kept out of Date and shown as given.
export function fmtTime(ts) {
	if (typeof ts !== 'string' || ts === '')
		return '';
	const d = new Date(ts);
	if (Number.isNaN(d.getTime()))
		return ts;
	const frac = /\.(\d{1,3})/.exec(ts);
	const ms = frac ? frac[1].padEnd(3, '0') : pad(d.getMilliseconds(), 3);
	if (utc)
		return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-` +
		    `${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:` +
		    `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${ms}Z`;
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
	    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${ms}`;
}

// How fmtStamp shows a line's time: 'clock', 'since' start (an RFC 3339
// time) or 'off'.
export function setStamps(mode, start) {
	stampMode = mode;
	stampStart = typeof start === 'string' ? Date.parse(start) : NaN;
}

// Milliseconds -> "+1:02.345" or "+1:02:03.004"; "-" before the start.
export function fmtSince(ms) {
	const sign = ms < 0 ? '-' : '+';
	ms = Math.abs(Math.round(ms));
	const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60,
	    s = Math.floor(ms / 1000) % 60;
	const tail = `${pad(s)}.${pad(ms % 1000, 3)}`;
	return h ? `${sign}${h}:${pad(m)}:${tail}` : `${sign}${m}:${tail}`;
}

// A line's time as the reader asked for it.
export function fmtStamp(ts) {
	if (stampMode === 'off')
		return '';
	if (stampMode === 'since') {
		const t = Date.parse(ts);
		if (Number.isFinite(t) && Number.isFinite(stampStart))
			return fmtSince(t - stampStart);
	}
	return fmtTime(ts);
}

// "5 s ago", "3 min ago", ... for the task list.
export function fmtAgo(ts, now = Date.now()) {
	const t = new Date(ts).getTime();
	if (!Number.isFinite(t))
		return '';
	const s = Math.max(0, Math.round((now - t) / 1000));
	if (s < 60)
		return `${s} s ago`;
	if (s < 3600)
		return `${Math.floor(s / 60)} min ago`;
	if (s < 86400)
		return `${Math.floor(s / 3600)} h ago`;
	return fmtTime(ts).slice(0, 10);
}

export function fmtCount(n) {
	return typeof n === 'number' ? n.toLocaleString('en-US') : '';
}

// el('span', {class: 'x', title: 't'}, 'text', child...)
export function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	if (attrs)
		for (const [k, v] of Object.entries(attrs))
			if (v !== undefined && v !== null && v !== false)
				e.setAttribute(k, v === true ? '' : String(v));
	for (const k of kids)
		if (k !== undefined && k !== null)
			e.append(k);
	return e;
}
