// `polarity-server/engine`: the scoring engines as a library. Pure and synchronous: no I/O, no
// shared mutable state, nothing to set up; importing it loads the lexicons once.
//
//   import { score, scoreExplained, analyze } from 'polarity-server/engine';
//   score('What a great day :)', 'vader');   // { sentiment, subjectivity, label, engine, ... }
//   analyze('I love it');                    // TextBlob 0.18's own { polarity, subjectivity, assessments }
export {
  DEFAULT_ENGINE,
  ENGINE_NAMES,
  isEngineName,
  labelOf,
  score,
  scoreExplained,
  scoreSentences,
  type EngineName,
  type Explanation,
  type Label,
  type Score,
  type SentenceScore,
  type WordValence,
} from '../engine/engines.js';
export {
  analyze,
  explain,
  splitSentences,
  tokenize,
  type Analysis,
  type Assessment,
  type AssessmentLabel,
  type ExplainedAnalysis,
  type SentenceSpan,
  type SpannedAssessment,
} from '../engine/index.js';
export { VERSION } from '../version.js';
