// Minimal types for the npm sentiment libraries that bench/accuracy.ts compares with (they ship
// none): only what the benchmark calls. `natural` ships its own.
declare module 'sentiment' {
  interface AnalysisResult {
    score: number;
    comparative: number;
  }
  class Sentiment {
    analyze(phrase: string): AnalysisResult;
  }
  export = Sentiment;
}

declare module 'vader-sentiment' {
  const vader: {
    SentimentIntensityAnalyzer: {
      polarity_scores(text: string): { neg: number; neu: number; pos: number; compound: number };
    };
  };
  export = vader;
}

declare module 'wink-sentiment' {
  function sentiment(phrase: string): { score: number; normalizedScore: number };
  export = sentiment;
}
