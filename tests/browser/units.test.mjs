// units.test.mjs: the panel's pure functions, run by node without a browser
// (the modules touch the DOM only when drawing).  Prints TAP.
import { done, is } from './harness.mjs';
import { stripAnsi } from '../../tools/keruta-serve/www/ansi.js';
import { fmtAgo, fmtCount, fmtTime, setUtc } from
    '../../tools/keruta-serve/www/format.js';
import { eventText } from '../../tools/keruta-serve/www/logview.js';
import { query } from '../../tools/keruta-serve/www/api.js';
import { textMatcher } from '../../tools/keruta-serve/www/search.js';

const E = '\u001b';

/* stripAnsi */
is(stripAnsi('plain'), 'plain', 'ansi: plain text unchanged');
is(stripAnsi(`${E}[1;31mred${E}[0m`), 'red', 'ansi: SGR removed');
is(stripAnsi(`a${E}[2Kb${E}[10;20Hc`), 'abc', 'ansi: CSI other than SGR');
is(stripAnsi(`${E}]0;title${E}\\x${E}]2;t2\u0007y`), 'xy',
    'ansi: OSC with ST or BEL');
is(stripAnsi(`${E}[38;5;196mx${E}[48;2;1;2;3my`), 'xy',
    'ansi: 256 and 24-bit colours');
is(stripAnsi(`a${E}[?25lb${E}c`), 'ab', 'ansi: private CSI, ESC c');
is(stripAnsi(`cut ${E}[3`), `cut ${E}[3`,
    'ansi: an unfinished sequence is left as text');

/* fmtTime */
setUtc(true);
is(fmtTime('2026-11-28T10:15:03.123456789Z'), '2026-11-28 10:15:03.123Z',
    'time: UTC, nanoseconds cut to milliseconds');
is(fmtTime('2026-11-28T10:15:03Z'), '2026-11-28 10:15:03.000Z',
    'time: no fraction');
is(fmtTime('2026-11-28T10:15:03.5Z'), '2026-11-28 10:15:03.500Z',
    'time: short fraction padded');
is(fmtTime('not a time'), 'not a time', 'time: unparsable shown as given');
is(fmtTime(undefined), '', 'time: missing');
setUtc(false);
process.env.TZ = 'UTC';
is(fmtTime('2026-11-28T10:15:03.123Z').length, 23, 'time: local form');

/* fmtAgo, fmtCount */
const now = Date.parse('2026-11-28T12:00:00Z');
is(fmtAgo('2026-11-28T11:59:55Z', now), '5 s ago', 'ago: seconds');
is(fmtAgo('2026-11-28T11:57:00Z', now), '3 min ago', 'ago: minutes');
is(fmtAgo('2026-11-28T07:00:00Z', now), '5 h ago', 'ago: hours');
is(fmtAgo('2026-11-20T07:00:00Z', now).slice(0, 8), '2026-11-',
    'ago: a date past a day');
is(fmtAgo('2026-11-28T12:00:09Z', now), '0 s ago', 'ago: clock skew');
is(fmtAgo(null, now), '', 'ago: missing');
is(fmtCount(1234567), '1,234,567', 'count: grouped');

/* eventText */
const ag = (metadata) => ({ source: 'agent', message: 'm', metadata });
is(eventText(ag({ event: 'gap', count: 3, reason: 'buffer', fromSeq: 4,
    toSeq: 6 })), 'gap: 3 records dropped (buffer), seq 4–6', 'event: gap');
is(eventText(ag({ event: 'gap' })), 'gap: ? records dropped',
    'event: gap without details');
is(eventText(ag({ event: 'exit', exitCode: 0, signal: 0,
    durationMs: 1500 })), 'exited with code 0 after 1.5 s', 'event: exit');
is(eventText(ag({ event: 'exit', exitCode: 143, signal: 15 })),
    'killed by signal 15', 'event: killed');
is(eventText(ag({ event: 'start', command: 'sh x', pid: 7 })),
    'started sh x (pid 7)', 'event: start');
is(eventText(ag({ event: 'redacted' })), null, 'event: others as lines');
is(eventText({ source: 'stdout', metadata: { event: 'exit' } }), null,
    'event: only agent records');
is(eventText({ source: 'agent', metadata: 'x' }), null,
    'event: metadata not an object');

/* query */
is(query({ level: 'WARN', source: ['stdout', 'agent'], q: '', page: 0 }),
    '?level=WARN&source=stdout%2Cagent&page=0', 'query: lists, empties');
is(query({ q: 'a b&c' }), '?q=a+b%26c', 'query: escaped');
is(query({}), '', 'query: none');

/* textMatcher: as the server's full-text search */
const m = (q, msg) => textMatcher(q)({ message: msg });
is(m('', 'anything'), true, 'search: empty matches all');
is(m('disk fire', 'ERROR: disk on fire'), true, 'search: all words, any order');
is(m('disk water', 'ERROR: disk on fire'), false, 'search: every word needed');
is(m('DISK', 'the disk'), true, 'search: without case');
is(m('dis', 'the disk'), false, 'search: whole words');
is(m('dis*', 'the disk'), true, 'search: a prefix with *');
is(m('on-fire', 'disk on fire'), true, 'search: a word of tokens is a phrase');
is(m('fire-on', 'disk on fire'), false, 'search: phrase order');
is(m('"fire"', 'fire!'), true, 'search: quotes and punctuation ignored');
is(m('red', `\u001b[31mred\u001b[0m`), true, 'search: ANSI escapes ignored');
is(m('ünïcode 42', 'Ünïcode test 42'), true, 'search: letters and digits');
is(textMatcher('x')({}), false, 'search: no message');

done();
