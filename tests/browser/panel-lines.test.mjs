// panel-lines.test.mjs: line numbers and permalinks.  Prints TAP.
import { BASE, is, isSoon, ok, post, records,
    run, shot } from './harness.mjs';

// [line number, message] of the rows on screen.
const numbered = (page) => page.$$eval('#rows .row:not(.loading)',
    (rs) => rs.map((r) => [r.querySelector('.ln').textContent,
    r.querySelector('.msg').textContent]));
const selected = (page) => page.$$eval('#rows .row.sel', (rs) => rs.map((r) =>
    Number(r.dataset.line)));
// Whether line n is inside the scroller's box.
const inSight = (page, n) => page.evaluate((k) => {
	const r = document.querySelector(`#rows .row[data-line="${k}"]`);
	if (!r)
		return false;
	const a = r.getBoundingClientRect();
	const b = document.getElementById('log').getBoundingClientRect();
	return a.top >= b.top && a.bottom <= b.bottom;
}, n);
const hash = (page) => page.evaluate(() => location.hash);


async function main(open) {
	await post('lines', records('lines', 'r', 1, 300, (s) => s % 10 ? {
	    message: `row ${s}` } : { source: 'stderr', level: 'ERROR',
	    message: `row ${s} failed` }));
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	await page.goto(BASE + '/#/tasks/lines');
	await isSoon(async () => (await numbered(page)).slice(-2),
	    [['299', 'row 299'], ['300', 'row 300 failed']],
	    'line numbers: the last lines numbered 299, 300');
	const all = await numbered(page);
	ok(all.length > 10 && all.every(([n, m]) => m.startsWith(`row ${n}`)),
	    `line numbers: every row on screen (${all.length})`,
	    JSON.stringify(all.slice(0, 5)));
	is(await page.$eval('#rows .row:last-child .ln', (a) =>
	    [a.getAttribute('aria-label'), a.getAttribute('href')]),
	    ['line 300', '#/tasks/lines/L300'],
	    'line numbers: links named for screen readers');

	/* The same numbers under a filter. */
	await page.selectOption('#level', 'ERROR');
	await isSoon(async () => (await numbered(page)).slice(-3),
	    [['280', 'row 280 failed'], ['290', 'row 290 failed'],
	    ['300', 'row 300 failed']],
	    'a filter: each line keeps its number in the whole log');
	is(await page.$eval('#rows .row:last-child .ln', (a) =>
	    a.getAttribute('href')), '#/tasks/lines/L300?level=ERROR',
	    'a filter: the line link keeps the filter');
	await shot(page, 'lines-filtered');

	/* A permalink to one line. */
	await page.goto(BASE + '/#/tasks/lines/L42');
	await isSoon(() => selected(page), [42], 'permalink: line 42 selected');
	ok(await inSight(page, 42), 'permalink: line 42 is in sight');
	is(await page.$eval('#rows .row.sel .msg', (m) => m.textContent),
	    'row 42', 'permalink: the right line');
	ok(!(await page.isChecked('#follow')), 'permalink: follow is off');
	is(await page.$eval('#rows .row.sel', (r) =>
	    r.getAttribute('aria-current')), 'true',
	    'permalink: the line is marked current for screen readers');

	/* A range, in a page opened at it. */
	const tab = await ctx.newPage();
	tab.on('pageerror', (e) => errors.push('page error: ' + e.message));
	await tab.goto(BASE + '/#/tasks/lines/L200-L205');
	await isSoon(() => selected(tab), [200, 201, 202, 203, 204, 205],
	    'range: lines 200 to 205 selected');
	ok(await inSight(tab, 200) && await inSight(tab, 205),
	    'range: in sight');
	await shot(tab, 'lines-range');
	await tab.close();

	/* Clicking a number sets the link; shift-click a range. */
	await page.click('#rows .row[data-line="47"] .ln');
	await isSoon(() => hash(page), '#/tasks/lines/L47',
	    'click: the address names the line');
	is(await selected(page), [47], 'click: the line selected');
	await page.click('#rows .row[data-line="50"] .ln',
	    { modifiers: ['Shift'] });
	await isSoon(() => hash(page), '#/tasks/lines/L47-L50',
	    'shift-click: the address names the range');
	is(await selected(page), [47, 48, 49, 50], 'shift-click: the range');
	await page.focus('#rows .row[data-line="44"] .ln');
	await page.keyboard.press('Enter');
	await isSoon(() => hash(page), '#/tasks/lines/L44',
	    'keyboard: Enter on a line number selects it');

	/* A permalink under a filter. */
	await page.goto(BASE + '/#/tasks/lines/L250?level=ERROR');
	await isSoon(() => selected(page), [250],
	    'filtered permalink: line 250 selected');
	ok(await inSight(page, 250), 'filtered permalink: in sight');
	is(await page.$eval('#rows .row.sel .msg', (m) => m.textContent),
	    'row 250 failed', 'filtered permalink: the right line');

	/* Past the end. */
	await page.goto(BASE + '/#/tasks/lines/L999');
	await isSoon(() => page.textContent('#banner'),
	    'line 999: the task has 300 lines', 'past the end: said so');

	is(errors, [], 'no script error');
}

run(main);
