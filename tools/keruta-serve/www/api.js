// api.js: the REST calls and the live WebSocket subscription.

const BASE = '/api/v1';
const TOKEN_KEY = 'keruta.token';

export function getToken() {
	try {
		return sessionStorage.getItem(TOKEN_KEY) || '';
	} catch {
		return '';
	}
}

export function setToken(t) {
	try {
		if (t)
			sessionStorage.setItem(TOKEN_KEY, t);
		else
			sessionStorage.removeItem(TOKEN_KEY);
	} catch {
		/* storage disabled: the token lives as long as the page */
	}
}

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

// Query string of the entries whose value is not empty.
export function query(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {}))
		if (v !== undefined && v !== null && v !== '')
			u.set(k, Array.isArray(v) ? v.join(',') : String(v));
	const s = u.toString();
	return s ? '?' + s : '';
}

export function taskPath(taskId) {
	return '/tasks/' + encodeURIComponent(taskId);
}

const TIMEOUT_MS = 15000;

export async function api(path, { method = 'GET', params, body: send } = {}) {
	const headers = { Accept: 'application/json' };
	if (send !== undefined)
		headers['Content-Type'] = 'application/json';
	const t = getToken();
	if (t)
		headers.Authorization = 'Bearer ' + t;
	/* A request that hangs must not hold a page of the view for ever. */
	const ac = new AbortController();
	const timer = setTimeout(() => ac.abort(), TIMEOUT_MS);
	let r, text;
	try {
		r = await fetch(BASE + path + query(params), { method, headers,
		    body: send === undefined ? undefined : JSON.stringify(send),
		    signal: ac.signal, cache: 'no-store' });
		text = await r.text();
	} catch (e) {
		throw e.name === 'AbortError' ?
		    new ApiError(0, 'TIMEOUT', 'the server did not answer') :
		    new ApiError(0, 'NETWORK', 'server unreachable');
	} finally {
		clearTimeout(timer);
	}
	let body = null;
	if (text !== '') {
		try {
			body = JSON.parse(text);
		} catch {
			if (r.ok)
				throw new ApiError(r.status, 'BAD_REPLY',
				    'the server sent a reply that is not JSON');
		}
	}
	if (!r.ok) {
		const e = body && body.error ? body.error : {};
		throw new ApiError(r.status, e.code || 'HTTP_' + r.status,
		    e.message || r.statusText || 'request failed');
	}
	return body;
}

// A link for downloads, which cannot carry a header: the token goes in the
// query, as the WebSocket's does.
export function downloadUrl(path, params) {
	const p = { ...params };
	const t = getToken();
	if (t)
		p.token = t;
	return BASE + path + query(p);
}

// LiveFeed: subscribe to a task's records over /ws/tasks/{id}.  The cursor
// (after) is the highest record id seen; a reconnect resubscribes from it,
// and records at or below it are dropped, so the stream has neither gaps
// nor duplicates across server restarts.
export class LiveFeed {
	constructor({ taskId, sources, levels, after, onRecords, onState,
	    onRedacted }) {
		this.taskId = taskId;
		this.sources = sources;
		this.levels = levels;
		this.after = after;
		this.onRecords = onRecords;
		this.onRedacted = onRedacted;
		this.onState = onState || (() => {});
		this.ws = null;
		this.stopped = false;
		this.retries = 0;
		this.timer = null;
		this.pinger = null;
	}

	start() {
		this.connect();
		return this;
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.timer);
		clearInterval(this.pinger);
		if (this.ws) {
			this.ws.onclose = this.ws.onmessage = this.ws.onerror = null;
			try {
				if (this.ws.readyState === WebSocket.OPEN)
					this.ws.send('{"type":"unsubscribe"}');
				this.ws.close();
			} catch {
				/* already closed */
			}
			this.ws = null;
		}
	}

	url() {
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		const t = getToken();
		return proto + '//' + location.host + '/ws' +
		    taskPath(this.taskId) +
		    (t ? '?token=' + encodeURIComponent(t) : '');
	}

	connect() {
		if (this.stopped)
			return;
		this.onState(this.retries ? 'reconnecting' : 'connecting');
		let ws;
		try {
			ws = new WebSocket(this.url());
		} catch {
			this.retry();
			return;
		}
		this.ws = ws;
		let opened = false;
		ws.onopen = () => {
			opened = true;
			const options = { realtime: true };
			if (this.sources)
				options.sources = this.sources;
			if (this.levels)
				options.levels = this.levels;
			if (this.after !== null && this.after !== undefined)
				options.after = this.after;
			ws.send(JSON.stringify({ type: 'subscribe',
			    taskId: this.taskId, options }));
			clearInterval(this.pinger);
			this.pinger = setInterval(() => {
				if (ws.readyState === WebSocket.OPEN)
					ws.send('{"type":"ping"}');
			}, 20000);
		};
		ws.onmessage = (ev) => this.receive(ev.data);
		ws.onclose = () => {
			clearInterval(this.pinger);
			this.ws = null;
			if (opened)
				this.retry();
			else
				this.refused();
		};
		ws.onerror = () => {};
	}

	// A handshake that failed: the browser does not tell why, so the
	// REST API is asked with the same token. A token refused there (it
	// expired, say) ends the feed; anything else is tried again.
	async refused() {
		try {
			await api(taskPath(this.taskId) + '/logs/count');
		} catch (e) {
			if (this.stopped)
				return;
			if (e instanceof ApiError &&
			    (e.status === 401 || e.status === 403)) {
				this.stopped = true;
				this.onState('denied', e);
				return;
			}
		}
		this.retry();
	}

	retry() {
		if (this.stopped)
			return;
		this.onState('reconnecting');
		const delay = Math.min(5000, 250 * 2 ** Math.min(this.retries, 5));
		this.retries++;
		this.timer = setTimeout(() => this.connect(), delay);
	}

	receive(data) {
		let m;
		try {
			m = JSON.parse(data);
		} catch {
			return;
		}
		const recs = [];
		const take = (r) => {
			if (!r || typeof r !== 'object' ||
			    (r.type !== undefined && r.type !== 'log'))
				return false;
			if (typeof r.id === 'number') {
				if (this.after !== null && this.after !== undefined &&
				    r.id <= this.after)
					return true;
				this.after = r.id;
			}
			recs.push(r);
			return true;
		};
		if (Array.isArray(m)) {
			m.forEach(take);
		} else if (m && m.type === 'subscribed') {
			this.retries = 0;
			this.onState('live');
		} else if (m && m.type === 'error' && m.code === 'TOKEN_EXPIRED') {
			// The server closes the feed: the token will not do
			// again, so the feed ends as a refused handshake does.
			this.stopped = true;
			this.onState('denied', new ApiError(401, m.code,
			    'the token has expired'));
		} else if (m && m.type === 'redacted' && Array.isArray(m.ids)) {
			// Records scrubbed on the server: shown again as they
			// now are.
			if (this.onRedacted)
				this.onRedacted(m.ids);
		} else if (m && m.type === 'error') {
			this.onState('error', m.message || m.code || 'error');
		} else if (m && Array.isArray(m.records)) {
			m.records.forEach(take);
		} else {
			take(m);
		}
		if (recs.length)
			this.onRecords(recs);
	}
}
