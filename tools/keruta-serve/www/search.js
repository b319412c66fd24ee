// search.js: the server's full-text match, for live lines.  The server
// (SQLite FTS5) takes each word of q as a quoted phrase, all of which must
// occur; a word ending in '*' matches as a prefix.  Tokens are runs of
// letters and digits, compared without case.

import { stripAnsi } from './ansi.js';

function tokens(s) {
	return s.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
}

// Whether phrase (tokens; the last a prefix when pre) occurs in toks.
function occurs(toks, phrase, pre) {
	const last = phrase.length - 1;
	for (let i = 0; i + last < toks.length; i++) {
		let j = 0;
		while (j < last && toks[i + j] === phrase[j])
			j++;
		if (j === last && (pre ? toks[i + j].startsWith(phrase[j]) :
		    toks[i + j] === phrase[j]))
			return true;
	}
	return false;
}

// A predicate on records: does the message match q?
export function textMatcher(q) {
	const words = q.split(/\s+/).filter(Boolean).map((w) => {
		const pre = w.length > 1 && w.endsWith('*');
		return { phrase: tokens(pre ? w.slice(0, -1) : w), pre };
	}).filter((w) => w.phrase.length);
	if (!words.length)
		return () => true;
	return (r) => {
		const toks = tokens(stripAnsi(String(r.message ?? '')));
		return words.every((w) => occurs(toks, w.phrase, w.pre));
	};
}
