// ansi.js: render text carrying ANSI SGR escapes (colours, bold, ...) as
// DOM nodes.  Text is only ever put in text nodes; other control sequences
// (cursor movement, OSC titles) are dropped.

// CSI ... final byte, OSC ... BEL/ST, or a two-byte escape (ESC 7, ESC c).
const ESC_RE = /\x1b(?:\[([0-9;:?<=>]*)[ -\/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[0-9=>@-Z\\^_`a-~])/g;

const CUBE = [0, 95, 135, 175, 215, 255];

function colour256(n) {
	if (n < 16)
		return { cls: n };
	if (n < 232) {
		n -= 16;
		const r = CUBE[Math.floor(n / 36)], g = CUBE[Math.floor(n / 6) % 6],
		    b = CUBE[n % 6];
		return { rgb: `rgb(${r},${g},${b})` };
	}
	const v = 8 + 10 * (n - 232);
	return { rgb: `rgb(${v},${v},${v})` };
}

function fresh() {
	return { fg: null, bg: null, bold: false, dim: false, italic: false,
	    underline: false, strike: false, inverse: false };
}

function plain(st) {
	return st.fg === null && st.bg === null && !st.bold && !st.dim &&
	    !st.italic && !st.underline && !st.strike && !st.inverse;
}

// Read an extended colour (38;5;n or 38;2;r;g;b) starting at p[i].
function extended(p, i) {
	if (p[i + 1] === 5 && i + 2 < p.length)
		return { c: colour256(p[i + 2] & 255), skip: 2 };
	if (p[i + 1] === 2 && i + 4 < p.length) {
		const [r, g, b] = [p[i + 2], p[i + 3], p[i + 4]].map((x) => x & 255);
		return { c: { rgb: `rgb(${r},${g},${b})` }, skip: 4 };
	}
	return { c: null, skip: p.length };
}

function sgr(st, params) {
	const p = params === '' ? [0] :
	    params.split(/[;:]/).map((x) => (x === '' ? 0 : Number(x)));
	for (let i = 0; i < p.length; i++) {
		const n = p[i];
		if (n === 0)
			Object.assign(st, fresh());
		else if (n === 1)
			st.bold = true;
		else if (n === 2)
			st.dim = true;
		else if (n === 3)
			st.italic = true;
		else if (n === 4)
			st.underline = true;
		else if (n === 7)
			st.inverse = true;
		else if (n === 9)
			st.strike = true;
		else if (n === 22)
			st.bold = st.dim = false;
		else if (n === 23)
			st.italic = false;
		else if (n === 24)
			st.underline = false;
		else if (n === 27)
			st.inverse = false;
		else if (n === 29)
			st.strike = false;
		else if (n >= 30 && n <= 37)
			st.fg = { cls: n - 30 };
		else if (n >= 90 && n <= 97)
			st.fg = { cls: n - 90 + 8 };
		else if (n === 39)
			st.fg = null;
		else if (n >= 40 && n <= 47)
			st.bg = { cls: n - 40 };
		else if (n >= 100 && n <= 107)
			st.bg = { cls: n - 100 + 8 };
		else if (n === 49)
			st.bg = null;
		else if (n === 38 || n === 48) {
			const e = extended(p, i);
			if (n === 38)
				st.fg = e.c;
			else
				st.bg = e.c;
			i += e.skip;
		}
	}
}

function styled(text, st) {
	if (plain(st))
		return document.createTextNode(text);
	const s = document.createElement('span');
	let fg = st.fg, bg = st.bg;
	if (st.inverse) {
		[fg, bg] = [bg, fg];
		s.classList.add('a-inv');
	}
	if (fg)
		fg.rgb ? (s.style.color = fg.rgb) : s.classList.add('a-f' + fg.cls);
	if (bg)
		bg.rgb ? (s.style.backgroundColor = bg.rgb) :
		    s.classList.add('a-b' + bg.cls);
	if (st.bold)
		s.classList.add('a-bold');
	if (st.dim)
		s.classList.add('a-dim');
	if (st.italic)
		s.classList.add('a-it');
	if (st.underline)
		s.classList.add('a-ul');
	if (st.strike)
		s.classList.add('a-st');
	s.textContent = text;
	return s;
}

// Append the rendering of text to parent.
export function appendAnsi(parent, text) {
	if (text.indexOf('\x1b') < 0) {
		parent.append(text);
		return;
	}
	const st = fresh();
	let last = 0, m;
	ESC_RE.lastIndex = 0;
	while ((m = ESC_RE.exec(text)) !== null) {
		if (m.index > last)
			parent.append(styled(text.slice(last, m.index), st));
		if (m[2] === 'm')
			sgr(st, m[1] || '');
		last = ESC_RE.lastIndex;
	}
	if (last < text.length)
		parent.append(styled(text.slice(last), st));
}

// The text without any escape sequence (for search and copying).
export function stripAnsi(text) {
	return text.indexOf('\x1b') < 0 ? text : text.replace(ESC_RE, '');
}
