// panel-sections.test.mjs: sections of the three marker styles.  Prints TAP.
import { BASE, getJson, is, isSoon, ok, post, records,
    run, shot } from './harness.mjs';
import { parseMarker } from '../../tools/keruta-serve/www/sections.js';

const E = '\u001b';
const MSGS = [
	'::group::Install deps', 'npm ci', 'added 100 packages', '::endgroup::',
	`${E}[0Ksection_start:1700000000:build[collapsed=true]\r${E}[0K` +
	    'Build the app',
	'compiling', '::group::Inner', 'inner line', '::endgroup::',
	`${E}[0Ksection_end:1700000042:build\r${E}[0K`,
	`${E}[0Ksection_start:1700000050:test\r${E}[0KRun tests`, 'test a ok',
	`${E}[0Ksection_end:1700000053:test\r${E}[0K`,
	'::group::Lint', 'ERROR: lint failed', '::endgroup::',
	'--- :docker: Build image', 'docker build', '+++ :rspec: Specs',
	'spec 1 ok', '--- Deploy', '^^^ +++', 'deploying', 'done',
];

// Each row on screen: "line: text" with one "  " per depth; a header as
// "line: ▸ title (duration)".
const outline = (page) => page.$$eval('#rows .row:not(.loading)', (rs) =>
    rs.map((r) => {
	const d = Number(r.style.getPropertyValue('--depth') || 0);
	const n = r.querySelector('.ln').textContent;
	const pad = '  '.repeat(d);
	if (r.classList.contains('sec'))
		return `${n}: ${pad}` +
		    `${r.querySelector('.fold')?.textContent ?? '·'} ` +
		    `${r.querySelector('.title').textContent} ` +
		    `(${r.querySelector('.dur')?.textContent ?? ''})`;
	return `${n}: ${pad}${r.querySelector('.msg').textContent}`;
}));

function units() {
	is(parseMarker('::group::Build'), { kind: 'start', style: 'gh',
	    title: 'Build', folded: true }, 'marker: GitHub group');
	is(parseMarker(`${E}[0Ksection_start:17:x_y[collapsed=true]\r${E}[0KT`),
	    { kind: 'start', style: 'gl', name: 'x_y', unix: 17, title: 'T',
	    folded: true }, 'marker: GitLab start with its escapes');
	is(parseMarker(`${E}[0Ksection_end:20:x_y\r${E}[0K`), { kind: 'end',
	    style: 'gl', name: 'x_y', unix: 20 }, 'marker: GitLab end');
	is([parseMarker('--- a').folded, parseMarker('+++ b').folded,
	    parseMarker('^^^ +++').kind, parseMarker('---x'),
	    parseMarker('text ::group:: later')], [true, false, 'expand', null,
	    null], 'marker: Buildkite, and look-alikes that are not');
}


async function main(open) {
	units();
	await post('secs', records('secs', 'r', 1, MSGS.length, (s) => ({
	    message: MSGS[s - 1], ...(MSGS[s - 1].startsWith('ERROR') ?
	    { level: 'ERROR', source: 'stderr' } : {}) })));
	const ctx = await open();
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push('page error: ' + e.message));

	await page.goto(BASE + '/#/tasks/secs');
	await isSoon(() => outline(page), [
		'1: ▸ Install deps (3.0 s)',
		'5: ▸ Build the app (42.0 s)',
		'11: ▾ Run tests (3.0 s)',
		'12:   test a ok',
		'14: ▾ Lint (2.0 s)',
		'15:   ERROR: lint failed',
		'17: ▸ :docker: Build image (1.0 s)',
		'19: ▾ :rspec: Specs (1.0 s)',
		'20:   spec 1 ok',
		'21: ▾ Deploy (running)',
		'23:   deploying',
		'24:   done',
	], 'sections: headers with durations, folded or open as asked, ' +
	    'an error opens its section, markers hidden');
	ok(await page.$eval('#rows .row[data-line="14"]', (r) =>
	    r.classList.contains('sec-error')), 'sections: the error one marked');
	is(await page.$eval('#rows .row[data-line="1"] .fold', (b) =>
	    [b.getAttribute('aria-expanded'), b.getAttribute('aria-label')]),
	    ['false', 'open section Install deps'],
	    'sections: the fold button is named for screen readers');
	await shot(page, 'sections');

	/* Nested: open Build the app, then Inner. */
	await page.click('#rows .row[data-line="5"] .fold');
	await isSoon(async () => (await outline(page)).slice(1, 5), [
		'5: ▾ Build the app (42.0 s)',
		'6:   compiling',
		'7:   ▸ Inner (2.0 s)',
		'11: ▾ Run tests (3.0 s)',
	], 'nested: a section inside a section');
	await page.focus('#rows .row[data-line="7"] .fold');
	await page.keyboard.press('Enter');
	await isSoon(async () => (await outline(page)).slice(3, 6), [
		'7:   ▾ Inner (2.0 s)',
		'8:     inner line',
		'11: ▾ Run tests (3.0 s)',
	], 'nested: opened from the keyboard, two deep');
	await page.click('#rows .row[data-line="14"] .fold');
	await isSoon(async () => (await outline(page)).slice(7, 9), [
		'14: ▸ Lint (2.0 s)', '17: ▸ :docker: Build image (1.0 s)'],
	    'an open section folds on a click');

	/* A permalink into a folded section opens it. */
	await page.goto(BASE + '/#/tasks/secs/L3');
	await isSoon(() => page.$$eval('#rows .row.sel .msg',
	    (m) => m.map((e) => e.textContent)), ['added 100 packages'],
	    'permalink: a line inside a folded section is shown');
	is((await outline(page)).slice(0, 3), ['1: ▾ Install deps (3.0 s)',
	    '2:   npm ci', '3:   added 100 packages'],
	    'permalink: its section opened');

	/* A filtered view has no sections, and still no marker as text. */
	await page.goto(BASE + '/#/tasks/secs?source=stdout');
	await isSoon(async () => (await outline(page)).slice(0, 6), [
		'1: · Install deps ()', '2: npm ci', '3: added 100 packages',
		'4: end of section', '5: · Build the app ()', '6: compiling'],
	    'filtered: titles and ends of sections, not their markers');
	is((await outline(page)).slice(-4), ['21: · Deploy ()',
	    '22: section opened', '23: deploying', '24: done'],
	    'filtered: a Buildkite expand');

	/* The stored records are as written. */
	const stored = (await getJson('/api/v1/tasks/secs/logs?size=100'))
	    .content.map((r) => r.message);
	is(stored, MSGS, 'stored records unchanged');
	const shown = (await outline(page)).join('\n');
	ok(!/::group::|::endgroup::|section_(start|end)|\^\^\^/.test(shown),
	    'no marker shown as text');

	is(errors, [], 'no script error');
}

run(main);
