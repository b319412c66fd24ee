// panel-display.test.mjs: carriage returns, timestamps, wrapping, the raw
// log, themes.  Prints TAP.
import fs from 'node:fs';
import { BASE, is, isSoon, ok, post, records,
    run, shot } from './harness.mjs';
import { lastState } from '../../tools/keruta-serve/www/logview.js';
import { fmtSince } from '../../tools/keruta-serve/www/format.js';

const E = '\u001b';
const rowsText = (page) => page.$$eval('#rows .row:not(.loading) .msg',
    (els) => els.map((e) => e.textContent));
const rowOf = (page, n, sel) => page.$eval(
    `#rows .row[data-line="${n}"] ${sel}`, (e) => e.textContent);

function units() {
	is(lastState('a 10%\ra 55%\ra100%'), 'a100%',
	    'carriage return: the last of equal parts');
	is(lastState('abcdef\rXY'), 'XYcdef',
	    'carriage return: a shorter part writes over the start');
	is(lastState('a long progress line\r\u001b[Kdone'), '\u001b[Kdone',
	    'carriage return: an erase-line clears the rest');
	is(lastState('done\r'), 'done', 'carriage return: a trailing one');
	is([fmtSince(4000), fmtSince(62345), fmtSince(3723004), fmtSince(-1500)],
	    ['+0:04.000', '+1:02.345', '+1:02:03.004', '-0:01.500'],
	    'time since the start');
}


async function main(open) {
	units();
	await post('disp', [
		...records('disp', 'r', 1, 1, { source: 'agent',
		    message: 'started', metadata: { event: 'start',
		    command: './build', pid: 7 } }),
		...records('disp', 'r', 2, 1, { message: 'first' }),
		...records('disp', 'r', 3, 1, { message:
		    'Downloading  10%\rDownloading  55%\rDownloading 100%' }),
		...records('disp', 'r', 4, 1, { message: 'abcdef\rXY' }),
		...records('disp', 'r', 5, 1, { source: 'stderr', level: 'WARN',
		    message: `${E}[31mcompiling a long name${E}[0m\r${E}[Kok` }),
		...records('disp', 'r', 6, 1, { message: 'w'.repeat(1000) }),
		...records('disp', 'r', 7, 1, { message: 'bad \ufffd byte',
		    bytes: 'YmFkIP8gYnl0ZQ==' }),
		...records('disp', 'r', 8, 1, { message: 'half-',
		    continued: true }),
		...records('disp', 'r', 9, 1, { message: 'whole' }),
		...records('disp', 'r', 10, 1, { message: 'no newline',
		    partial: true }),
		...records('disp', 'r', 11, 1, { source: 'agent',
		    message: 'exited', metadata: { event: 'exit', exitCode: 0,
		    durationMs: 10000 } }),
	]);
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));
	await page.emulateMedia({ colorScheme: 'light' });

	await page.goto(BASE + '/#/tasks/disp');
	await isSoon(async () => (await rowsText(page)).length, 10,
	    'the task shows (continued parts joined)');

	/* Carriage returns. */
	is(await rowOf(page, 3, '.msg'), 'Downloading 100%',
	    'carriage return: the last state shows');
	is(await rowOf(page, 4, '.msg'), 'XYcdef',
	    'carriage return: as a terminal would show it');
	is(await rowOf(page, 5, '.msg'), 'ok',
	    'carriage return: erase-line and colours');
	is(await rowOf(page, 3, '.whole'), '3 states',
	    'carriage return: a button tells the states');
	is(await page.$eval('#rows .row[data-line="3"] .whole',
	    (b) => [b.getAttribute('aria-label'),
	    b.getAttribute('aria-expanded')]),
	    ['show every state of this line', 'false'],
	    'carriage return: the button is named for screen readers');
	await page.click('#rows .row[data-line="3"] .whole');
	await isSoon(() => rowOf(page, 3, '.msg'),
	    'Downloading  10%\nDownloading  55%\nDownloading 100%',
	    'carriage return: one click shows every state');
	is(await rowOf(page, 3, '.whole'), 'last state',
	    'carriage return: and offers the last state again');
	await shot(page, 'display-cr');
	await page.click('#rows .row[data-line="3"] .whole');
	await isSoon(() => rowOf(page, 3, '.msg'), 'Downloading 100%',
	    'carriage return: one more click, the last state');

	/* Timestamps. */
	const ts = () => rowOf(page, 5, '.ts');
	await page.selectOption('#stamps', 'since');
	await isSoon(ts, '+0:04.000', 'time: since the task started');
	await page.selectOption('#stamps', 'off');
	await isSoon(() => page.isHidden('#rows .row[data-line="5"] .ts'), true,
	    'time: off');
	await page.reload();
	await isSoon(async () => (await rowsText(page)).length, 10,
	    'reloaded');
	is(await page.inputValue('#stamps'), 'off', 'time: the choice is kept');
	ok(await page.isHidden('#rows .row[data-line="5"] .ts'),
	    'time: still off after a reload');
	await page.selectOption('#stamps', 'clock');
	await page.check('#utc');
	await isSoon(ts, '2026-11-28 10:00:05.000Z', 'time: the clock again');

	/* Wrap or scroll. */
	const long = () => page.$eval('#rows .row[data-line="6"] .msg', (m) =>
	    Math.round(m.getBoundingClientRect().height));
	ok(await long() > 60, 'wrap: a long line wraps by default');
	await page.uncheck('#wrap');
	await isSoon(async () => await long() < 25, true,
	    'scroll: the long line is one line');
	ok(await page.$eval('#rows', (r) => r.scrollWidth > r.clientWidth + 100),
	    'scroll: the rows scroll sideways');
	await page.check('#wrap');
	await isSoon(async () => await long() > 60, true, 'wrap: again');

	/* The raw log, in one click. */
	const [dl] = await Promise.all([page.waitForEvent('download'),
	    page.click('#raw-btn')]);
	is(dl.suggestedFilename(), 'disp.log', 'raw log: named after the task');
	const got = fs.readFileSync(await dl.path());
	const want = Buffer.concat([Buffer.from('first\n' +
	    'Downloading  10%\rDownloading  55%\rDownloading 100%\n' +
	    `abcdef\rXY\n${E}[31mcompiling a long name${E}[0m\r${E}[Kok\n` +
	    'w'.repeat(1000) + '\n'), Buffer.from('bad \xff byte\n', 'latin1'),
	    Buffer.from('half-whole\nno newline')]);
	ok(got.equals(want), 'raw log: the bytes the script wrote',
	    JSON.stringify(got.toString('latin1').slice(0, 200)));

	/* Themes follow the system. */
	const colours = () => page.evaluate(() => [
		getComputedStyle(document.documentElement).backgroundColor,
		getComputedStyle(document.getElementById('log')).backgroundColor,
		getComputedStyle(document.getElementById('log')).color]);
	is(await colours(), ['rgb(251, 251, 250)', 'rgb(255, 255, 255)',
	    'rgb(31, 35, 40)'], 'theme: light when the system is light');
	await shot(page, 'display-light');
	await page.emulateMedia({ colorScheme: 'dark' });
	is(await colours(), ['rgb(13, 17, 23)', 'rgb(22, 24, 27)',
	    'rgb(214, 216, 218)'], 'theme: dark when the system is dark');
	await shot(page, 'display-dark');

	is(errors, [], 'no script error');
}

run(main);
