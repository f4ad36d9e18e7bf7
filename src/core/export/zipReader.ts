/**
 * Reads back a "stored" ZIP (what zipStore writes) through its central directory: each file's
 * name, bytes and the CRC-32 the directory records, checked against the local header and the
 * data. For tests of the exports (unit and e2e); not a general unzipper (no compression, no ZIP64).
 */
import { crc32 } from './zipStore.ts';

export interface ReadZipEntry {
  name: string;
  data: Uint8Array;
  crc: number;
  method: number;
}

/** The archive's files in directory order; throws when a header, size or CRC does not match. */
export function readZip(zip: Uint8Array): ReadZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22;
  if (end < 0 || view.getUint32(end, true) !== 0x06054b50) throw new Error('no end-of-central-directory record (an archive comment is not supported)');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const entries: ReadZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error(`central directory entry ${i} has a bad signature`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + skip;
    if (view.getUint32(local, true) !== 0x04034b50) throw new Error(`${name}: bad local header signature`);
    if (method !== 0 || compressed !== size) throw new Error(`${name}: not stored (method ${method})`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = zip.subarray(dataStart, dataStart + size);
    if (data.length !== size) throw new Error(`${name}: data runs past the end of the archive`);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC-32 does not match its data`);
    entries.push({ name, data, crc, method });
  }
  return entries;
}
