// panel-url.test.mjs: filters in the address, and a task that does not
// exist (yet).  Prints TAP.
import { BASE, is, isSoon, ok, post, records,
    run, shot } from './harness.mjs';
import { parseHash, taskHash } from '../../tools/keruta-serve/www/route.js';

const rowsText = (page) => page.$$eval('#rows .row:not(.loading) .msg',
    (els) => els.map((e) => e.textContent));
const controls = (page) => page.evaluate(() => [
	document.getElementById('level').value,
	[...document.querySelectorAll('#sources input:checked')]
	    .map((i) => i.value),
	document.getElementById('q').value]);

function units() {
	is(parseHash('#/tasks/a%2Fb%20c/L12-L40?level=warn&source=stderr,' +
	    'agent,bogus&q=disk%20fire'), { taskId: 'a/b c', lines: [12, 40],
	    level: 'WARN', sources: ['stderr', 'agent'], q: 'disk fire' },
	    'route: task, range and filters read from the hash');
	is(parseHash('#/tasks/t/L9?source='), { taskId: 't', lines: [9, 9],
	    level: '', sources: [], q: '' }, 'route: one line, no source');
	is(parseHash('#/tasks/t/L9-L3?level=LOUD&source=stdout,stderr,agent'),
	    { taskId: 't', lines: [3, 9], level: '', sources: null, q: '' },
	    'route: a range backwards, an unknown level, every source');
	is(parseHash('#/'), { taskId: null, lines: null, level: '',
	    sources: null, q: '' }, 'route: the list');
	const r = { taskId: 'x y/ü', lines: [5, 7], level: 'ERROR',
	    sources: ['stdout', 'agent'], q: 'a&b=c' };
	const h = taskHash(r);
	is(h, '#/tasks/x%20y%2F%C3%BC/L5-L7?level=ERROR&source=stdout,agent&' +
	    'q=a%26b%3Dc', 'route: the hash of a route');
	is(parseHash(h), r, 'route: read back unchanged');
}


async function main(open) {
	units();
	await post('urlt', [
		...records('urlt', 'r', 1, 1, { message: 'plain start' }),
		...records('urlt', 'r', 2, 1, { source: 'stderr', level: 'WARN',
		    message: 'WARN: disk nearly full' }),
		...records('urlt', 'r', 3, 1, { source: 'stderr', level: 'ERROR',
		    message: 'ERROR: disk on fire' }),
		...records('urlt', 'r', 4, 1, { level: 'ERROR',
		    message: 'ERROR: disk gone from stdout' }),
		...records('urlt', 'r', 5, 1, { source: 'stderr', level: 'ERROR',
		    message: 'ERROR: network down' }),
	]);
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	/* A link with filters shows what its sender saw. */
	await page.goto(BASE + '/#/tasks/urlt?level=WARN&source=stderr&q=disk');
	await isSoon(() => rowsText(page), ['WARN: disk nearly full',
	    'ERROR: disk on fire'], 'link: the filtered lines');
	is(await controls(page), ['WARN', ['stderr'], 'disk'],
	    'link: the controls show the filters');
	is(await page.textContent('#view-count'), '2 lines',
	    'link: the count of the filtered');

	/* Changing a filter changes the address. */
	await page.selectOption('#level', 'ERROR');
	await isSoon(() => rowsText(page), ['ERROR: disk on fire'],
	    'filter change: the lines follow');
	is(await page.evaluate(() => location.hash),
	    '#/tasks/urlt?level=ERROR&source=stderr&q=disk',
	    'filter change: the address follows');
	await page.check('#sources input[value="stdout"]');
	await page.fill('#q', 'disk fire');
	await page.press('#q', 'Enter');
	await isSoon(() => page.evaluate(() => location.hash),
	    '#/tasks/urlt?level=ERROR&source=stdout,stderr&q=disk+fire',
	    'search and source: in the address too');
	const link = await page.evaluate(() => location.href);

	/* The same link in another tab. */
	const other = await ctx.newPage();
	other.on('pageerror', (e) => errors.push('page error: ' + e.message));
	await other.goto(link);
	await isSoon(() => rowsText(other), ['ERROR: disk on fire'],
	    'the link in another tab: the same lines');
	is(await controls(other), ['ERROR', ['stdout', 'stderr'], 'disk fire'],
	    'the link in another tab: the same controls');
	await other.close();

	/* Editing the address changes the filters in place. */
	await page.evaluate(() => {
		location.hash = '#/tasks/urlt?source=stdout';
	});
	await isSoon(() => rowsText(page), ['plain start',
	    'ERROR: disk gone from stdout'], 'an edited address: new filters');
	is(await controls(page), ['', ['stdout'], ''],
	    'an edited address: the controls follow');
	await page.goBack();
	await page.goto(BASE + '/#/tasks/urlt');
	await isSoon(async () => (await rowsText(page)).length, 5,
	    'no parameter: no filter');
	is(await controls(page), ['', ['stdout', 'stderr', 'agent'], ''],
	    'no parameter: every control cleared');

	/* Filters that match nothing say so. */
	await page.goto(BASE + '/#/tasks/urlt?q=zebra');
	await isSoon(() => page.textContent('#notice'),
	    'No line of this task matches the filters.',
	    'no match: said so in the pane');
	ok(await page.isVisible('#notice'), 'no match: the notice is visible');

	/* A task that does not exist yet. */
	await page.goto(BASE + '/#/tasks/later');
	await isSoon(() => page.isVisible('#notice'), true,
	    'unknown task: a notice instead of a black pane');
	is(await page.textContent('#notice'), 'Task “later” does not exist ' +
	    '(yet). Watching for it: its lines will show here as they arrive.',
	    'unknown task: says it does not exist (yet)');
	await shot(page, 'unknown-task');
	await isSoon(() => page.textContent('#conn'), 'live',
	    'unknown task: watched live');
	await post('later', records('later', 'l', 1, 2,
	    (s) => ({ message: `arrived ${s}` })));
	await isSoon(() => rowsText(page), ['arrived 1', 'arrived 2'],
	    'unknown task: its first lines show when they come');
	ok(await page.isHidden('#notice'), 'unknown task: the notice goes');

	is(errors, [], 'no script error');
}

run(main);
