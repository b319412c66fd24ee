// harness.mjs: what the panel's browser tests share: TAP output, a headless
// Chromium, a keruta-serve to feed and restart.
//
// Environment: SERVE_URL (http://127.0.0.1:PORT of a running keruta-serve),
// SERVE_PID (or KR_SERVE_PID) and KR_SERVE_ARGV (its pid, and its argv as a
// JSON array, so that a test can stop and restart it; KR_SERVE_LOG takes the
// new one's stderr), KR_ARTIFACTS (where screenshots go), KR_CHROMIUM
// (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = (process.env.SERVE_URL || '').replace(/\/$/, '');
export const ARTIFACTS = process.env.KR_ARTIFACTS ||
    path.resolve(process.env.KR_TOP || '.', 'build', 'artifacts');
const CHROMIUM = process.env.KR_CHROMIUM || '/usr/bin/chromium';

/* ---- TAP ---- */

let n = 0, failed = 0;

export function ok(cond, desc, detail) {
	n++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
	if (!cond) {
		failed++;
		if (detail !== undefined)
			for (const l of String(detail).split('\n'))
				console.log('#   ' + l);
	}
	return cond;
}

export function is(got, want, desc) {
	const g = JSON.stringify(got), w = JSON.stringify(want);
	return ok(g === w, desc, `     got: ${g}\nexpected: ${w}`);
}

// is(), once fn() has returned want or timeout ms have passed.
export async function isSoon(fn, want, desc, timeout = 15000) {
	const w = JSON.stringify(want);
	let got;
	await until(async () => {
		got = await fn();
		return JSON.stringify(got) === w;
	}, timeout);
	return is(got, want, desc);
}

export function diag(msg) {
	for (const l of String(msg).split('\n'))
		console.log('# ' + l);
}

export function done() {
	console.log(`1..${n}`);
	process.exitCode = failed ? 1 : 0;
	if (child)
		child.kill('SIGTERM');
}

export function bail(e) {
	console.log(`Bail out! ${e && e.stack ? e.stack.split('\n')[0] : e}`);
	diag(e && e.stack ? e.stack : String(e));
	process.exitCode = 1;
}

/* ---- waiting ---- */

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value; returns it, or the last value
// after timeout ms.
export async function until(fn, timeout = 15000, every = 20) {
	const end = Date.now() + timeout;
	let v;
	for (;;) {
		try {
			v = await fn();
		} catch {
			v = undefined;
		}
		if (v || Date.now() > end)
			return v;
		await sleep(every);
	}
}

/* ---- the server ---- */

export async function post(task, recs, headers = {}) {
	const body = recs.map((r) => JSON.stringify(r) + '\n').join('');
	const r = await fetch(`${BASE}/api/v1/tasks/${encodeURIComponent(task)}/logs`,
	    { method: 'POST', body,
	      headers: { 'Content-Type': 'application/x-ndjson', ...headers } });
	if (!r.ok)
		throw new Error(`POST ${task}: ${r.status} ${await r.text()}`);
	return r.json();
}

export async function getJson(p, headers = {}) {
	const r = await fetch(BASE + p, { headers });
	if (!r.ok)
		throw new Error(`GET ${p}: ${r.status}`);
	return r.json();
}

// Records as keruta-capture makes them.
export function records(task, run, from, count, fill = {}) {
	const out = [];
	const t0 = Date.parse('2026-11-28T10:00:00Z');
	for (let i = 0; i < count; i++) {
		const seq = from + i;
		const base = { type: 'log', taskId: task, runId: run, seq,
		    timestamp: new Date(t0 + seq * 1000).toISOString(),
		    source: 'stdout', level: 'INFO', message: `line ${seq}` };
		out.push(Object.assign(base,
		    typeof fill === 'function' ? fill(seq) : fill));
	}
	return out;
}

let child = null;

function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function healthy() {
	try {
		return (await fetch(BASE + '/health')).ok;
	} catch {
		return false;
	}
}

// Stops the server and leaves it down.
export async function stopServer() {
	const pid = child ? child.pid : Number((process.env.KR_SERVE_PID || process.env.SERVE_PID));
	if (!pid)
		throw new Error('KR_SERVE_PID is not set');
	process.kill(pid, 'SIGTERM');
	if (!(await until(() => !alive(pid), 10000)))
		process.kill(pid, 'SIGKILL');
	child = null;
}

// Starts it again on the same port and store; the test kills it at exit.
export async function startServer() {
	const argv = JSON.parse(process.env.KR_SERVE_ARGV || 'null');
	if (!Array.isArray(argv))
		throw new Error('KR_SERVE_ARGV is not set');
	const log = process.env.KR_SERVE_LOG ?
	    fs.openSync(process.env.KR_SERVE_LOG, 'a') : 'ignore';
	child = spawn(argv[0], argv.slice(1),
	    { stdio: ['ignore', 'ignore', log] });
	child.unref();	/* the test's end does not wait for it */
	if (!(await until(healthy, 10000)))
		throw new Error('keruta-serve did not come back');
}

process.on('exit', () => {
	if (child)
		child.kill('SIGTERM');
});

/* ---- the browser ---- */

export async function browser() {
	if (!fs.existsSync(CHROMIUM))
		throw new Error(`${CHROMIUM} is missing: run scripts/install-deps`);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keruta-chromium.'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		acceptDownloads: true,
		viewport: { width: 1280, height: 720 },
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-quic', '--no-first-run',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
	});
	const close = ctx.close.bind(ctx);
	ctx.close = async () => {
		await close();
		fs.rmSync(dir, { recursive: true, force: true });
	};
	return ctx;
}

/*
 * Runs a test's main(open), open() starting the browser, and ends the TAP
 * stream however main ends; the browser is closed either way (an open one
 * would keep node running).
 */
export function run(main) {
	let ctx = null;
	const open = async () => (ctx = await browser());

	main(open).then(async () => {
		if (ctx)
			await ctx.close();
		done();
	}, async (e) => {
		bail(e);
		done();
		if (ctx)
			await ctx.close();
	});
}

export async function shot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS, `panel-${name}.png`) });
}
