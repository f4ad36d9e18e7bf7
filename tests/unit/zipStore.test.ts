import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readZip } from '../../src/core/export/zipReader.ts';
import { crc32, zipStore } from '../../src/core/export/zipStore.ts';

function hasCommand(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const FILES = [
  { name: 'README.md', data: '# Hello\n' },
  { name: 'data/ünïcode name.jsonl', data: '{"prompt": "A story about a cat.", "completion": "The cat was happy."}\n' },
  { name: 'bytes.bin', data: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  { name: 'empty.txt', data: '' },
];

describe('zipStore', () => {
  it('computes the standard CRC-32', () => {
    // The check value of CRC-32/ISO-HDLC.
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('writes files that read back with their names, sizes and CRCs', () => {
    const zip = zipStore(FILES);
    const entries = readZip(zip);
    expect(entries.map((e) => e.name)).toEqual(FILES.map((f) => f.name));
    FILES.forEach((file, i) => {
      const bytes = typeof file.data === 'string' ? new TextEncoder().encode(file.data) : file.data;
      expect(entries[i].method).toBe(0);
      expect(entries[i].data.length).toBe(bytes.length);
      expect([...entries[i].data]).toEqual([...bytes]);
      expect(entries[i].crc).toBe(crc32(bytes));
    });
  });

  it('gives the same bytes for the same files', () => {
    expect([...zipStore(FILES)]).toEqual([...zipStore(FILES)]);
  });

  it('writes an empty archive as just the end record', () => {
    const zip = zipStore([]);
    expect(zip.length).toBe(22);
    expect(readZip(zip)).toEqual([]);
  });

  it('refuses repeated and absolute names', () => {
    expect(() => zipStore([{ name: 'a', data: '1' }, { name: 'a', data: '2' }])).toThrow(/twice/);
    expect(() => zipStore([{ name: '/etc/passwd', data: '' }])).toThrow(/relative/);
  });

  it.skipIf(!hasCommand('unzip'))('passes `unzip -t`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zipstore-'));
    try {
      const path = join(dir, 'test.zip');
      writeFileSync(path, zipStore(FILES));
      const report = execFileSync('unzip', ['-t', path], { encoding: 'utf8' });
      expect(report).toMatch(/No errors detected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
