/**
 * The preference core: the gold score, the simulated annotator, rankings expanded into pairs, and
 * agreement statistics. Expected values are derived by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { generateStories } from '../../src/core/data/storyCorpus.ts';
import { agreementReport, cohenKappa, codePreferences, krippendorffAlpha } from '../../src/core/preferences/agreement.ts';
import { afinnValence, describeGoldSpec, goldFeatures, goldPrefers, goldScore, HAPPY_ENDING_SPEC, promptTopic, sentences } from '../../src/core/preferences/goldScore.ts';
import { abRanking, isValidRanking, rankingFromPairs, rankingFromRanks, rankingPairs, toPairs } from '../../src/core/preferences/ranking.ts';
import { DEFAULT_ANNOTATOR, simulateJudgement, simulatedAnnotatorName, type AnnotatorSpec } from '../../src/core/preferences/simulatedAnnotator.ts';
import { Rng } from '../../src/core/rng.ts';

const CAT = 'Write a story about a cat.\n';
const HAPPY = 'Tom lost his ball. Tom smiled and was happy again.';
const SAD = 'Tom lost his ball. Sue cried.';

describe('gold score', () => {
  it('scores the ending with AFINN-165, squashed by tanh(sum / 3)', () => {
    // Last sentence "Tom smiled and was happy again.": smiled +2, happy +3 = 5 -> tanh(5/3) = 0.93110.
    expect(goldScore(CAT, HAPPY)).toBeCloseTo(Math.tanh(5 / 3), 10);
    expect(goldScore(CAT, HAPPY)).toBeCloseTo(0.9311, 4);
    // "Sue cried.": Sue starts the sentence, so it counts (-2 in AFINN), cried -2 = -4 -> tanh(-4/3) = -0.87006.
    expect(goldScore(CAT, SAD)).toBeCloseTo(-0.87006, 4);
    // A capitalised word inside a sentence is a name and is skipped: "Then Sue was happy." = happy +3 only.
    expect(afinnValence('Then Sue was happy.')).toBe(3);
    // Only the last sentence counts: the earlier "lost" (-3) does not.
    expect(sentences(HAPPY)).toEqual(['Tom lost his ball.', 'Tom smiled and was happy again.']);
    // A trailing fragment (a cut-off completion) is the last "sentence".
    expect(sentences('He was sad. Then he')).toEqual(['He was sad.', 'Then he']);
  });

  it('on topic: the animal the prompt names appears; length: closeness to the target', () => {
    expect(promptTopic(CAT)).toBe('cat');
    expect(promptTopic('Tell me about an owl.')).toBe('owl');
    expect(promptTopic('Once upon a time,')).toBeNull();
    expect(goldFeatures(CAT, 'The cats played.').on_topic).toBe(1);
    expect(goldFeatures(CAT, 'The dog played.').on_topic).toBe(0);
    expect(goldFeatures('Once upon a time,', 'The dog played.').on_topic).toBe(1);
    // 30 words against a target of 40: 1 - |30 - 40| / 40 = 0.75; 100 words: 1 - 60/40 < 0 -> 0.
    expect(goldFeatures(CAT, 'word '.repeat(30)).length).toBeCloseTo(0.75, 10);
    expect(goldFeatures(CAT, 'word '.repeat(100)).length).toBe(0);
  });

  it('weights the features as the spec says', () => {
    const spec = { ...HAPPY_ENDING_SPEC, weights: { happy_ending: 1, on_topic: 0.5, length: 2 } };
    // "The cat was happy.": happy +3 -> tanh(1) = 0.76159; on topic 1; 4 words -> 1 - 36/40 = 0.1.
    // 0.76159 + 0.5 * 1 + 2 * 0.1 = 1.46159.
    expect(goldScore(CAT, 'The cat was happy.', spec)).toBeCloseTo(Math.tanh(1) + 0.5 + 0.2, 10);
  });

  it('prefers the happy ending; two happy endings within tie_margin are a tie', () => {
    expect(goldPrefers(CAT, HAPPY, SAD)).toBe('a');
    expect(goldPrefers(CAT, SAD, HAPPY)).toBe('b');
    // tanh(5/3) - tanh(4/3) = 0.9311 - 0.8701 = 0.061 < 0.25.
    expect(goldPrefers(CAT, HAPPY, 'He smiled and was glad.')).toBe('tie');
  });

  it('agrees with the ending attribute on every built-in story', () => {
    const stories = generateStories(2000, 11);
    const wrong = stories.filter((s) => (goldScore(CAT, s.text) > 0) !== (s.attributes.ending === 'happy'));
    expect(wrong).toEqual([]);
  });
});

describe('simulated annotator', () => {
  const spec = (patch: Partial<AnnotatorSpec>): AnnotatorSpec => ({ ...DEFAULT_ANNOTATOR, ...patch });

  it('is clearly named as simulated', () => {
    expect(simulatedAnnotatorName(DEFAULT_ANNOTATOR)).toBe('simulated (happy ending)');
    expect(simulatedAnnotatorName(spec({ noise: { kind: 'flip', rate: 0.1 }, prefer_longer: 0.2 }))).toBe('simulated (happy ending, flip 0.1, prefers longer)');
  });

  it('noise-free, it ranks by the gold score and ties near-equal completions', () => {
    const rng = new Rng(1);
    expect(simulateJudgement(CAT, [SAD, HAPPY], DEFAULT_ANNOTATOR, rng).ranking).toEqual([[1], [0]]);
    // Scores: HAPPY 0.931, "glad" 0.762, SAD -0.870: the two happy ones differ by 0.17 < 0.25 -> one group.
    expect(simulateJudgement(CAT, [SAD, HAPPY, 'He was glad.'], DEFAULT_ANNOTATOR, rng).ranking).toEqual([[1, 2], [0]]);
  });

  it('Bradley-Terry noise: P(a over b) = sigmoid((s_a - s_b) / T)', () => {
    // s_HAPPY - s_SAD = tanh(5/3) + tanh(4/3) = 1.80116; T = 1 -> sigmoid(1.80116) = 0.85827.
    const expected = 1 / (1 + Math.exp(-(Math.tanh(5 / 3) + Math.tanh(4 / 3))));
    const rng = new Rng(7);
    const n = 4000;
    let happyWins = 0;
    for (let i = 0; i < n; i++) {
      if (simulateJudgement(CAT, [HAPPY, SAD], spec({ noise: { kind: 'bradley_terry', temperature: 1 } }), rng).ranking[0][0] === 0) happyWins++;
    }
    // Binomial standard error sqrt(0.858 * 0.142 / 4000) = 0.0055; allow ~4 of them.
    expect(Math.abs(happyWins / n - expected)).toBeLessThan(0.022);
  });

  it('a flip rate flips that share of choices; a length bias prefers the longer completion', () => {
    const rng = new Rng(3);
    let flipped = 0;
    for (let i = 0; i < 4000; i++) {
      if (simulateJudgement(CAT, [HAPPY, SAD], spec({ noise: { kind: 'flip', rate: 0.2 } }), rng).ranking[0][0] === 1) flipped++;
    }
    expect(Math.abs(flipped / 4000 - 0.2)).toBeLessThan(0.025);
    // No AFINN words: gold 0 each. 2 and 6 words with prefer_longer 0.2 per 10 words: 0.04 vs 0.12: a tie (< 0.25);
    // with 2 per 10 words: 0.4 vs 1.2 -> the longer wins.
    const short = 'A dog.';
    const long = 'A dog ran to the park.';
    expect(simulateJudgement(CAT, [short, long], spec({ prefer_longer: 0.2 }), rng).ranking).toEqual([[0, 1]]);
    expect(simulateJudgement(CAT, [short, long], spec({ prefer_longer: 2 }), rng).ranking).toEqual([[1], [0]]);
  });

  it('records its perceived scores as margins when asked', () => {
    const judged = simulateJudgement(CAT, [HAPPY, SAD], spec({ record_margin: true }), new Rng(1));
    const pairs = toPairs({ prompt: CAT, completions: [HAPPY, SAD], ranking: judged.ranking, scores: judged.scores });
    expect(pairs).toHaveLength(1);
    expect(pairs[0].margin).toBeCloseTo(Math.tanh(5 / 3) + Math.tanh(4 / 3), 10);
  });
});

describe('rankings and pairs', () => {
  it('A/B choices follow the recorded display order', () => {
    // Shown order [1, 0]: A is completion 1, B is completion 0.
    expect(abRanking('a', [1, 0])).toEqual([[1], [0]]);
    expect(abRanking('b', [1, 0])).toEqual([[0], [1]]);
    expect(abRanking('tie', [1, 0])).toEqual([[1, 0]]);
    expect(abRanking('discard', [1, 0])).toEqual([]);
    // Ranks by display position [2, 1, 2] over order [2, 0, 1]: position 1 (completion 0) best, then 2 and 1 tied.
    expect(rankingFromRanks([2, 1, 2], [2, 0, 1])).toEqual([[0], [1, 2]]);
  });

  it('expands a ranking into every ordered pair; ties and discards give none', () => {
    // 4 completions fully ranked: 4 * 3 / 2 = 6 pairs.
    expect(rankingPairs([[2], [0], [3], [1]])).toEqual([[2, 0], [2, 3], [2, 1], [0, 3], [0, 1], [3, 1]]);
    // 2 > {0 = 1} > 3: 2 beats 0, 1, 3; 0 and 1 beat 3; 0 vs 1 is a tie: 5 pairs.
    expect(rankingPairs([[2], [0, 1], [3]])).toEqual([[2, 0], [2, 1], [2, 3], [0, 3], [1, 3]]);
    expect(rankingPairs([[0, 1]])).toEqual([]);
    expect(rankingPairs([])).toEqual([]);
    expect(isValidRanking([[0], [1, 2]], 3)).toBe(true);
    expect(isValidRanking([[0], [0, 2]], 3)).toBe(false);
    const pairs = toPairs({ prompt: 'p', completions: ['x', 'y', 'z'], ranking: [[2], [0], [1]], annotator: 'ann', scores: [3, 1, 5] });
    expect(pairs).toEqual([
      { prompt: 'p', chosen: 'z', rejected: 'x', margin: 2, annotator: 'ann' },
      { prompt: 'p', chosen: 'z', rejected: 'y', margin: 4, annotator: 'ann' },
      { prompt: 'p', chosen: 'x', rejected: 'y', margin: 2, annotator: 'ann' },
    ]);
  });

  it('recovers a ranking from its own pairs, and refuses pairs that are not one ranking', () => {
    expect(rankingFromPairs(rankingPairs([[2], [0, 1], [3]]), 4)).toEqual([[2], [0, 1], [3]]);
    // a > b and c > d are two separate judgements, not one ranking of four.
    expect(rankingFromPairs([[0, 1], [2, 3]], 4)).toBeNull();
  });
});

describe('agreement', () => {
  const coding = (values: string[]) => new Map(values.map((v, i) => [String(i), v] as [string, string]).filter(([, v]) => v !== '.'));

  it("Cohen's kappa", () => {
    // A: y y y y y y n n n n;  B: y y y y n n n n n y.
    // Agree on items 1-4 and 7-9: p_o = 7/10 = 0.7. A says y 6/10, n 4/10; B says y 5/10, n 5/10.
    // p_e = 0.6 * 0.5 + 0.4 * 0.5 = 0.5.  kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    const r = cohenKappa(coding('yyyyyynnnn'.split('')), coding('yyyynnnnny'.split('')));
    expect(r.items).toBe(10);
    expect(r.kappa).toBeCloseTo(0.4, 12);
    // Perfect agreement: 1. Only shared items count: B has no item 9 -> 9 items.
    expect(cohenKappa(coding('yyn'.split('')), coding('yyn'.split(''))).kappa).toBe(1);
    expect(cohenKappa(coding('yyyyyynnnn'.split('')), coding('yyyynnnnn.'.split(''))).items).toBe(9);
    // One category only: p_e = 1, kappa undefined.
    expect(cohenKappa(coding(['y', 'y']), coding(['y', 'y'])).kappa).toBeNaN();
  });

  it("Krippendorff's alpha (nominal), with missing values", () => {
    // Units: u1 = {a, a, a}, u2 = {a, b} (third coder missing), u3 = {b, b, b}, u4 = {a} (not pairable).
    // u1: 6 ordered a-a pairs / (3 - 1) = 3;  u2: a-b and b-a, 1 each / (2 - 1);  u3: b-b 3.
    // o_aa = 3, o_ab = o_ba = 1, o_bb = 3;  n_a = 4, n_b = 4, n = 8.
    // alpha = 1 - (n - 1) * (o_ab + o_ba) / (n_a n_b + n_b n_a) = 1 - 7 * 2 / 32 = 0.5625.
    const r = krippendorffAlpha([coding(['a', 'a', 'b', 'a']), coding(['a', 'b', 'b', '.']), coding(['a', '.', 'b', '.'])]);
    expect(r.alpha).toBeCloseTo(0.5625, 12);
    expect(r.pairable).toBe(8);
    // Krippendorff's (2011) published nominal example: 4 coders, 12 units, missing data: alpha = 0.743.
    const k = krippendorffAlpha([
      coding('1 2 3 3 2 1 4 1 2 . . .'.split(' ')),
      coding('1 2 3 3 2 2 4 1 2 5 . 3'.split(' ')),
      coding('. 3 3 3 2 3 4 2 2 5 1 .'.split(' ')),
      coding('1 2 3 3 2 4 4 1 2 5 1 .'.split(' ')),
    ]);
    expect(k.alpha).toBeCloseTo(0.743, 3);
  });

  it('codes preference labels per pair of completions; discards are missing', () => {
    const coded = codePreferences([
      { comparisonId: 7, k: 2, ranking: [[1], [0]] },
      { comparisonId: 8, k: 3, ranking: [[2], [0, 1]] },
      { comparisonId: 9, k: 2, ranking: [] },
    ]);
    expect([...coded]).toEqual([['7:0-1', '1'], ['8:0-1', 'tie'], ['8:0-2', '2'], ['8:1-2', '2']]);
  });
});

describe('agreement report', () => {
  it('gives kappa for each pair of annotators and alpha over all', () => {
    const l = (annotator: string, comparisonId: number, winner: number) => ({ annotator, simulated: annotator === 'sim', comparisonId, k: 2, ranking: [[winner], [1 - winner]] });
    // ann and sim agree on comparisons 1, 2 (0 won) and 3 (1 won): kappa 1. bob labeled 1 only, differently.
    const report = agreementReport([l('ann', 1, 0), l('ann', 2, 0), l('ann', 3, 1), l('sim', 1, 0), l('sim', 2, 0), l('sim', 3, 1), l('bob', 1, 1)]);
    expect(report.annotators).toEqual([{ name: 'ann', simulated: false, labels: 3 }, { name: 'bob', simulated: false, labels: 1 }, { name: 'sim', simulated: true, labels: 3 }]);
    expect(report.kappas.find((k) => k.a === 'ann' && k.b === 'sim')).toEqual({ a: 'ann', b: 'sim', kappa: 1, items: 3 });
    // bob vs ann on one item, categories '1' vs '0': p_o = 0, p_e = 0 -> kappa = 0.
    expect(report.kappas.find((k) => k.a === 'ann' && k.b === 'bob')).toEqual({ a: 'ann', b: 'bob', kappa: 0, items: 1 });
    // Units: c1 = {0, 0, 1}, c2 = {0, 0}, c3 = {1, 1}.
    // c1: 0-0 pairs 2 / 2 = 1; 0-1 and 1-0: 2 each / 2 = 1 each. c2: o_00 += 2. c3: o_11 += 2.
    // o_00 = 3, o_01 = o_10 = 1, o_11 = 2; n_0 = 4, n_1 = 3, n = 7.
    // alpha = 1 - 6 * 2 / (4 * 3 * 2) = 1 - 12 / 24 = 0.5.
    expect(report.alpha).toBeCloseTo(0.5, 12);
  });
});

describe('describeGoldSpec', () => {
  it('names the features a gold spec weighs, in words', () => {
    expect(describeGoldSpec(HAPPY_ENDING_SPEC)).toBe('happy ending');
    expect(describeGoldSpec({ ...HAPPY_ENDING_SPEC, weights: { happy_ending: 1, on_topic: 0.5, length: 0.2 } })).toBe('happy ending + on topic + length 40 words');
    expect(describeGoldSpec({ ...HAPPY_ENDING_SPEC, weights: { happy_ending: 0, on_topic: 0, length: 0 } })).toBe('no preference');
  });
});
