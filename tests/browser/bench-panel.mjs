// bench-panel.mjs: figures for scripts/bench-panel, against a running
// keruta-serve (SERVE_URL) that holds the task BENCH_TASK (BENCH_N lines,
// the last one's message starting "line BENCH_N ") and a 10-line task
// "small" as the baseline.
//   - time to first paint: navigation to the newest line on screen;
//   - frame rate in the follow view while 1,000 lines/s arrive, against
//     the idle frame rate of the same page.
import { BASE, browser, post, records, sleep } from './harness.mjs';

const N = Number(process.env.BENCH_N || 1000000);
const TASK = process.env.BENCH_TASK || 'big';
const RATE = 1000;		/* lines/s */
const SECS = 5;

async function firstPaint(page, task, last) {
	await page.goto('about:blank');
	await page.goto(`${BASE}/#/tasks/${task}`);
	await page.waitForFunction((want) => [...document.querySelectorAll(
	    '#rows .msg')].some((e) => e.textContent.startsWith(want)),
	    `line ${last} `, { polling: 'raf', timeout: 60000 });
	return page.evaluate(() => performance.now());
}

// Frames per second and the longest frame over secs, counted in the page.
function frames(page, secs) {
	return page.evaluate((ms) => new Promise((res) => {
		let n = 0, prev = performance.now(), worst = 0;
		const t0 = prev;
		const tick = (t) => {
			n++;
			worst = Math.max(worst, t - prev);
			prev = t;
			if (t - t0 < ms)
				requestAnimationFrame(tick);
			else
				res({ fps: n / ((t - t0) / 1000), worst });
		};
		requestAnimationFrame(tick);
	}), secs * 1000);
}

async function feed(task, secs) {
	const step = 50;		/* ms */
	const per = RATE * step / 1000;
	const t0 = Date.now();
	let seq = 1;
	for (let k = 0; k < secs * 1000 / step; k++) {
		await post(task, records(task, 'feed', seq, per, (s) =>
		    ({ message: `live ${s} ` + 'y'.repeat(s % 5 ? 40 : 200) })));
		seq += per;
		const wait = t0 + (k + 1) * step - Date.now();
		if (wait > 0)
			await sleep(wait);
	}
	return seq - 1;
}

const ctx = await browser();
const page = await ctx.newPage();
await firstPaint(page, 'small', 10);		/* warm the browser up */
const small = await firstPaint(page, 'small', 10);
const cold = await firstPaint(page, TASK, N);
const heap = await page.evaluate(() => performance.memory ?
    performance.memory.usedJSHeapSize : 0);
const warm = await firstPaint(page, TASK, N);
console.log(`panel-first-paint: ${cold.toFixed(0)} ms for a ${N}-line task ` +
    `(ratio to a 10-line task ${(cold / small).toFixed(2)}; again ` +
    `${warm.toFixed(0)} ms), JS heap ${(heap / 1048576).toFixed(1)} MiB`);

// First paint of a task with sections, and the time until they are folded
// (the panel reads the whole log for its markers, up to 200,000 lines).
async function sectionPaint(task, lines) {
	await page.goto('about:blank');
	await page.goto(`${BASE}/#/tasks/${task}`);
	await page.waitForFunction(() => [...document.querySelectorAll(
	    '#rows .msg')].some((e) => /^(line \d+ of a step|::endgroup::)/
	    .test(e.textContent) || e.closest('.sec')),
	    null, { polling: 'raf', timeout: 60000 });
	const paint = await page.evaluate(() => performance.now());
	let folded = NaN;
	if (lines <= 200000) {
		await page.waitForFunction(() => window.kerutaPanel.state.outline &&
		    document.querySelector('#rows .row.sec'), null,
		    { polling: 'raf', timeout: 120000 });
		folded = await page.evaluate(() => performance.now());
	}
	return { paint, folded };
}

const sect = await sectionPaint('sect', N);
console.log(`panel-first-paint-sections: ${sect.paint.toFixed(0)} ms for a ` +
    `${N}-line task with ${N / 100} sections (read for sections only up ` +
    'to 200,000 lines)');
const sect2 = await sectionPaint('sect200k', 200000);
console.log(`panel-sections-folded: first paint ${sect2.paint.toFixed(0)} ` +
    `ms, sections folded at ${sect2.folded.toFixed(0)} ms for a ` +
    '200000-line task with 2000 sections');

await page.goto(`${BASE}/#/tasks/live`);
await page.waitForFunction(() => document.getElementById('conn')
    .textContent === 'live', null, { timeout: 10000 });
const idle = await frames(page, 2);
const [busy, sent] = await Promise.all([frames(page, SECS), feed('live',
    SECS)]);
await page.waitForFunction((want) => [...document.querySelectorAll(
    '#rows .msg')].some((e) => e.textContent.startsWith(want)),
    `live ${sent} `, { timeout: 10000 });
const shown = await page.textContent('#view-count');
console.log(`panel-live: ${busy.fps.toFixed(1)} fps while ${RATE} lines/s ` +
    `arrive (ratio to idle ${(busy.fps / idle.fps).toFixed(2)}, idle ` +
    `${idle.fps.toFixed(1)} fps), longest frame ${busy.worst.toFixed(0)} ms, ` +
    `${shown} shown of ${sent} sent`);
await ctx.close();
