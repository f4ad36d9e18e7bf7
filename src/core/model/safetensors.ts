/**
 * The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}},
 * then the raw little-endian tensor bytes. Only F32 is written; F32 and F16 are read.
 */

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): ArrayBuffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so tensor data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const buffer = new ArrayBuffer(8 + headerBytes.length + offset);
  const view = new DataView(buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  new Uint8Array(buffer, 8, headerBytes.length).set(headerBytes);
  let o = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++, o += 4) view.setFloat32(o, t.data[i], true);
  }
  return buffer;
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Parses a safetensors buffer; throws an Error saying what is wrong with a malformed file. */
export function decodeSafetensors(buffer: ArrayBuffer): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (buffer.byteLength < 8) throw new Error('model.safetensors is too short to be a safetensors file');
  const view = new DataView(buffer);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > buffer.byteLength) throw new Error('model.safetensors has a corrupt header length');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  } catch {
    throw new Error('model.safetensors has a header that is not valid JSON');
  }
  const dataStart = 8 + headerLength;
  const metadata = ((header as Record<string, unknown>).__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, NamedTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets ?? [];
    const count = (info.shape ?? []).reduce((a, b) => a * b, 1);
    const width = info.dtype === 'F32' ? 4 : info.dtype === 'F16' ? 2 : 0;
    if (!width) throw new Error(`tensor ${name} has dtype ${info.dtype}; only F32 and F16 are supported`);
    if (!(begin >= 0 && end >= begin && dataStart + end <= buffer.byteLength) || end - begin !== count * width) {
      throw new Error(`tensor ${name} has data offsets that do not match its shape [${info.shape}]`);
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = dataStart + begin + i * width;
      data[i] = width === 4 ? view.getFloat32(at, true) : f16ToF32(view.getUint16(at, true));
    }
    tensors.set(name, { shape: info.shape, data });
  }
  return { tensors, metadata };
}
