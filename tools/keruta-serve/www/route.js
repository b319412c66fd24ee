// route.js: the panel's address.  A task's view is
//   #/tasks/<id>[/L<a>[-L<b>]][?level=WARN&source=stdout,stderr&q=words]
// so that a link shows what its sender saw: the task, the selected lines
// and the filters.  A parameter left out means no filter; "source=" with
// nothing after it means no source at all.

const SOURCES = ['stdout', 'stderr', 'agent'];
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

function decode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

// The route a hash names: { taskId (null for the list), lines ([a, b],
// 1-based, a <= b, or null), level ('' or a level), sources (null for all,
// or the names), q }.  Unknown parameters and values are left out.
export function parseHash(hash) {
	const out = { taskId: null, lines: null, level: '', sources: null,
	    q: '' };
	const qm = hash.indexOf('?');
	const path = qm < 0 ? hash : hash.slice(0, qm);
	const m = /^#\/tasks\/([^/]+)(?:\/L(\d+)(?:-L?(\d+))?)?\/?$/.exec(path);
	if (!m)
		return out;
	out.taskId = decode(m[1]);
	if (m[2] !== undefined) {
		let a = Number(m[2]), b = m[3] !== undefined ? Number(m[3]) : a;
		if (a > b)
			[a, b] = [b, a];
		if (a >= 1)
			out.lines = [a, b];
	}
	const p = new URLSearchParams(qm < 0 ? '' : hash.slice(qm + 1));
	const lvl = (p.get('level') || '').toUpperCase();
	if (LEVELS.includes(lvl))
		out.level = lvl;
	if (p.has('source')) {
		const want = p.get('source').split(',');
		out.sources = SOURCES.filter((s) => want.includes(s));
		if (out.sources.length === SOURCES.length)
			out.sources = null;
	}
	out.q = (p.get('q') || '').trim();
	return out;
}

// The hash of a route: the inverse of parseHash.
export function taskHash(r) {
	let h = '#/tasks/' + encodeURIComponent(r.taskId);
	if (r.lines)
		h += `/L${r.lines[0]}` +
		    (r.lines[1] !== r.lines[0] ? `-L${r.lines[1]}` : '');
	const p = new URLSearchParams();
	if (r.level)
		p.set('level', r.level);
	if (r.sources)
		p.set('source', r.sources.join(','));
	if (r.q)
		p.set('q', r.q);
	const s = p.toString().replace(/%2C/g, ',');
	return s ? h + '?' + s : h;
}
