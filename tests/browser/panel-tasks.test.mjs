// panel-tasks.test.mjs: the task list (state filter, how long each took)
// and the search across tasks, whose hits open the task at the line.
import { BASE, is, isSoon, post, records, run, shot } from './harness.mjs';

const rows = (page) => page.$$eval('#task-rows tr', (trs) => trs.map((tr) =>
    [...tr.children].map((td) => td.textContent)));
const hits = (page) => page.$$eval('#hit-list li', (lis) => lis.map((li) =>
    li.querySelector('.task').textContent + ' ' +
    li.querySelector('.text').textContent));

const exit = (code) => ({ source: 'agent', level: code ? 'ERROR' : 'INFO',
    message: `exited with status ${code}`,
    metadata: { event: 'exit', exitCode: code } });

async function main(open) {
	await post('ok-job', records('ok-job', 'r', 1, 3, (s) => s === 3 ?
	    exit(0) : { message: `ok line ${s}` }));
	await post('bad-job', records('bad-job', 'r', 1, 4, (s) => s === 4 ?
	    exit(2) : { message: s === 2 ? 'disk quota exceeded' :
	    `bad line ${s}` }));
	await post('live-job', records('live-job', 'r', 1, 250, (s) => ({
	    message: s === 200 ? 'disk full on /var' : `live line ${s}` })));
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	await page.goto(BASE + '/#/');
	await isSoon(async () => (await rows(page)).length, 3, 'three tasks');
	const took = (await rows(page)).map((r) => [r[0], r[3], r[4]])
	    .sort((a, b) => a[0].localeCompare(b[0]));
	is(took, [['bad-job', 'exited 2', '3.0 s'],
	    ['live-job', 'running', '4 min 9 s'], ['ok-job', 'exited 0', '2.0 s']],
	    'each task: its status and how long it took');
	for (const [st, want] of [['failed', ['bad-job']],
	    ['succeeded', ['ok-job']], ['running', ['live-job']],
	    ['', ['bad-job', 'live-job', 'ok-job']]]) {
		await page.selectOption('#task-state', st);
		is((await rows(page)).map((r) => r[0]).sort(), want,
		    `state ${st || 'all'}: ${want.join(', ')}`);
	}

	await page.fill('#all-q', 'disk');
	await page.press('#all-q', 'Enter');
	await isSoon(() => hits(page), ['live-job disk full on /var',
	    'bad-job disk quota exceeded'], 'search every task: the hits, '
	    + 'newest first');
	is(await page.textContent('#hits-head'),
	    '2 lines match “disk” in every task, newest first', 'and how many');
	await shot(page, 'search-all');
	await page.click('#hit-list li:first-child a');
	await isSoon(() => page.evaluate(() => location.hash),
	    '#/tasks/live-job/L200', 'a hit opens its task at its line');
	await isSoon(() => page.$$eval('#rows .row.sel .msg', (m) =>
	    m.map((e) => e.textContent)), ['disk full on /var'],
	    'and the line is selected');
	is(errors, [], 'no script error');
}

run(main);
