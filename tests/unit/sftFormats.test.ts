import { describe, expect, it } from 'vitest';
import { applyChatTemplate, DEFAULT_CHAT_TEMPLATE, parseChatTemplate, PREFIXED_CHAT_TEMPLATE, type ChatTemplate } from '../../src/core/sft/chatTemplate.ts';
import { parseCsv, toCsv } from '../../src/core/sft/csv.ts';
import { importSftFile, listPlaces, MAX_SFT_FILE_BYTES, parseSftText, toSftCsv, toTrlJsonl } from '../../src/core/sft/sftFormats.ts';

const template = (text: string): ChatTemplate => {
  const parsed = parseChatTemplate(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.template;
};
const plain = template(DEFAULT_CHAT_TEMPLATE);
const prefixed = template(PREFIXED_CHAT_TEMPLATE);
const bytes = (s: string) => new TextEncoder().encode(s);
const ok = (r: ReturnType<typeof parseSftText>) => {
  if (!r.ok) throw new Error(r.error);
  return r;
};

describe('chat template', () => {
  it('parses one line per role with {content} and \\n escapes', () => {
    expect(prefixed).toEqual({ system: '{content}\n\n', user: 'User: {content}\n', assistant: 'Assistant: {content}' });
    expect(template('user: Q: {content}\\n\nassistant: A: {content}').system).toBe('{content}\n');
    expect(parseChatTemplate('user: {content}')).toEqual({ error: 'the template has no line for assistant' });
    expect(parseChatTemplate('user: hi\nassistant: {content}')).toEqual({ error: 'line 1: the user line must hold {content} exactly once' });
    expect(parseChatTemplate('bot: {content}')).toMatchObject({ error: expect.stringMatching(/line 1: unknown role "bot"/) });
  });

  it('writes the prompt with the generation prompt and takes the last answer as the completion', () => {
    const messages = [
      { role: 'system' as const, content: 'Be kind.' },
      { role: 'user' as const, content: 'Hi' },
      { role: 'assistant' as const, content: 'Hello' },
      { role: 'user' as const, content: 'A story?' },
      { role: 'assistant' as const, content: 'Once upon a time.' },
    ];
    expect(applyChatTemplate(messages, prefixed)).toEqual({
      prompt: 'Be kind.\n\nUser: Hi\nAssistant: HelloUser: A story?\nAssistant: ',
      completion: 'Once upon a time.',
    });
    expect(applyChatTemplate(messages.slice(1, 3), plain)).toEqual({ prompt: 'Hi\n', completion: 'Hello' });
    expect(applyChatTemplate([{ role: 'user', content: 'x' }], plain)).toEqual({ error: 'the conversation has no assistant message to learn' });
    // "$&" in content is text, not a replacement pattern.
    expect(applyChatTemplate([{ role: 'user', content: 'a$&b' }, { role: 'assistant', content: 'c' }], plain)).toEqual({ prompt: 'a$&b\n', completion: 'c' });
  });
});

describe('CSV', () => {
  it('reads quoted fields with commas, quotes and newlines, and keeps each record line', () => {
    const parsed = parseCsv('prompt,completion\n"a, b","say ""hi""\nthen go"\r\nc,d\n\n');
    expect(parsed).toEqual({
      records: [
        { line: 1, fields: ['prompt', 'completion'] },
        { line: 2, fields: ['a, b', 'say "hi"\nthen go'] },
        { line: 4, fields: ['c', 'd'] },
      ],
    });
    expect(parseCsv('a,b\n"open,x\n')).toEqual({ error: 'line 2: a quoted field is never closed (a " is missing)' });
    const rows = [['x,y', 'he said "no"\n']];
    const back = parseCsv(toCsv(['prompt', 'completion'], rows));
    expect('records' in back && back.records[1].fields).toEqual(rows[0]);
  });
});

describe('SFT dataset import', () => {
  it('JSONL: names malformed lines and keeps the valid rest apart', () => {
    const text = ['{"prompt":"a","completion":"b"}', '{"prompt":"c", completion:"d"}', '', '{"prompt":"e","completion":"f"}', 'not json'].join('\n');
    const r = ok(parseSftText('data.jsonl', text, plain));
    expect(r.format).toBe('jsonl');
    expect(r.rows).toEqual([{ prompt: 'a', completion: 'b' }, { prompt: 'e', completion: 'f' }]);
    expect(r.at).toEqual([1, 4]);
    expect(r.skipped.map((s) => s.at)).toEqual([2, 5]);
    expect(r.skipped[0].message).toMatch(/^line 2: not valid JSON/);
    expect(listPlaces('line', r.skipped.map((s) => s.at))).toBe('lines 2 and 5');
  });

  it('names missing or misnamed columns and the accepted names', () => {
    const wrong = parseSftText('qa.jsonl', '{"question":"a","answer":"b"}\n{"question":"c","answer":"d"}\n', plain);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) {
      expect(wrong.error).toMatch(/qa\.jsonl has none of the accepted fields \(it has "question", "answer"/);
      expect(wrong.error).toMatch(/rename "question" to "prompt"; rename "answer" to "completion"/);
      expect(wrong.error).toMatch(/accepted: "prompt" and "completion".*"messages"/);
    }
    const half = parseSftText('half.csv', 'prompt,response\na,b\n', plain);
    expect(!half.ok && half.error).toMatch(/no "completion" field \(it has "prompt", "response"; rename "response" to "completion"\)/);
    const cased = parseSftText('cased.json', '[{"Prompt":"a","Completion":"b"}]', plain);
    expect(!cased.ok && cased.error).toMatch(/rename "Prompt" to "prompt"/);
  });

  it('skips empty prompts and duplicates, saying where', () => {
    const r = ok(parseSftText('d.json', JSON.stringify([
      { prompt: 'a', completion: 'b' },
      { prompt: '  ', completion: 'b' },
      { prompt: 'a', completion: 'b' },
      { prompt: 'x', completion: '' },
    ]), plain));
    expect(r.unit).toBe('record');
    expect(r.rows).toHaveLength(1);
    expect(r.skipped.map((s) => s.message)).toEqual([
      'record 2: the prompt is empty',
      'record 3: duplicate of record 1',
      'record 4: the completion is empty',
    ]);
  });

  it('turns chat records (messages, or conversational prompt/completion) into text with the template', () => {
    const text = [
      JSON.stringify({ messages: [{ role: 'user', content: 'Write a happy story about a cat.' }, { role: 'assistant', content: 'Once upon a time.' }] }),
      JSON.stringify({ prompt: [{ role: 'user', content: 'Hi' }], completion: [{ role: 'assistant', content: 'Hello' }] }),
      JSON.stringify({ messages: [{ role: 'robot', content: 'x' }] }),
    ].join('\n');
    const r = ok(parseSftText('chat.jsonl', text, prefixed));
    expect(r.chat).toBe(true);
    expect(r.rows).toEqual([
      { prompt: 'User: Write a happy story about a cat.\nAssistant: ', completion: 'Once upon a time.' },
      { prompt: 'User: Hi\nAssistant: ', completion: 'Hello' },
    ]);
    expect(r.skipped[0].message).toMatch(/^line 3: message 1 has role "robot"/);
    const csv = ok(parseSftText('chat.csv', `messages\n"${JSON.stringify([{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }]).replace(/"/g, '""')}"\n`, plain));
    expect(csv.rows).toEqual([{ prompt: 'Q\n', completion: 'A' }]);
  });

  it('refuses non-UTF-8, empty, oversized and non-array files with a clear message', () => {
    expect(importSftFile('latin1.jsonl', new Uint8Array([0x7b, 0xe9, 0x7d]), plain)).toEqual({ ok: false, error: expect.stringMatching(/latin1\.jsonl is not valid UTF-8/) });
    expect(importSftFile('empty.jsonl', new Uint8Array(), plain)).toEqual({ ok: false, error: 'empty.jsonl is empty' });
    const big = { length: MAX_SFT_FILE_BYTES + 1 } as Uint8Array;
    expect(importSftFile('big.jsonl', big, plain)).toEqual({ ok: false, error: 'big.jsonl is 100.0 MB; the limit is 100 MB' });
    expect(parseSftText('obj.json', '{"prompt":"a","completion":"b"}', plain)).toMatchObject({ ok: false, error: expect.stringMatching(/must hold an array/) });
    expect(parseSftText('bad.json', '[{"prompt":', plain)).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
    // A .json file with one record per line is read as JSONL; a UTF-8 BOM is dropped.
    const r = ok(parseSftText('lines.json', '{"prompt":"a","completion":"b"}\n{"prompt":"c","completion":"d"}', plain));
    expect(r.format).toBe('jsonl');
    expect(ok(importSftFile('bom.jsonl', bytes('\uFEFF{"prompt":"a","completion":"b"}'), plain)).rows).toHaveLength(1);
  });

  it('exports TRL JSONL and CSV that import back to the same rows', () => {
    const rows = [{ prompt: 'Write a story.\n', completion: 'It said "hi", then left.' }, { prompt: 'b', completion: 'c\nd' }];
    const jsonl = toTrlJsonl(rows);
    expect(jsonl.split('\n')[0]).toBe('{"prompt":"Write a story.\\n","completion":"It said \\"hi\\", then left."}');
    expect(ok(parseSftText('x.jsonl', jsonl, plain)).rows).toEqual(rows);
    expect(ok(parseSftText('x.csv', toSftCsv(rows), plain)).rows).toEqual(rows);
  });
});
