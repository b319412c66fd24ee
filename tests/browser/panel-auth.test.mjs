// panel-auth.test.mjs: the panel against a keruta-serve that wants a token
// (KR_KEY: read and write; KR_RO_KEY: read only).  The token typed in is
// kept for the session, sent as a Bearer header to the REST API and as
// ?token= to the WebSocket and the export links.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { bail, BASE, browser, done, is, isSoon, ok, post, records,
    shot, sleep, startServer, stopServer, until } from './harness.mjs';

const KEY = process.env.KR_KEY;
const RO = process.env.KR_RO_KEY;
const auth = { Authorization: 'Bearer ' + KEY };

// An HS256 JWT with the server's secret.
function jwt(claims) {
	const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	const data = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64(claims);
	return data + '.' + crypto.createHmac('sha256',
	    process.env.KR_JWT_SECRET).update(data).digest('base64url');
}

async function main() {
	await post('secret', records('secret', 'r', 1, 3), auth);

	const ctx = await browser();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	await page.goto(BASE + '/');
	await until(async () => !(await page.isHidden('#banner')), 5000);
	ok(/^task list: unauthorized/.test(await page.textContent('#banner')),
	    'without a token: told to enter one',
	    await page.textContent('#banner'));
	is(await page.$$eval('#task-rows tr', (r) => r.length), 0,
	    'without a token: no tasks');
	await shot(page, 'auth-none');

	await page.fill('#token', 'not-a-key');
	await page.click('#token-save');
	await until(async () => /unauthorized/.test(
	    await page.textContent('#banner')), 5000);
	ok(/unauthorized/.test(await page.textContent('#banner')),
	    'a wrong token: unauthorized');

	await page.fill('#token', KEY);
	await page.click('#token-save');
	ok(await until(() => page.$('#task-rows tr[data-task="secret"]'), 5000),
	    'with the token: the task list');
	is(await page.inputValue('#token'), '', 'the token field is cleared');
	is(await page.evaluate(() => sessionStorage.getItem('keruta.token')), KEY,
	    'the token is kept in session storage');

	await page.goto(BASE + '/#/tasks/secret');
	await isSoon(() => page.$$eval('#rows .msg', (m) =>
	    m.map((e) => e.textContent)), ['line 1', 'line 2', 'line 3'],
	    'after a reload, the session token still reads the history');
	await until(async () => (await page.textContent('#conn')) === 'live');
	is(await page.textContent('#conn'), 'live',
	    'the WebSocket accepts ?token=');
	await post('secret', records('secret', 'r', 4, 1,
	    { message: 'live with auth' }), auth);
	ok(await until(async () => (await page.$$eval('#rows .msg', (m) =>
	    m.map((e) => e.textContent))).includes('live with auth'), 5000),
	    'a live line arrives');
	ok((await page.getAttribute('#export-ndjson', 'href'))
	    .includes('token=' + encodeURIComponent(KEY)),
	    'export links carry the token');
	const [dl] = await Promise.all([page.waitForEvent('download'),
	    page.click('#export-txt')]);
	const body = fs.readFileSync(await dl.path(), 'utf8');
	ok(body.includes('live with auth') && body.includes('line 1'),
	    'export with the token downloads the logs', body.slice(0, 200));
	await shot(page, 'auth-live');

	/* A read-only key cannot delete: the refusal shows, the logs stay. */
	await page.fill('#token', RO);
	await page.click('#token-save');
	await until(async () => (await page.textContent('#conn')) === 'live');
	await page.click('#delete-btn');
	await page.click('#confirm-ok');
	await until(async () => /^delete: /.test(
	    await page.textContent('#banner')), 5000);
	ok(/^delete: forbidden/.test(await page.textContent('#banner')),
	    'a read-only token: delete is refused',
	    await page.textContent('#banner'));
	await isSoon(() => page.textContent('#view-count'), '4 lines',
	    'a read-only token: the logs stay');

	/* A token that expires while the feed is live: after the server
	 * restarts, the WebSocket is refused; the panel says why and stops
	 * trying rather than reconnecting for ever. */
	const LEEWAY = 30;	/* the server's, for clock skew */
	const exp = Math.floor(Date.now() / 1000) + 4;
	await page.fill('#token', jwt({ sub: 'viewer', scope: 'logs:read',
	    exp: exp - LEEWAY }));
	await page.click('#token-save');
	ok(await until(async () => (await page.textContent('#conn')) ===
	    'live', 5000), 'a JWT: live');
	while (Date.now() < exp * 1000 + 1500)
		await sleep(100);
	await stopServer();
	await startServer();
	ok(await until(async () => (await page.textContent('#conn')) ===
	    'denied', 15000), 'the token expired: the feed is denied',
	    await page.textContent('#conn'));
	/* Whichever asked first, the feed or the task list's refresh
	 * (every 2 s), the banner says why; a refresh that failed while the
	 * server was down may say so last, until the next one. */
	const expired = /^(live feed|task list): unauthorized: the token has expired; enter an access token$/;
	ok(await until(async () => expired.test(await page.textContent(
	    '#banner')), 5000), 'and the banner says why',
	    await page.textContent('#banner'));
	await sleep(2000);
	is(await page.textContent('#conn'), 'denied', 'it does not retry');
	await shot(page, 'auth-expired');
	await page.fill('#token', KEY);
	await page.click('#token-save');
	ok(await until(async () => (await page.textContent('#conn')) ===
	    'live', 10000), 'a new token: live again');

	is(errors, [], 'no script error');
	await ctx.close();
}

main().then(done, (e) => {
	bail(e);
	done();
});
