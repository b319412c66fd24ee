// panel-large.test.mjs: a task of 100,000 lines: the first paint shows the
// end, only visible rows are in the DOM, any part can be reached and shows
// the right lines, the record cache stays bounded, live lines still come.
import { bail, BASE, browser, done, is, isSoon, ok, post, records,
    shot, sleep, startServer, stopServer, until } from './harness.mjs';

const N = 100000;
const pad = (i) => `big line ${i} ` + 'x'.repeat(i % 7 === 0 ? 300 : 20);

const rowNums = (page) => page.$$eval('#rows .row:not(.loading) .msg',
    (els) => els.map((e) => Number(/^big line (\d+)/.exec(e.textContent)?.[1])));

function consecutive(a) {
	return a.length > 5 && a.every((x, k) => k === 0 || x === a[k - 1] + 1);
}

async function main() {
	for (let i = 1; i <= N; i += 20000)
		await post('big', records('big', 'r1', i, 20000,
		    (seq) => ({ message: pad(seq) })));

	const ctx = await browser();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	const t0 = Date.now();
	await page.goto(BASE + '/#/tasks/big');
	await until(async () => (await rowNums(page)).includes(N), 10000, 10);
	const paint = Date.now() - t0;
	let nums = await rowNums(page);
	ok(nums[nums.length - 1] === N && consecutive(nums),
	    `first paint shows the last lines (${paint} ms)`, nums.join(' '));
	is(await page.textContent('#view-count'), '100,000 lines', 'count');
	const dom = await page.$$eval('#rows .row', (r) => r.length);
	ok(dom > 5 && dom < 100, `only visible rows in the DOM (${dom})`);
	/* Layout settles after the rows are in: ask until it has. */
	const heights = () => page.$$eval('#rows .row:not(.loading)', (rows) =>
	    rows.map((r) => {
		    const m = r.querySelector('.msg');
		    return `${m.textContent.length}:` +
			`${Math.round(m.getBoundingClientRect().height)}` +
			`/${Math.round(m.getBoundingClientRect().width)}`;
	    }));
	const wrapped = async () => (await heights()).some((h) =>
	    Number(h.split(':')[0]) > 200 &&
	    Number(h.split(':')[1].split('/')[0]) > 30);
	ok(await until(wrapped, 10000), 'long lines wrap',
	    'characters:height/width ' + (await heights()).join(' '));
	await shot(page, 'large-end');

	/* Home: the first lines. */
	await page.focus('#log');
	await page.keyboard.press('Home');
	await isSoon(async () => (await rowNums(page)).slice(0, 3), [1, 2, 3],
	    'Home shows the first lines');
	ok(!(await page.isChecked('#follow')), 'follow is off away from the end');

	/* PageDown moves by a screenful less one line. */
	const before = (await rowNums(page))[0];
	const vis = await page.evaluate(() => window.kerutaPanel.view.visRows());
	await page.keyboard.press('PageDown');
	await isSoon(async () => (await rowNums(page))[0], before + vis - 1,
	    'PageDown moves one screen');

	/* The middle, by the scroll bar's position. */
	await page.evaluate(() => {
		const l = document.getElementById('log');
		l.dispatchEvent(new PointerEvent('pointerdown'));
		l.scrollTop = (l.scrollHeight - l.clientHeight) / 2;
	});
	const near = (want) => async () => {
		const a = await rowNums(page);
		return consecutive(a) && Math.abs(a[0] - want) < N / 100;
	};
	await until(near(N / 2), 10000);
	nums = await rowNums(page);
	ok(consecutive(nums) && Math.abs(nums[0] - N / 2) < N / 100,
	    `the middle shows lines near ${N / 2} in order (${nums[0]}…)`,
	    nums.join(' '));
	await shot(page, 'large-middle');

	/* Jump around: the cache stays bounded. */
	let reached = 0;
	for (let k = 1; k <= 30; k++) {
		const f = ((k * 37) % 100) / 100;
		await page.evaluate((x) => {
			const l = document.getElementById('log');
			l.dispatchEvent(new PointerEvent('pointerdown'));
			l.scrollTop = (l.scrollHeight - l.clientHeight) * x;
		}, f);
		if (await until(near(f * N), 10000))
			reached++;
	}
	is(reached, 30, 'thirty jumps show the lines at each place');
	const pages = await page.evaluate(() =>
	    window.kerutaPanel.view.pages.size);
	ok(pages <= 80, `record cache bounded (${pages} pages of 200)`);

	/* Pages that failed while the server was away come once it is back. */
	await stopServer();
	await page.evaluate(() => {
		const l = document.getElementById('log');
		l.dispatchEvent(new PointerEvent('pointerdown'));
		l.scrollTop = (l.scrollHeight - l.clientHeight) * 0.555;
	});
	await sleep(500);
	is(await rowNums(page), [], 'server away: unloaded rows wait');
	await startServer();
	ok(await until(near(0.555 * N), 10000),
	    'server back: they load without the user doing anything');

	/* End, and a live line. */
	await page.keyboard.press('End');
	await isSoon(async () => (await rowNums(page)).slice(-1)[0], N,
	    'End goes back to the last line');
	ok(await page.isChecked('#follow'), 'End turns follow on');
	await post('big', records('big', 'r1', N + 1, 1,
	    { message: pad(N + 1) }));
	await isSoon(async () => (await rowNums(page)).slice(-2), [N, N + 1],
	    'a live line follows the 100,000th');

	/* A narrow screen: the list above, the log still virtual. */
	const phone = await ctx.newPage();
	phone.on('pageerror', (e) => errors.push('page error: ' + e.message));
	await phone.setViewportSize({ width: 420, height: 800 });
	await phone.goto(BASE + '/#/tasks/big');
	await isSoon(async () => (await rowNums(phone)).slice(-1)[0], N + 1,
	    'narrow screen: the last line at the bottom');
	const small = await phone.$$eval('#rows .row', (r) => r.length);
	ok(small > 3 && small < 60, `narrow screen: only visible rows (${small})`);
	await shot(phone, 'large-narrow');

	is(errors, [], 'no script error');
	await ctx.close();
}

main().then(done, (e) => {
	bail(e);
	done();
});
