/** A class without a server: students' labels files, merged into one pool; versions; bad and hostile files. */
import { describe, expect, it } from 'vitest';
import {
  annotatorCounts,
  annotatorFromFileName,
  labelKey,
  LABELS_FORMAT_VERSION,
  labelsFileName,
  mergeClassFiles,
  readClassFile,
  toClassLabelsJsonl,
} from '../../src/core/preferences/classLabels.ts';
import { toTrlJsonl } from '../../src/core/preferences/exportFormats.ts';
import { parsePreferenceFile } from '../../src/core/preferences/importFormats.ts';
import type { PreferencePair } from '../../src/core/preferences/types.ts';

const pair = (i: number, happyWins = true): PreferencePair => {
  const happy = `The cat ${i} was happy.`;
  const sad = `The cat ${i} was sad.`;
  return { prompt: `Write a story about cat ${i}.\n`, chosen: happyWins ? happy : sad, rejected: happyWins ? sad : happy };
};
const file = (name: string, text: string) => ({ name, text });

describe('the labels file', () => {
  it('is TRL preference JSONL with the annotator and the version on every row', () => {
    const rows = toClassLabelsJsonl([pair(1), { ...pair(2), margin: 1 }], 'Ada').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[0]).toEqual({ prompt: 'Write a story about cat 1.\n', chosen: 'The cat 1 was happy.', rejected: 'The cat 1 was sad.', annotator: 'Ada', playground_version: LABELS_FORMAT_VERSION });
    expect(rows.every((r) => r.annotator === 'Ada' && r.playground_version === 2)).toBe(true);
    // Any TRL reader still reads it: the importer sees an ordinary TRL file.
    expect(parsePreferenceFile(toClassLabelsJsonl([pair(1)], 'Ada'), { annotator: 'x' }).format).toBe('trl');
  });

  it('reads back with its annotator', () => {
    const read = readClassFile('ada.jsonl', toClassLabelsJsonl([pair(1), pair(2)], 'Ada'));
    if ('error' in read) throw new Error(read.error);
    expect(read.version).toBe(2);
    expect(read.records.map((r) => r.labels[0].annotator)).toEqual(['Ada', 'Ada']);
    expect(read.records[0].completions).toEqual(['The cat 1 was happy.', 'The cat 1 was sad.']);
  });
});

describe('merging several files', () => {
  const ada = toClassLabelsJsonl([pair(1), pair(2), pair(3)], 'Ada');
  const bob = toClassLabelsJsonl([pair(1), pair(2, false)], 'Bob');

  it('keeps every annotator, and counts a repeated label once', () => {
    const pool = mergeClassFiles([file('ada.jsonl', ada), file('bob.jsonl', bob), file('ada again.jsonl', ada)]);
    expect(pool.refused).toEqual([]);
    expect(pool.accepted.map((f) => [f.name, f.labels, f.duplicates])).toEqual([['ada.jsonl', 3, 0], ['bob.jsonl', 2, 0], ['ada again.jsonl', 0, 3]]);
    expect(pool.records.length).toBe(5);
    const byAnnotator = annotatorCounts(pool.records.flatMap((r) => r.labels));
    expect(byAnnotator.map((c) => [c.annotator, c.labels])).toEqual([['Ada', 3], ['Bob', 2]]);
  });

  it('a label with the completions the other way round is the same label', () => {
    const swapped = toClassLabelsJsonl([pair(1, false)], 'Ada');
    const pool = mergeClassFiles([file('a.jsonl', ada), file('b.jsonl', swapped)]);
    expect(pool.accepted[1]).toMatchObject({ labels: 0, duplicates: 1 });
  });

  it('labels already in the pool are not added again', () => {
    const known = [labelKey('Ada', pair(1).prompt, [pair(1).rejected, pair(1).chosen])];
    const pool = mergeClassFiles([file('ada.jsonl', ada)], known);
    expect(pool.accepted[0]).toMatchObject({ labels: 2, duplicates: 1 });
  });

  it('repeated rows inside one file count once', () => {
    const twice = toClassLabelsJsonl([pair(1), pair(1)], 'Ada');
    const pool = mergeClassFiles([file('twice.jsonl', twice)]);
    expect(pool.accepted[0]).toMatchObject({ labels: 1, duplicates: 1 });
  });

  it('a file that cannot be read is refused whole, with its name and line; the others import', () => {
    const broken = ada.split('\n').slice(0, 2).join('\n') + '\n{"prompt": "x", "chosen": \n' + ada.split('\n')[2] + '\n';
    const pool = mergeClassFiles([file('ada.jsonl', ada), file('carl.jsonl', broken), file('bob.jsonl', bob)]);
    expect(pool.accepted.map((f) => f.name)).toEqual(['ada.jsonl', 'bob.jsonl']);
    expect(pool.refused).toHaveLength(1);
    expect(pool.refused[0].name).toBe('carl.jsonl');
    expect(pool.refused[0].error).toMatch(/^carl\.jsonl, line 3: not valid JSON/);
    expect(pool.refused[0].error).toMatch(/Nothing was imported from carl\.jsonl/);
    // Nothing of carl's file is in the pool, not even its two good rows before the bad one.
    expect(pool.records.length).toBe(5);
  });

  it('a row with a missing column refuses the file with its line', () => {
    const bad = toClassLabelsJsonl([pair(1)], 'Dee') + JSON.stringify({ prompt: 'p', chosen: 'a', annotator: 'Dee', playground_version: 2 }) + '\n';
    const read = readClassFile('dee.jsonl', bad);
    expect('error' in read && read.error).toMatch(/^dee\.jsonl, line 2: no "rejected" field/);
  });

  it('per-annotator counts tell ties and discards apart', () => {
    const counts = annotatorCounts([
      { annotator: 'b', ranking: [[0], [1]] },
      { annotator: 'a', ranking: [[0, 1]] },
      { annotator: 'a', ranking: [] },
      { annotator: 'a', ranking: [[1], [0]] },
    ]);
    expect(counts).toEqual([
      { annotator: 'a', labels: 3, ties: 1, discards: 1 },
      { annotator: 'b', labels: 1, ties: 0, discards: 0 },
    ]);
  });
});

describe('versions', () => {
  it('version 1 (plain TRL JSONL, the earlier export) is migrated: the annotator column, else the file name', () => {
    const withColumn = toTrlJsonl([{ ...pair(1), annotator: 'Eve' }], { annotator: true });
    const read = readClassFile('old.jsonl', withColumn);
    if ('error' in read) throw new Error(read.error);
    expect(read.version).toBe(1);
    expect(read.records[0].labels[0].annotator).toBe('Eve');
    const plain = readClassFile('Fay.jsonl', toTrlJsonl([pair(1)]));
    if ('error' in plain) throw new Error(plain.error);
    expect(plain.records[0].labels[0].annotator).toBe('Fay');
    expect(annotatorFromFileName('class 3.labels.jsonl')).toBe('class 3.labels');
  });

  it('a newer version is refused, saying which version it is and what this one reads', () => {
    const newer = toClassLabelsJsonl([pair(1)], 'Ada').replace('"playground_version":2', '"playground_version":3');
    const read = readClassFile('future.jsonl', newer);
    expect('error' in read && read.error).toMatch(/future\.jsonl is a labels file of version 3, from a newer version of the playground; this version reads labels files of version 1 and 2/);
  });

  it('a version that is not a whole number, or versions mixed in one file, are refused', () => {
    const text = toClassLabelsJsonl([pair(1)], 'Ada').replace('"playground_version":2', '"playground_version":"2"');
    expect(readClassFile('s.jsonl', text)).toMatchObject({ error: expect.stringMatching(/s\.jsonl, line 1: "playground_version" must be a whole number/) });
    const mixed = toClassLabelsJsonl([pair(1)], 'Ada') + toTrlJsonl([pair(2)]);
    expect(readClassFile('m.jsonl', mixed)).toMatchObject({ error: expect.stringMatching(/m\.jsonl, line 2: version 1 after rows of version 2/) });
  });

  it('a version 2 row without an annotator is refused', () => {
    const text = JSON.stringify({ ...pair(1), playground_version: 2 }) + '\n';
    expect(readClassFile('n.jsonl', text)).toMatchObject({ error: expect.stringMatching(/n\.jsonl, line 1: a version 2 labels file names the annotator on every row/) });
  });
});

describe('hostile files', () => {
  it('a 10 MB line is refused without being parsed', () => {
    const huge = JSON.stringify({ ...pair(1), chosen: 'x'.repeat(10_000_000), annotator: 'Ada', playground_version: 2 });
    const read = readClassFile('huge.jsonl', toClassLabelsJsonl([pair(2)], 'Ada') + huge + '\n');
    expect('error' in read && read.error).toMatch(/^huge\.jsonl, line 2: the line is 10\.0 million characters long/);
  });

  it('__proto__ keys neither pollute objects nor stand in for columns', () => {
    const text = '{"__proto__": {"prompt": "p", "chosen": "a", "rejected": "b", "polluted": true}, "annotator": "Ada"}\n';
    const read = readClassFile('proto.jsonl', text);
    expect('error' in read && read.error).toMatch(/proto\.jsonl, line 1: no "prompt" text/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const ok = '{"prompt": "p", "chosen": "a", "rejected": "b", "annotator": "Ada", "__proto__": {"annotator": "Mallory"}}\n';
    const good = readClassFile('ok.jsonl', ok);
    if ('error' in good) throw new Error(good.error);
    expect(good.records[0].labels[0].annotator).toBe('Ada');
    expect(({} as Record<string, unknown>).annotator).toBeUndefined();
  });

  it('wrong types are refused with the line', () => {
    const cases: [string, RegExp][] = [
      ['{"prompt": 5, "chosen": "a", "rejected": "b"}', /line 1: no "prompt" text/],
      ['{"prompt": "p", "chosen": ["a"], "rejected": "b"}', /line 1: "chosen" must be text/],
      ['{"prompt": "p", "chosen": "a", "rejected": "b", "annotator": 7}', /line 1: "annotator" must be text/],
      ['{"prompt": "p", "chosen": "a", "rejected": "b", "margin": "big"}', /line 1: "margin" must be a number/],
      ['[1, 2, 3]', /line 1: not a JSON object/],
      ['"just text"', /line 1: not a JSON object/],
    ];
    for (const [text, message] of cases) expect(readClassFile('w.jsonl', text + '\n')).toMatchObject({ error: expect.stringMatching(message) });
  });

  it('an empty file, or one with only blank lines, holds no labels', () => {
    expect(readClassFile('e.jsonl', '\n\n')).toEqual({ name: 'e.jsonl', error: 'e.jsonl holds no labels.' });
  });
});

describe('labelsFileName', () => {
  it('names the file after the student, safe for any file system', () => {
    expect(labelsFileName('Ada')).toBe('Ada-labels.jsonl');
    expect(labelsFileName('  Bob  ')).toBe('Bob-labels.jsonl');
    expect(labelsFileName('Zoë / ../x')).toBe('Zo_.._x-labels.jsonl');
  });
});
