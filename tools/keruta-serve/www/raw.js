// raw.js: the raw log of a task, as its script wrote it: the messages of
// stdout and stderr in order, the exact bytes where a line was not valid
// UTF-8, a newline after each line but a continued or partial one.  Read
// from the NDJSON export as it streams in.

const enc = new TextEncoder();
const NL = enc.encode('\n');

function unbase64(s) {
	const b = atob(s);
	const out = new Uint8Array(b.length);
	for (let i = 0; i < b.length; i++)
		out[i] = b.charCodeAt(i);
	return out;
}

// The bytes one record adds to the raw log (none for the pipeline's own).
export function rawBytes(r) {
	if (!r || typeof r !== 'object' || r.source === 'agent')
		return [];
	let body;
	try {
		body = typeof r.bytes === 'string' ? unbase64(r.bytes) :
		    enc.encode(typeof r.message === 'string' ? r.message : '');
	} catch {
		body = enc.encode(typeof r.message === 'string' ? r.message : '');
	}
	return r.continued === true || r.partial === true ? [body] : [body, NL];
}

// Fetch url (an NDJSON export) and resolve to a Blob of the raw log.
export async function rawLog(url, headers) {
	const r = await fetch(url, { headers, cache: 'no-store' });
	if (!r.ok || !r.body)
		throw new Error(`export failed (${r.status})`);
	const chunks = [];
	const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
	let rest = '';
	const line = (l) => {
		if (l === '')
			return;
		try {
			chunks.push(...rawBytes(JSON.parse(l)));
		} catch {
			/* not a record */
		}
	};
	for (;;) {
		const { value, done } = await reader.read();
		if (done)
			break;
		const ls = (rest + value).split('\n');
		rest = ls.pop();
		ls.forEach(line);
	}
	line(rest);
	return new Blob(chunks, { type: 'text/plain' });
}
