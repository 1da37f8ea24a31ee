/**
 * VADER's constants and word lists, as vaderSentiment/vaderSentiment.py (cjhutto/vaderSentiment
 * at 44fc044) defines them at module level. Values are facts of the original, used with
 * attribution (MIT, see LICENSE); the tables are frozen.
 */
import { freezeMap } from '../readonly-map.js';

/** Empirical mean increase of a booster word ("very") and decrease of a dampener ("barely"). */
export const B_INCR = 0.293;
export const B_DECR = -0.293;
/** Empirical increase for a word in ALL CAPS among words that are not. */
export const C_INCR = 0.733;
/** A negated word's valence is multiplied by this. */
export const N_SCALAR = -0.74;
/** normalize()'s alpha: compound = sum / sqrt(sum² + alpha). */
export const ALPHA = 15;

/** NEGATE (and NEGATE_SET): `negated()` is true for these words, or any word containing "n't". */
export const NEGATE: readonly string[] = Object.freeze([
  'aint',
  'arent',
  'cannot',
  'cant',
  'couldnt',
  'darent',
  'didnt',
  'doesnt',
  "ain't",
  "aren't",
  "can't",
  "couldn't",
  "daren't",
  "didn't",
  "doesn't",
  'dont',
  'hadnt',
  'hasnt',
  'havent',
  'isnt',
  'mightnt',
  'mustnt',
  'neither',
  "don't",
  "hadn't",
  "hasn't",
  "haven't",
  "isn't",
  "mightn't",
  "mustn't",
  'neednt',
  "needn't",
  'never',
  'none',
  'nope',
  'nor',
  'not',
  'nothing',
  'nowhere',
  'oughtnt',
  'shant',
  'shouldnt',
  'uhuh',
  'wasnt',
  'werent',
  "oughtn't",
  "shan't",
  "shouldn't",
  'uh-uh',
  "wasn't",
  "weren't",
  'without',
  'wont',
  'wouldnt',
  "won't",
  "wouldn't",
  'rarely',
  'seldom',
  'despite',
]);

const up = (words: string): [string, number][] => words.split(',').map((w) => [w, B_INCR]);
const down = (words: string): [string, number][] => words.split(',').map((w) => [w, B_DECR]);

/**
 * BOOSTER_DICT: degree adverbs and their scalar. The multi-word keys ("kind of", "sort of",
 * "just enough") only ever match in _special_idioms_check's n-grams, never as one token.
 */
export const BOOSTER: ReadonlyMap<string, number> = freezeMap(
  new Map([
    ...up(
      'absolutely,amazingly,awfully,completely,considerable,considerably,decidedly,deeply,effing,' +
        'enormous,enormously,entirely,especially,exceptional,exceptionally,extreme,extremely,fabulously,' +
        'flipping,flippin,frackin,fracking,fricking,frickin,frigging,friggin,fully,fuckin,fucking,fuggin,' +
        'fugging,greatly,hella,highly,hugely,incredible,incredibly,intensely,major,majorly,more,most,' +
        'particularly,purely,quite,really,remarkably,so,substantially,thoroughly,total,totally,tremendous,' +
        'tremendously,uber,unbelievably,unusually,utter,utterly,very',
    ),
    ...down(
      'almost,barely,hardly,just enough,kind of,kinda,kindof,kind-of,less,little,marginal,marginally,' +
        'occasional,occasionally,partly,scarce,scarcely,slight,slightly,somewhat,sort of,sorta,sortof,sort-of',
    ),
  ]),
);

/**
 * SPECIAL_CASES: idioms whose valence replaces the word's own (checked in _special_idioms_check,
 * for the words around a lexicon word). "badass" has no space, so it never matches there (it is
 * an ordinary lexicon word). SENTIMENT_LADEN_IDIOMS is "future work" in the original and unused.
 */
export const SPECIAL_CASES: ReadonlyMap<string, number> = freezeMap(
  new Map([
    ['the shit', 3],
    ['the bomb', 3],
    ['bad ass', 1.5],
    ['badass', 1.5],
    ['bus stop', 0.0],
    ['yeah right', -2],
    ['kiss of death', -1.5],
    ['to die for', 3],
    ['beating heart', 3.1],
    ['broken heart', -2.9],
  ]),
);

/**
 * The single words the rules compare tokens with (lower-cased): "no" before a lexicon word,
 * "kind of", "never so/this", "without doubt", "least" (not after "at"/"very"), the first "but".
 */
export const RULE_WORDS = Object.freeze({
  no: 'no',
  or: 'or',
  nor: 'nor',
  kind: 'kind',
  of: 'of',
  never: 'never',
  so: 'so',
  this: 'this',
  without: 'without',
  doubt: 'doubt',
  least: 'least',
  at: 'at',
  very: 'very',
  but: 'but',
} as const);

/** _amplify_ep: each "!" adds 0.292, at most 4 count. */
export const EP_STEP = 0.292;
export const EP_MAX = 4;
/** _amplify_qm: 2 or 3 "?" add 0.18 each; more add 0.96 in all; one adds nothing. */
export const QM_STEP = 0.18;
export const QM_MAX = 0.96;
