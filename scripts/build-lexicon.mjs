#!/usr/bin/env node
// Regenerates src/engine/lexicon-data.ts from pattern's en-sentiment.xml.
//
//   cd /tmp && apt-get download python3-pattern && dpkg-deb -x python3-pattern_*.deb /tmp/pattern
//   node scripts/build-lexicon.mjs [path/to/en-sentiment.xml]
//
// It reproduces what TextBlob 0.18 does with that file when it first scores a text:
//  1. textblob/_text.py Sentiment.load: every <word> element (no confidence filter: TextBlob's
//     Sentiment.__init__ sets _confidence = None whatever it is given) is grouped by form, then by
//     pos; the senses of one (form, pos) are averaged column by column (polarity, subjectivity,
//     intensity), then the per-pos averages are averaged again into the pos-less entry, which is the
//     only one TextBlob's PatternAnalyzer ever looks up (it tags every word with pos None).
//     Averages are Python's sum(list) / len(list): a naive left-to-right float sum (CPython <= 3.11,
//     the interpreter that produced the reference corpus; 3.12's compensated sum differs in the last
//     bit for 18 averages).
//  2. the form's `label` attribute (the last one seen wins) becomes the assessment label.
//  3. textblob/en/__init__.py Sentiment.load: for every form with a JJ sense, in file order, the
//     adverb form+"ly" ("-y" -> "-i", "-le" dropped) is set to the JJ average with pos RB, replacing
//     any pos-less average the adverb already had (Sentiment.annotate).
// A word is a modifier (intensifier) when it has an RB sense.
// Forms containing whitespace are dropped: TextBlob keeps them but its tokens never contain spaces.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_XML = '/tmp/pattern/usr/lib/python3/dist-packages/pattern/text/en/en-sentiment.xml';
const xmlPath = process.argv[2] ?? DEFAULT_XML;
const outPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'engine', 'lexicon-data.ts');

const xml = readFileSync(xmlPath, 'utf8');

/** Decodes the XML entities that ElementTree would decode in an attribute value. */
function decodeEntities(v) {
  return v.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e];
  });
}

// The file is flat: <sentiment ...> holding self-closing <word .../> elements and comments.
// Refuse anything else rather than parse it wrongly.
const body = xml.replace(/<!--[\s\S]*?-->/g, '');
const words = [];
const wordRe = /<word\s([^>]*?)\/>/g;
for (const m of body.matchAll(wordRe)) {
  const attrs = {};
  for (const a of m[1].matchAll(/([\w:-]+)="([^"]*)"/g)) {
    if (/[\t\n\r]/.test(a[2])) throw new Error(`attribute needing XML normalisation: ${a[0]}`);
    attrs[a[1]] = decodeEntities(a[2]);
  }
  words.push(attrs);
}
// Character data between elements (the file has two stray ">" after </word>) is ignored, as
// ElementTree does; any other markup is an error.
const others = body.replace(wordRe, '').replace(/<\?xml[^>]*\?>|<\/?sentiment[^>]*>/g, '');
if (others.includes('<')) throw new Error(`unexpected XML markup: ${others.slice(others.indexOf('<'), 200)}`);
if (words.length === 0) throw new Error('no <word> elements found');

/** Python's sum(list) / float(len(list) or 1): naive left-to-right sum. */
function avg(list) {
  let s = 0;
  for (const x of list) s += x;
  return s / (list.length || 1);
}
/** Column-wise average of [p, s, i] triples: [avg(each) for each in zip(*psi)]. */
function avgColumns(rows) {
  return [0, 1, 2].map((k) => avg(rows.map((r) => r[k])));
}

// form -> Map(pos -> [[p, s, i], ...]); Maps keep insertion order like Python dicts.
const byForm = new Map();
const labels = new Map();
for (const w of words) {
  const form = w.form;
  const psi = [Number(w.polarity ?? 0), Number(w.subjectivity ?? 0), Number(w.intensity ?? 1)];
  if (psi.some((x) => !Number.isFinite(x))) throw new Error(`bad number in ${JSON.stringify(w)}`);
  if (form) {
    if (!byForm.has(form)) byForm.set(form, new Map());
    const poses = byForm.get(form);
    const pos = w.pos ?? null;
    if (!poses.has(pos)) poses.set(pos, []);
    poses.get(pos).push(psi);
    if (w.label) labels.set(form, w.label);
  }
}

// form -> Map(pos -> [p, s, i]) with the pos-less (null) average.
const lexicon = new Map();
for (const [form, poses] of byForm) {
  const perPos = new Map();
  for (const [pos, rows] of poses) perPos.set(pos, avgColumns(rows));
  // Python evaluates zip(*pos.values()) over the per-pos averages (including a pos-less one, if the
  // XML had a word without pos) before assigning the None entry.
  const all = avgColumns([...perPos.values()]);
  perPos.set(null, all);
  lexicon.set(form, perPos);
}
// textblob/en/__init__.py: "-ly" adverbs from adjectives, iterating over a snapshot in file order.
for (const [form, perPos] of [...lexicon]) {
  const jj = perPos.get('JJ');
  if (!jj) continue;
  let w = form;
  if (w.endsWith('y')) w = w.slice(0, -1) + 'i';
  if (w.endsWith('le')) w = w.slice(0, -2);
  const adverb = w + 'ly';
  if (!lexicon.has(adverb)) lexicon.set(adverb, new Map());
  const target = lexicon.get(adverb);
  target.set('RB', jj);
  target.set(null, jj);
}

// Python's str.isspace() set: TextBlob's tokens never contain one of these.
const PY_SPACE = /[\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const rows = [];
for (const [form, perPos] of lexicon) {
  if (PY_SPACE.test(form)) continue;
  const [p, s, i] = perPos.get(null);
  rows.push([form, p, s, i, perPos.has('RB') ? 1 : 0, labels.get(form) ?? null]);
}

const sha = createHash('sha256').update(readFileSync(xmlPath)).digest('hex');
const out = `// GENERATED by scripts/build-lexicon.mjs from pattern's en-sentiment.xml — do not edit.
// Source: Debian python3-pattern 2.6+git20180818, pattern/text/en/en-sentiment.xml
// sha256 ${sha}
// Licence: see LEXICON-LICENSE beside this file.
// Each row: [form, polarity, subjectivity, intensity, isModifier (has an RB sense), label].
// Values are TextBlob 0.18's pos-less averages (see scripts/build-lexicon.mjs).

export type LexiconRow = readonly [form: string, polarity: number, subjectivity: number, intensity: number, modifier: 0 | 1, label: string | null];

export const LEXICON_ROWS: readonly LexiconRow[] = [
${rows.map((r) => '  ' + JSON.stringify(r) + ',').join('\n')}
];
`;
writeFileSync(outPath, out);
console.log(`wrote ${rows.length} entries to ${outPath} (${words.length} <word> elements, sha256 ${sha.slice(0, 12)}…)`);
