/**
 * A minimal ZIP writer: every file "stored" (method 0, no compression), so the archive is the
 * files' bytes with a local header before each, then the central directory and the end record
 * (PKWARE APPNOTE 4.3). Names are UTF-8 (general-purpose flag bit 11). No ZIP64: fine for the
 * exports here, which are a few megabytes. Pure: the same files give the same bytes.
 */

export interface ZipEntry {
  /** Path inside the archive, '/'-separated ("data/sft.jsonl"). */
  name: string;
  /** Bytes, or text written as UTF-8. */
  data: Uint8Array | string;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const UTF8_NAMES = 1 << 11;
/** Version 2.0: what a stored file with a directory path needs. */
const VERSION = 20;
/** 1980-01-01 00:00 in MS-DOS date/time: a fixed stamp keeps the output reproducible. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the IEEE polynomial ZIP uses) of the bytes. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The ZIP archive holding the files, in the order given; throws on an empty or repeated name. */
export function zipStore(files: readonly ZipEntry[]): Uint8Array {
  if (files.length > 0xffff) throw new Error(`a zip without ZIP64 holds at most 65535 files (got ${files.length})`);
  const encoder = new TextEncoder();
  const seen = new Set<string>();
  const entries = files.map((file) => {
    if (file.name === '' || file.name.startsWith('/')) throw new Error(`zip entry name "${file.name}" must be a relative path`);
    if (seen.has(file.name)) throw new Error(`zip entry "${file.name}" appears twice`);
    seen.add(file.name);
    const name = encoder.encode(file.name);
    const data = typeof file.data === 'string' ? encoder.encode(file.data) : file.data;
    return { name, data, crc: crc32(data) };
  });

  const localSize = entries.reduce((sum, e) => sum + 30 + e.name.length + e.data.length, 0);
  const centralSize = entries.reduce((sum, e) => sum + 46 + e.name.length, 0);
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (v: number) => { view.setUint16(at, v, true); at += 2; };
  const u32 = (v: number) => { view.setUint32(at, v >>> 0, true); at += 4; };
  const bytes = (b: Uint8Array) => { out.set(b, at); at += b.length; };

  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(at);
    u32(LOCAL_HEADER); u16(VERSION); u16(UTF8_NAMES); u16(0); u16(DOS_TIME); u16(DOS_DATE);
    u32(e.crc); u32(e.data.length); u32(e.data.length); u16(e.name.length); u16(0);
    bytes(e.name);
    bytes(e.data);
  }
  const centralStart = at;
  entries.forEach((e, i) => {
    u32(CENTRAL_HEADER); u16(VERSION); u16(VERSION); u16(UTF8_NAMES); u16(0); u16(DOS_TIME); u16(DOS_DATE);
    u32(e.crc); u32(e.data.length); u32(e.data.length); u16(e.name.length);
    u16(0); u16(0); u16(0); u16(0); // extra field, comment, disk number, internal attributes
    u32(0); u32(offsets[i]); // external attributes, where the local header is
    bytes(e.name);
  });
  const centralLength = at - centralStart;
  u32(END_OF_CENTRAL_DIRECTORY); u16(0); u16(0); u16(entries.length); u16(entries.length);
  u32(centralLength); u32(centralStart); u16(0);
  return out;
}
