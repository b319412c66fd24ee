// panel.test.mjs: the admin panel in headless Chromium against a running
// keruta-serve (see harness.mjs for the environment).  Prints TAP.
import fs from 'node:fs';
import { bail, BASE, browser, done, getJson, is, isSoon, ok, post, records,
    shot, sleep, startServer, stopServer, until } from './harness.mjs';

const SLOW = process.env.KR_SANITIZE ? 3 : 1;	/* sanitizer builds are slower */

const rowsText = (page) => page.$$eval('#rows .row:not(.loading) .msg',
    (els) => els.map((e) => e.textContent));
const countText = (page) => page.textContent('#view-count');
const connText = (page) => page.textContent('#conn');

async function main() {
	/* Two tasks: one ran and exited 3, one still runs. */
	const alpha = [
		...records('alpha', 'run1', 1, 1, { source: 'agent',
		    message: 'started', metadata: { event: 'start',
		    command: 'make test', pid: 42 } }),
		...records('alpha', 'run1', 2, 8),
		...records('alpha', 'run1', 10, 1, { message:
		    'status \u001b[1;31mFAILED\u001b[0m in \u001b[32mgreen\u001b[0m' }),
		...records('alpha', 'run1', 11, 1, { source: 'stderr',
		    level: 'ERROR', message: 'ERROR: disk on fire' }),
		...records('alpha', 'run1', 12, 1, { message: 'AAAA-first-half-',
		    continued: true }),
		...records('alpha', 'run1', 13, 1, { message: 'second-half-BBBB' }),
		...records('alpha', 'run1', 14, 1, { source: 'agent', level: 'WARN',
		    message: 'records dropped', metadata: { event: 'gap',
		    count: 7, reason: 'rate', fromSeq: 15, toSeq: 21 } }),
		...records('alpha', 'run1', 22, 1, { source: 'stderr',
		    level: 'WARN', message: 'WARN: low memory' }),
		...records('alpha', 'run1', 23, 1, { source: 'agent',
		    message: 'exited', metadata: { event: 'exit', exitCode: 3,
		    signal: 0, durationMs: 2500 } }),
	];
	await post('alpha', alpha);
	await post('beta', records('beta', 'run9', 1, 3));

	const ctx = await browser();
	const page = await ctx.newPage();
	const errors = [];

	page.on('pageerror', (e) => errors.push('page error: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/Failed to load resource|WebSocket/
		    .test(m.text()))
			errors.push('console: ' + m.text());
	});

	/* ---- the task list ---- */
	await page.goto(BASE + '/');
	await until(() => page.$('#task-rows tr[data-task="beta"]'));
	const list = await page.$$eval('#task-rows tr', (trs) => trs.map((tr) =>
	    [...tr.children].map((td) => td.textContent)));
	const a = list.find((r) => r[0] === 'alpha') || [];
	const b = list.find((r) => r[0] === 'beta') || [];
	is([a[1], a[3], a[5]], ['16', 'exited 3', '1'],
	    'task list: alpha has 16 records, exited 3, 1 error');
	is([b[1], b[3], b[5]], ['3', 'running', '0'],
	    'task list: beta has 3 records, running, no error');
	ok(/ago|^\d{4}-/.test(a[2] || ''), 'task list: last activity shown',
	    a[2]);
	await shot(page, 'list');

	/* Live update of the list. */
	await post('gamma', records('gamma', 'r', 1, 2));
	ok(await until(() => page.$('#task-rows tr[data-task="gamma"]'), 6000),
	    'task list: a new task appears without reload');

	/* Filter the list by task id. */
	await page.fill('#task-filter', 'ALP');
	await isSoon(() => page.$$eval('#task-rows tr', (r) =>
	    r.map((e) => e.dataset.task)), ['alpha'], 'task list: filter by id');
	await page.fill('#task-filter', '');
	await isSoon(() => page.$$eval('#task-rows tr', (r) => r.length), 3,
	    'task list: filter cleared');

	/* ---- history ---- */
	await page.click('#task-rows tr[data-task="alpha"] a');
	await until(async () => (await rowsText(page)).length >= 14);
	const hist = await rowsText(page);
	is(hist.length, 15, 'history: 16 records shown as 15 rows ' +
	    '(continued parts joined)');
	is(hist[0], 'started make test (pid 42)', 'history: start marker');
	is(hist.slice(1, 9), [2, 3, 4, 5, 6, 7, 8, 9].map((i) => 'line ' + i),
	    'history: lines in order');
	is(hist[9], 'status FAILED in green', 'history: ANSI escapes removed');
	is(await page.$$eval('#rows .msg span', (s) => s.map((e) =>
	    e.className + ':' + e.textContent)),
	    ['a-f1 a-bold:FAILED', 'a-f2:green'], 'history: ANSI colours rendered');
	is(hist[11], 'AAAA-first-half-second-half-BBBB',
	    'history: continued parts joined into one line');
	is(hist[12], 'gap: 7 records dropped (rate), seq 15–21',
	    'history: gap marker');
	is(hist[14], 'exited with code 3 after 2.5 s', 'history: exit marker');
	is(await page.$$eval('#rows .row.marker', (r) => r.map((e) =>
	    [...e.classList].filter((c) => c.startsWith('ev-'))[0])),
	    ['ev-start', 'ev-gap', 'ev-exit'], 'history: markers styled');
	const badges = await page.$eval('#rows .row:nth-child(11)', (r) =>
	    [...r.querySelectorAll('.badge')].map((e) => e.textContent));
	is(badges, ['stderr', 'ERROR'], 'history: source and level badges');
	is(await countText(page), '16 lines', 'history: count of records');
	is(await page.textContent('#view-status'), 'exited 3',
	    'task view: status');

	/* Timestamps, local and UTC. */
	const ts = () => page.$eval('#rows .row:nth-child(2) .ts',
	    (e) => e.textContent);
	await page.check('#utc');
	await isSoon(ts, '2026-11-28 10:00:02.000Z', 'timestamps: UTC when asked');
	await page.uncheck('#utc');
	const want = await page.evaluate(() => {
		const d = new Date('2026-11-28T10:00:02Z');
		const p = (x) => String(x).padStart(2, '0');
		return `2026-11-28 ${p(d.getHours())}:${p(d.getMinutes())}:02.000`;
	});
	await isSoon(ts, want, 'timestamps: local by default');
	await shot(page, 'history');

	/* ---- live ---- */
	await until(async () => (await connText(page)) === 'live', 5000);
	is(await connText(page), 'live', 'live: subscribed');
	const t0 = Date.now();
	await post('alpha', records('alpha', 'run2', 1, 1,
	    { message: 'live-one' }));
	const sent = Date.now();
	const seen = await until(async () =>
	    (await rowsText(page)).includes('live-one'), 5000, 10);
	const ms = Date.now() - sent;
	ok(seen && ms < 1000 * SLOW, `live: a new line shows within a ` +
	    `second (${ms} ms after the POST returned, ${sent - t0} ms POST)`);
	is(await countText(page), '17 lines', 'live: count updated');

	/* Follow: scroll up, new lines do not move the view. */
	await post('alpha', records('alpha', 'run2', 2, 60));
	await until(async () => (await rowsText(page)).includes('line 61'));
	await page.hover('#log');
	await page.mouse.wheel(0, -600);
	await until(async () => !(await page.isChecked('#follow')), 2000);
	ok(!(await page.isChecked('#follow')), 'follow: off after scrolling up');
	const before = await rowsText(page);
	await post('alpha', records('alpha', 'run2', 62, 3));
	await until(async () => (await countText(page)) === '80 lines');
	await sleep(200);
	is(await rowsText(page), before,
	    'follow: new lines do not move a scrolled view');
	await isSoon(() => page.textContent('#unseen'), '↓ 3 new lines',
	    'follow: the new lines below are counted');
	await page.click('#unseen');
	ok(await page.isChecked('#follow'), 'follow: on again from the count');
	ok(await page.isHidden('#unseen'), 'follow: the count goes away');
	await until(async () => (await rowsText(page)).includes('line 64'));
	const tail = await rowsText(page);
	is(tail[tail.length - 1], 'line 64', 'follow: back at the newest line');

	await isSoon(() => page.$eval('#task-rows tr[data-task="alpha"] .count',
	    (e) => e.textContent), '80', 'task list: counts follow new records',
	    8000);

	/* ---- filter ---- */
	await page.selectOption('#level', 'WARN');
	await isSoon(() => rowsText(page), ['ERROR: disk on fire',
	    'gap: 7 records dropped (rate), seq 15–21', 'WARN: low memory'],
	    'filter: level WARN and above');
	is(await countText(page), '3 lines', 'filter: count of the filtered');
	await page.uncheck('#sources input[value="agent"]');
	await isSoon(() => rowsText(page), ['ERROR: disk on fire',
	    'WARN: low memory'], 'filter: source agent unchecked');
	await post('alpha', records('alpha', 'run2', 65, 2, (s) => ({
	    level: s === 65 ? 'ERROR' : 'INFO', source: 'stderr',
	    message: `live-filtered-${s}` })));
	await isSoon(async () => (await rowsText(page)).slice(-2),
	    ['WARN: low memory', 'live-filtered-65'],
	    'filter: live lines are filtered too');
	await shot(page, 'filter');
	await page.check('#sources input[value="agent"]');
	await page.selectOption('#level', '');
	await until(async () => (await countText(page)) === '82 lines');

	/* ---- search ---- */
	let frames = 0;
	page.on('websocket', (ws) => ws.on('framereceived', (f) => {
		const m = String(f.payload);
		frames += (m.match(/"type":"log"/g) || []).length;
	}));
	await page.focus('#log');
	await page.keyboard.press('/');
	is(await page.evaluate(() => document.activeElement.id), 'q',
	    'search: "/" goes to the search box');
	await page.keyboard.type('disk fire');
	await page.press('#q', 'Enter');
	await isSoon(() => rowsText(page), ['ERROR: disk on fire'],
	    'search: server-side q= finds the line');
	await until(async () => (await connText(page)) === 'live');
	is(frames, 0, 'search: the live feed starts at the newest record');
	await post('alpha', records('alpha', 'run2', 67, 2, (s) => ({
	    message: s === 67 ? 'the disk is on fire again' : 'calm' })));
	await isSoon(() => rowsText(page), ['ERROR: disk on fire',
	    'the disk is on fire again'], 'search: live lines that match');
	await shot(page, 'search');
	await page.fill('#q', '');
	await page.press('#q', 'Enter');
	await until(async () => (await countText(page)) === '84 lines');

	/* ---- stats ---- */
	await page.click('#stats-btn');
	await until(() => page.$('#stats-total'));
	const st = await getJson('/api/v1/tasks/alpha/logs/stats');
	is(await page.textContent('#stats-total'), String(st.totalLogs),
	    'stats: total as the server counts it');
	is(st.totalLogs, 84, 'stats: the server counts 84 records');
	const lv = await page.$$eval('#stats .stat', (s) => s.map((e) =>
	    e.textContent));
	ok(lv.includes('ERROR 2') && lv.includes('WARN 2') &&
	    lv.includes('stderr 4') && lv.includes('agent 3'),
	    'stats: counts by level and source', lv.join(', '));
	ok(/^2026-11-28 .* – /.test(await page.textContent('#stats-range')),
	    'stats: time range shown');
	await post('alpha', records('alpha', 'run3', 1, 1, { level: 'FATAL',
	    source: 'stderr', message: 'FATAL: stats follow' }));
	await isSoon(() => page.textContent('#stats-total'), '85',
	    'stats: follow new records while open', 8000);
	ok((await page.$$eval('#stats .stat', (x) => x.map((e) =>
	    e.textContent))).includes('FATAL 1'), 'stats: counts follow too');
	await shot(page, 'stats');
	await page.click('#stats-btn');

	/* ---- export ---- */
	for (const [fmt, check] of [
		['ndjson', (s) => s.trim().split('\n').length === 85 &&
		    JSON.parse(s.split('\n')[0]).message ===
		    'started'],
		['csv', (s) => /^id,timestamp/.test(s) &&
		    s.includes('ERROR: disk on fire')],
		['txt', (s) => s.includes('disk on fire') &&
		    s.includes('live-one')],
	]) {
		const [dl] = await Promise.all([page.waitForEvent('download'),
		    page.click('#export-' + fmt)]);
		const file = await dl.path();
		const body = file ? fs.readFileSync(file, 'utf8') : '';
		ok(check(body), `export: ${fmt} downloaded ` +
		    `(${dl.suggestedFilename()}, ${body.length} bytes)`,
		    body.slice(0, 300));
	}

	/* ---- reconnect ---- */
	await stopServer();
	await until(async () => (await connText(page)) === 'reconnecting',
	    5000);
	is(await connText(page), 'reconnecting', 'reconnect: noticed the drop');
	await shot(page, 'reconnecting');
	await startServer();
	await post('alpha', records('alpha', 'run2', 69, 2, (s) => ({
	    message: `after-restart-${s}` })));
	ok(await until(async () => (await rowsText(page))
	    .includes('after-restart-70'), 20000),
	    'reconnect: lines stored while away arrive');
	is(await connText(page), 'live', 'reconnect: live again');
	await post('alpha', records('alpha', 'run2', 71, 1,
	    { message: 'after-restart-71' }));
	await isSoon(async () => (await rowsText(page)).slice(-4),
	    ['FATAL: stats follow', 'after-restart-69', 'after-restart-70',
	    'after-restart-71'], 'reconnect: no gap, no duplicate');
	is(await countText(page), '88 lines', 'reconnect: count is right');
	const srv = (await getJson('/api/v1/tasks')).tasks
	    .find((t) => t.taskId === 'alpha');
	is([srv.count, srv.errors], [88, 3], 'the server counts 88, 3 errors');
	await isSoon(() => page.$eval('#task-rows tr[data-task="alpha"]',
	    (tr) => [tr.querySelector('.count').textContent,
	    tr.querySelector('.errors').textContent]), ['88', '3'],
	    'task list: counts still follow after the restart', 8000);

	/* ---- 1,000 lines/s into a task opened before it existed ---- */
	await page.goto(BASE + '/#/tasks/burst');
	await until(async () => (await connText(page)) === 'live');
	const t1 = Date.now();
	for (let k = 0; k < 20; k++) {
		await post('burst', records('burst', 'b', k * 100 + 1, 100,
		    (q) => ({ message: `burst ${q}` })));
		await sleep(Math.max(0, t1 + (k + 1) * 100 - Date.now()));
	}
	await isSoon(() => countText(page), '2,000 lines',
	    'burst: 2,000 lines at 1,000 lines/s, none lost or doubled');
	await isSoon(async () => (await rowsText(page)).slice(-3),
	    ['burst 1998', 'burst 1999', 'burst 2000'],
	    'burst: the newest at the bottom, in order');
	ok((await page.$$eval('#rows .row', (r) => r.length)) < 100,
	    'burst: only visible rows in the DOM');

	/* ---- odd records ---- */
	await post('odd', [
		...records('odd', 'o', 1, 1, { message: '<img src=x ' +
		    'onerror="window.pwned=1"><b>not bold</b>' }),
		...records('odd', 'o', 2, 1, { message: 'z'.repeat(100000) }),
		...records('odd', 'o', 3, 1, { message: 'bad \ufffd byte',
		    bytes: 'YmFkIP8gYnl0ZQ==' }),
		...records('odd', 'o', 4, 1, { message: 'no newline',
		    partial: true }),
		...records('odd', 'o', 5, 1, { message: '\u001b[38;5;196mred256' +
		    '\u001b[48;2;0;0;255mbluebg\u001b[0m \u001b[2Jcleared' }),
	]);
	await page.goto(BASE + '/#/tasks/odd');
	const odd = await until(async () => {
		const t = await rowsText(page);
		return t.length === 5 ? t : null;
	}, 5000);
	is(odd && odd[0], '<img src=x onerror="window.pwned=1"><b>not bold</b>',
	    'odd: markup in a message is text');
	is(await page.evaluate(() => [document.querySelectorAll('#rows img')
	    .length, window.pwned]), [0, null], 'odd: and never markup');
	ok(odd && odd[1].startsWith('z'.repeat(8000) + ' … 92,000 more ' +
	    'characters'), 'odd: a 100,000-character line is cut for display',
	    odd && odd[1].slice(7990, 8060));
	is(await page.$$eval('#rows .flag', (f) => f.map((e) => e.title)),
	    ['not valid UTF-8: shown with replacements', 'no newline'],
	    'odd: invalid UTF-8 and partial lines are flagged');
	is(await page.$$eval('#rows .row:nth-child(5) .msg span', (s) =>
	    s.map((e) => [e.textContent, e.style.color,
	    e.style.backgroundColor])),
	    [['red256', 'rgb(255, 0, 0)', ''],
	     ['bluebg', 'rgb(255, 0, 0)', 'rgb(0, 0, 255)']],
	    'odd: 256 and 24-bit colours');
	is(odd && odd[4], 'red256bluebg cleared',
	    'odd: other escape sequences are dropped');
	await shot(page, 'odd');

	/* ---- delete ---- */
	await page.goto(BASE + '/#/tasks/beta');
	await until(async () => (await countText(page)) === '3 lines');
	await page.click('#delete-btn');
	ok(await page.isVisible('#confirm'), 'delete: asks for confirmation');
	is(await page.textContent('#confirm-text'), 'Delete every log record ' +
	    'of task “beta” (3), whatever the filters show? This cannot be ' +
	    'undone.', 'delete: says what goes');
	await shot(page, 'delete');
	await page.click('#confirm-cancel');
	await sleep(300);
	is((await getJson('/api/v1/tasks/beta/logs/count')).count, 3,
	    'delete: cancel keeps the records');
	await page.click('#delete-btn');
	await page.click('#confirm-ok');
	await until(async () => (await countText(page)) === '0 lines');
	is((await getJson('/api/v1/tasks/beta/logs/count')).count, 0,
	    'delete: confirmed, the records are gone');

	is(errors, [], 'no script error or CSP violation');
	await ctx.close();
}

if (!BASE) {
	bail('SERVE_URL is not set');
} else {
	main().then(done, (e) => {
		bail(e);
		done();
	});
}
