// panel-keys.test.mjs: the task header, errors and search hits from the
// keyboard, Tab order and names.  Prints TAP.
import { BASE, is, isSoon, ok, post, records,
    run, shot } from './harness.mjs';

const selMsg = (page) => page.$$eval('#rows .row.sel .msg',
    (m) => m.map((e) => e.textContent));
const hash = (page) => page.evaluate(() => location.hash);

const start = (task, run, seq) => records(task, run, seq, 1, {
	source: 'agent', message: 'started', metadata: { event: 'start',
	command: './ci', pid: 5 } });
const exit = (task, run, seq, code, ms) => records(task, run, seq, 1, {
	source: 'agent', message: 'exited', metadata: { event: 'exit',
	exitCode: code, signal: 0, durationMs: ms } });
const err = (task, run, seq, msg) => records(task, run, seq, 1, {
	source: 'stderr', level: 'ERROR', message: msg });


async function main(open) {
	await post('keys', [
		...start('keys', 'run1aaaaaaaa', 1),
		...records('keys', 'run1aaaaaaaa', 2, 3),
		...err('keys', 'run1aaaaaaaa', 5, 'ERROR: one'),
		...records('keys', 'run1aaaaaaaa', 6, 3, (s) =>
		    ({ message: s === 7 ? 'disk a' : `line ${s}` })),
		...err('keys', 'run1aaaaaaaa', 9, 'ERROR: two'),
		...exit('keys', 'run1aaaaaaaa', 10, 1, 2500),
		...start('keys', 'run2bbbbbbbb', 1),
		...records('keys', 'run2bbbbbbbb', 2, 3, (s) =>
		    ({ message: s === 3 ? 'disk b' : `again ${s}` })),
		...err('keys', 'run2bbbbbbbb', 5, 'ERROR: three'),
		...exit('keys', 'run2bbbbbbbb', 6, 0, 1500),
	]);
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	/* The header. */
	await page.goto(BASE + '/#/tasks/keys');
	await isSoon(() => page.textContent('#view-count'), '16 lines',
	    'the task shows');
	await isSoon(() => page.$$eval('#runs option', (o) =>
	    o.map((e) => e.textContent)), ['#1 run1aaaa (exited 1)',
	    '#2 run2bbbb (exited 0)'], 'header: the runs, each with its end');
	is(await page.inputValue('#runs'), 'run2bbbbbbbb',
	    'header: the last run picked');
	is(await page.textContent('#view-status'), 'exited 0',
	    'header: state and exit code');
	is(await page.textContent('#view-duration'), 'duration 1.5 s',
	    'header: the last run\'s duration');
	await shot(page, 'keys-header');

	/* Picking a run goes to its start. */
	await page.selectOption('#runs', 'run1aaaaaaaa');
	await isSoon(() => hash(page), '#/tasks/keys/L1',
	    'run: the first run starts at line 1');
	is(await selMsg(page), ['started ./ci (pid 5)'], 'run: its start line');
	await page.selectOption('#runs', 'run2bbbbbbbb');
	await isSoon(() => hash(page), '#/tasks/keys/L11',
	    'run: the second at line 11');

	/* Errors from the keyboard. */
	await page.focus('#log');
	await page.keyboard.press('e');
	await isSoon(() => selMsg(page), ['ERROR: one'], 'e: the first error');
	is(await hash(page), '#/tasks/keys/L5', 'e: its line in the address');
	await page.keyboard.press('e');
	await isSoon(() => selMsg(page), ['ERROR: two'], 'e: the next error');
	await page.keyboard.press('e');
	await isSoon(() => selMsg(page), ['ERROR: three'],
	    'e: the next, in the second run');
	is(await hash(page), '#/tasks/keys/L15', 'e: line 15');
	await page.keyboard.press('e');
	await isSoon(() => page.textContent('#banner'),
	    'no error after this one (3 in all)', 'e: past the last error, said so');
	await page.keyboard.press('Shift+E');
	await isSoon(() => selMsg(page), ['ERROR: two'], 'E: the previous error');
	await page.click('#first-error');
	await isSoon(() => selMsg(page), ['ERROR: one'],
	    'the First error button');

	/* Search hits. */
	await page.fill('#q', 'disk');
	await page.press('#q', 'Enter');
	await isSoon(() => page.textContent('#view-count'), '2 lines',
	    'search: two hits');
	await page.focus('#log');
	await page.keyboard.press('n');
	await isSoon(() => selMsg(page), ['disk a'], 'n: the first hit');
	is(await hash(page), '#/tasks/keys/L7?q=disk',
	    'n: its line in the whole log');
	await page.keyboard.press('n');
	await isSoon(() => selMsg(page), ['disk b'], 'n: the next hit');
	is(await hash(page), '#/tasks/keys/L13?q=disk', 'n: line 13');
	await page.keyboard.press('Shift+N');
	await isSoon(() => selMsg(page), ['disk a'], 'N: the previous hit');

	/* Every control by Tab, each with a name. */
	const controls = ['level', 'q', 'first-error', 'follow', 'stamps',
	    'wrap', 'stats-btn', 'raw-btn', 'export-ndjson', 'export-csv',
	    'export-txt', 'redact-btn', 'delete-btn', 'runs', 'utc', 'token',
	    'token-save', 'all-q', 'task-filter', 'task-state', 'log'];
	await page.focus('#top h1 a');
	const seen = new Set();
	for (let k = 0; k < 120; k++) {
		await page.keyboard.press('Tab');
		const id = await page.evaluate(() => {
			const a = document.activeElement;
			return a.id || (a.closest('#sources') ? 'src-' + a.value :
			    '');
		});
		seen.add(id);
	}
	is(controls.concat(['src-stdout', 'src-stderr', 'src-agent'])
	    .filter((c) => !seen.has(c)), [], 'Tab reaches every control');
	const unnamed = await page.evaluate(() => [...document.querySelectorAll(
	    '#top a, #top input, #top button, #view-head select, #toolbar a, ' +
	    '#toolbar input, #toolbar select, #toolbar button, #log, ' +
	    '#task-filter, #task-state, #all-q')].filter((e) => {
		const name = e.getAttribute('aria-label') ||
		    (e.labels && e.labels[0] && e.labels[0].textContent.trim()) ||
		    e.textContent.trim();
		return !name;
	}).map((e) => e.id || e.outerHTML.slice(0, 60)));
	is(unnamed, [], 'every control has a name for screen readers');

	is(errors, [], 'no script error');
}

run(main);
