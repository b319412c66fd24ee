// panel-redact.test.mjs: a value scrubbed on the server (POST
// /api/v1/redactions) leaves an open panel too: the lines on screen show
// the replacement, and no record the panel keeps holds the value. From the
// panel: text selected in the log, Redact…, confirmed.
import { BASE, is, isSoon, ok, post, records, run, shot } from './harness.mjs';

const S = 'tok3nleaked99x';

const msgs = (page) => page.$$eval('#rows .row:not(.loading) .msg',
    (els) => els.map((e) => e.textContent));
// Every message the panel holds in its record cache.
const cached = (page) => page.evaluate(() =>
    [...window.kerutaPanel.view.pages.values()].flatMap((p) =>
    p.recs.filter((r) => r).map((r) => r.message)));

async function main(open) {
	await post('rd', records('rd', 'r', 1, 400, (s) => ({
	    message: s === 10 || s === 395 ? `line ${s} key=${S}` :
	    s === 398 ? 'line 398 pass=s3cond-l3ak' : `line ${s}` })));
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	await page.goto(BASE + '/#/tasks/rd');
	await isSoon(async () => (await msgs(page)).includes(`line 395 key=${S}`),
	    true, 'before: the value is on screen');
	const r = await fetch(BASE + '/api/v1/redactions', { method: 'POST',
	    body: JSON.stringify({ values: [S], task: 'rd' }) });
	is(r.status, 202, 'a redaction is started');
	await isSoon(async () => (await msgs(page)).includes(
	    'line 395 key=[REDACTED:retro]'), true,
	    'the line on screen shows the replacement');
	ok(!(await msgs(page)).some((m) => m.includes(S)),
	    'no line on screen holds the value');
	ok(!(await cached(page)).some((m) => m && m.includes(S)),
	    'no record the panel keeps holds it');
	await shot(page, 'redacted');
	await page.focus('#log');
	await page.keyboard.press('Home');
	await isSoon(async () => (await msgs(page)).slice(9, 10),
	    ['line 10 key=[REDACTED:retro]'], 'an earlier line, fetched again: '
	    + 'scrubbed too');

	/* From the panel: select the value in line 398, Redact…, confirm. */
	await page.keyboard.press('End');
	await isSoon(async () => (await msgs(page)).includes(
	    'line 398 pass=s3cond-l3ak'), true, 'another value on screen');
	await page.evaluate(() => {
		const m = [...document.querySelectorAll('#rows .row .msg')]
		    .find((e) => e.textContent.startsWith('line 398'));
		const t = m.firstChild.nodeType === 3 ? m.firstChild :
		    m.querySelector('span').firstChild;
		const r = document.createRange();
		const at = t.textContent.indexOf('s3cond');
		r.setStart(t, at);
		r.setEnd(t, at + 'S3cond-l3ak'.length);
		getSelection().removeAllRanges();
		getSelection().addRange(r);
	});
	await page.click('#redact-btn');
	await isSoon(() => page.textContent('#confirm-text'),
	    'Scrub “s3cond-l3ak” from every stored line of task “rd”: each ' +
	    'occurrence, also base64-, URL- or JSON-encoded, becomes ' +
	    '[REDACTED:retro]. This cannot be undone.', 'the dialog names the value');
	is(await page.textContent('#confirm-ok'), 'Redact', 'and its button says Redact');
	await page.click('#confirm-ok');
	await isSoon(async () => (await msgs(page)).includes(
	    'line 398 pass=[REDACTED:retro]'), true,
	    'confirmed: the line shows the replacement');
	await isSoon(() => page.textContent('#banner'),
	    'redaction 2 done: 1 records scrubbed', 'a banner says so');
	const got = await fetch(BASE + '/api/v1/redactions/2').then((x) => x.json());
	is([got.scope, got.changed], [{ task: 'rd' }, 1], 'of this task only');

	/* A redaction done after the panel fetched the lines but before its
	 * live feed subscribed: no feed could tell it, yet the screen
	 * follows. The feed is held until the redaction is done. */
	await post('rd2', records('rd2', 'r', 1, 50, (s) => ({
	    message: s === 50 ? `line ${s} key=${S}2` : `line ${s}` })));
	const page2 = await ctx.newPage();
	page2.on('pageerror', (e) => errors.push('page error: ' + e.message));
	let release;
	const held = new Promise((r) => { release = r; });
	await page2.routeWebSocket(/\/ws\//, async (ws) => {
		const early = [];
		ws.onMessage((m) => early.push(m));
		await held;
		const server = ws.connectToServer();
		ws.onMessage((m) => server.send(m));
		server.onMessage((m) => ws.send(m));
		early.forEach((m) => server.send(m));
	});
	await page2.goto(BASE + '/#/tasks/rd2');
	await isSoon(async () => (await msgs(page2)).includes(`line 50 key=${S}2`),
	    true, 'a second panel shows the value, its feed not yet live');
	is(await page2.textContent('#conn'), 'connecting', 'its feed waits');
	const r3 = await fetch(BASE + '/api/v1/redactions', { method: 'POST',
	    body: JSON.stringify({ values: [S + '2'], task: 'rd2' }) })
	    .then((x) => x.json());
	await isSoon(async () => (await fetch(BASE + '/api/v1/redactions/' +
	    r3.id).then((x) => x.json())).state, 'done',
	    'the redaction is done before the feed is live');
	release();
	await isSoon(() => page2.textContent('#conn'), 'live', 'then it is live');
	await isSoon(async () => (await msgs(page2)).includes(
	    'line 50 key=[REDACTED:retro]'), true,
	    'and the line on screen shows the replacement');
	is(errors, [], 'no script error');
}

run(main);
