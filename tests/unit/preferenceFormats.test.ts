/** Preference files: TRL / KTO / CSV export, TRL / hh-rlhf / Argilla import, bad input, safe markdown. */
import { describe, expect, it } from 'vitest';
import { decodePreferenceFile, firstInvalidUtf8, sizeProblem } from '../../src/core/preferences/decodeFile.ts';
import { csvField, toCsv, toKtoJsonl, toTrlJsonl } from '../../src/core/preferences/exportFormats.ts';
import { listLines, parsePreferenceFile } from '../../src/core/preferences/importFormats.ts';
import { parseInline, parseMarkdown } from '../../src/core/preferences/markdown.ts';
import type { PreferencePair } from '../../src/core/preferences/types.ts';

const pairs: PreferencePair[] = [
  { prompt: 'Write a story about a cat.\n', chosen: 'She smiled.', rejected: 'She cried.', margin: 1.5, annotator: 'ann' },
  { prompt: 'Say "hi", please', chosen: 'hi,\nthere', rejected: 'no', margin: 0.5, annotator: 'bob' },
];

describe('export', () => {
  it("TRL JSONL: prompt, chosen, rejected, plus margin when every pair has one", () => {
    const lines = toTrlJsonl(pairs).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ prompt: 'Write a story about a cat.\n', chosen: 'She smiled.', rejected: 'She cried.', margin: 1.5 });
    const noMargin = toTrlJsonl([pairs[0], { ...pairs[1], margin: undefined }]).trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(noMargin[0])).toEqual(['prompt', 'chosen', 'rejected']);
    expect(JSON.parse(toTrlJsonl(pairs, { annotator: true }).split('\n')[1]).annotator).toBe('bob');
  });

  it('KTO: each pair unpaired into a true and a false row', () => {
    const rows = toKtoJsonl(pairs.slice(0, 1)).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { prompt: 'Write a story about a cat.\n', completion: 'She smiled.', label: true },
      { prompt: 'Write a story about a cat.\n', completion: 'She cried.', label: false },
    ]);
  });

  it('CSV quotes fields with commas, quotes or line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('He said "hi"')).toBe('"He said ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(toCsv(pairs)).toBe(
      'prompt,chosen,rejected,margin\r\n' +
        '"Write a story about a cat.\n",She smiled.,She cried.,1.5\r\n' +
        '"Say ""hi"", please","hi,\nthere",no,0.5\r\n',
    );
  });
});

describe('import', () => {
  it('round-trips TRL JSONL; names malformed lines and keeps the valid rest', () => {
    const text = toTrlJsonl(pairs, { annotator: true }).replace('\n', '\n{"prompt": broken\n');
    const report = parsePreferenceFile(text, { annotator: 'me' });
    expect(report.format).toBe('trl');
    expect(report.problems.map((p) => p.line)).toEqual([2]);
    expect(report.problems[0].message).toMatch(/not valid JSON/);
    expect(report.records.map((r) => r.line)).toEqual([1, 3]);
    expect(report.records[0]).toEqual({ line: 1, prompt: pairs[0].prompt, completions: ['She smiled.', 'She cried.'], labels: [{ annotator: 'ann', ranking: [[0], [1]], margin: 1.5 }] });
    expect(listLines(report.unit, [2, 5, 9])).toBe('lines 2, 5, 9');
  });

  it('refuses a whole file from another version of the playground, and reads versions 1 and 2', () => {
    const row = (v: unknown, i = 0) => JSON.stringify({ prompt: `p${i}`, chosen: 'a', rejected: 'b', annotator: 'Ada', playground_version: v });
    const newer = parsePreferenceFile([row(2, 0), row(3, 1)].join('\n'), { annotator: 'me' });
    expect(newer.error).toMatch(/^Line 2 is marked playground_version 3, from a newer version of the playground; this version reads labels files of version 1 and 2/);
    expect(newer.error).toMatch(/Nothing was imported\.$/);
    expect(newer.records).toEqual([]);
    expect(parsePreferenceFile(row('2'), { annotator: 'me' }).error).toMatch(/"playground_version" must be a whole number/);
    expect(parsePreferenceFile(`[${row(0)}]`, { annotator: 'me' }).error).toMatch(/^Record 1 is marked playground_version 0, from an unknown version/);
    const ok = parsePreferenceFile([row(1, 0), row(2, 1)].join('\n'), { annotator: 'me' });
    expect(ok.error).toBeUndefined();
    expect(ok.records).toHaveLength(2);
  });

  it('says which columns are missing and which names are accepted', () => {
    const misnamed = parsePreferenceFile('{"prompt": "p", "chosen_text": "a", "rejected_text": "b"}\n', { annotator: 'me' });
    expect(misnamed.error).toMatch(/Unrecognised columns on line 1: prompt, chosen_text, rejected_text/);
    expect(misnamed.error).toMatch(/"prompt", "chosen", "rejected"/);
    const oneBad = parsePreferenceFile('{"prompt": "p", "chosen": "a", "rejected": "b"}\n{"prompt": "q", "chosen": "a", "rejectd": "b"}\n{"prompt": " ", "chosen": "a", "rejected": "b"}\n', { annotator: 'me' });
    expect(oneBad.problems).toEqual([
      { line: 2, message: 'no "rejected" field (it has: prompt, chosen, rejectd; accepted: prompt, chosen, rejected, margin, annotator)' },
      { line: 3, message: 'empty prompt' },
    ]);
    expect(oneBad.records).toHaveLength(1);
  });

  it('skips duplicate records and says which', () => {
    const line = '{"prompt": "p", "chosen": "a", "rejected": "b"}\n';
    const report = parsePreferenceFile(line + line + '\n' + line, { annotator: 'me' });
    expect(report.records).toHaveLength(1);
    expect(report.duplicates).toEqual([2, 4]);
  });

  it('hh-rlhf: the shared dialogue up to the last Assistant turn is the prompt', () => {
    const prompt = '\n\nHuman: Tell me a story.\n\nAssistant: About what?\n\nHuman: A cat.\n\nAssistant:';
    const line = JSON.stringify({ chosen: prompt + ' The cat smiled.', rejected: prompt + ' The cat cried.' });
    const report = parsePreferenceFile(line, { annotator: 'me' });
    expect(report.format).toBe('hh-rlhf');
    expect(report.records[0]).toMatchObject({ prompt, completions: [' The cat smiled.', ' The cat cried.'], labels: [{ annotator: 'me', ranking: [[0], [1]] }] });
    const mismatch = JSON.stringify({ chosen: prompt + ' x', rejected: '\n\nHuman: Other.\n\nAssistant: y' });
    expect(parsePreferenceFile(line + '\n' + mismatch, { annotator: 'me' }).problems[0]).toMatchObject({ line: 2, message: expect.stringMatching(/do not share/) });
  });

  it('Argilla records: nested ranking, flat ranking, ratings (with margins), and unlabeled', () => {
    const nested = {
      fields: { prompt: 'p', 'response-1': 'x', 'response-2': 'y', 'response-3': 'z' },
      responses: [
        { user_id: 'ann', status: 'submitted', values: { ranking: { value: [{ value: 'response-3', rank: 1 }, { value: 'response-1', rank: 2 }, { value: 'response-2', rank: 2 }] } } },
        { user_id: 'bob', status: 'discarded', values: {} },
      ],
    };
    const flat = { prompt: 'q', reply_1: 'a', reply_2: 'b', ranking: [{ user_id: 'cy', value: [{ value: 'reply_2', rank: 1 }, { value: 'reply_1', rank: 2 }], status: 'submitted' }] };
    const rated = { fields: { instruction: 'r', 'response-1': 'a', 'response-2': 'b' }, responses: [{ user_id: 'dee', values: { 'rating-1': { value: 2 }, 'rating-2': { value: 5 } } }] };
    const unlabeled = { fields: { prompt: 's', 'response-1': 'a', 'response-2': 'b' }, responses: [] };
    const report = parsePreferenceFile(JSON.stringify([nested, flat, rated, unlabeled]), { annotator: 'me' });
    expect(report.format).toBe('argilla');
    expect(report.unit).toBe('record');
    expect(report.problems).toEqual([]);
    expect(report.records[0]).toMatchObject({ prompt: 'p', completions: ['x', 'y', 'z'], labels: [{ annotator: 'ann', ranking: [[2], [0, 1]] }] });
    expect(report.records[1]).toMatchObject({ prompt: 'q', completions: ['a', 'b'], labels: [{ annotator: 'cy', ranking: [[1], [0]] }] });
    expect(report.records[2]).toMatchObject({ prompt: 'r', labels: [{ annotator: 'dee', ranking: [[1], [0]], scores: [2, 5] }] });
    expect(report.records[3]).toMatchObject({ prompt: 's', labels: [] });
    const oneCompletion = parsePreferenceFile(JSON.stringify([{ fields: { prompt: 'p', 'response-1': 'x' }, responses: [] }]), { annotator: 'me' });
    expect(oneCompletion.problems[0].message).toMatch(/needs 2 to 4 completion fields/);
  });

  it('refuses non-UTF-8 bytes (naming the line), empty files and files over 100 MB', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"a": 1}\n{"b": "'), 0xff, 0x22, 0x7d]);
    // '{"a": 1}\n' is 9 bytes and '{"b": "' 7 more: the bad byte is at offset 16 (byte 17), on line 2.
    expect(firstInvalidUtf8(bytes)).toBe(16);
    expect(decodePreferenceFile('x.jsonl', bytes)).toEqual({ error: 'x.jsonl is not UTF-8 text: byte 17 (line 2) is not valid UTF-8. Save the file as UTF-8 and import it again.' });
    // Overlong encoding of '/' (0xC0 0xAF) and a lone surrogate (0xED 0xA0 0x80) are invalid too.
    expect(firstInvalidUtf8(new Uint8Array([0x41, 0xc0, 0xaf]))).toBe(1);
    expect(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(new TextEncoder().encode('héllo 🐱'))).toBe(-1);
    expect(decodePreferenceFile('x.jsonl', new Uint8Array())).toEqual({ error: 'x.jsonl is empty.' });
    expect(decodePreferenceFile('x.jsonl', new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toEqual({ text: '{}' });
    expect(sizeProblem('big.jsonl', 100_000_001)).toMatch(/big\.jsonl is 100\.0 MB; the limit is 100 MB/);
    expect(sizeProblem('ok.jsonl', 100_000_000)).toBeNull();
  });
});

describe('safe markdown', () => {
  it('reads headings, paragraphs, lists, emphasis and code into a text tree', () => {
    expect(parseMarkdown('# Title\n\nSome **bold** and *it* and `code`.\n\n- one\n- two\n\n1. first\n2. second\n\n```\n<x>\n```')).toEqual([
      { type: 'heading', level: 1, children: [{ type: 'text', text: 'Title' }] },
      { type: 'paragraph', children: [
        { type: 'text', text: 'Some ' }, { type: 'strong', children: [{ type: 'text', text: 'bold' }] }, { type: 'text', text: ' and ' },
        { type: 'em', children: [{ type: 'text', text: 'it' }] }, { type: 'text', text: ' and ' }, { type: 'code', text: 'code' }, { type: 'text', text: '.' },
      ] },
      { type: 'list', ordered: false, items: [[{ type: 'text', text: 'one' }], [{ type: 'text', text: 'two' }]] },
      { type: 'list', ordered: true, items: [[{ type: 'text', text: 'first' }], [{ type: 'text', text: 'second' }]] },
      { type: 'code', text: '<x>' },
    ]);
  });

  it('keeps HTML and <script> as literal text', () => {
    expect(parseMarkdown('<script>alert(1)</script> and <b>x</b>')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: '<script>alert(1)</script> and <b>x</b>' }] },
    ]);
    expect(parseInline('**<img src=x onerror=alert(1)>**')).toEqual([{ type: 'strong', children: [{ type: 'text', text: '<img src=x onerror=alert(1)>' }] }]);
    // An unclosed marker is plain text.
    expect(parseInline('2 * 3')).toEqual([{ type: 'text', text: '2 * 3' }]);
  });
});
