/**
 * Turning an uploaded preference file's bytes into text, refusing what cannot be one: empty,
 * over 100 MB, or not UTF-8 (the message says on which line the first bad byte is).
 */
export const MAX_PREFERENCE_FILE_BYTES = 100 * 1000 * 1000;

/** The message for a file over the limit, or null; call it with File.size before reading the bytes. */
export function sizeProblem(name: string, bytes: number): string | null {
  if (bytes > MAX_PREFERENCE_FILE_BYTES) {
    return `${name} is ${(bytes / 1e6).toFixed(1)} MB; the limit is ${MAX_PREFERENCE_FILE_BYTES / 1e6} MB. Split it into smaller files.`;
  }
  return null;
}

/** Byte offset of the first byte that breaks UTF-8, or -1 when all of it is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    // Lead byte: how many continuation bytes follow, and the smallest code point allowed (no overlongs).
    const [extra, min] = b < 0x80 ? [0, 0] : b >= 0xc2 && b < 0xe0 ? [1, 0x80] : b >= 0xe0 && b < 0xf0 ? [2, 0x800] : b >= 0xf0 && b < 0xf5 ? [3, 0x10000] : [-1, 0];
    if (extra < 0 || i + extra >= bytes.length) return i;
    let cp = extra === 0 ? b : b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/** Decodes a UTF-8 file (a leading byte-order mark is dropped). */
export function decodePreferenceFile(name: string, bytes: Uint8Array): { text: string } | { error: string } {
  const tooBig = sizeProblem(name, bytes.length);
  if (tooBig) return { error: tooBig };
  if (bytes.length === 0) return { error: `${name} is empty.` };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    return { error: `${name} is not UTF-8 text: byte ${bad + 1} (line ${line}) is not valid UTF-8. Save the file as UTF-8 and import it again.` };
  }
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  if (text.trim() === '') return { error: `${name} holds only whitespace.` };
  return { text };
}
