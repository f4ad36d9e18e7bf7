/**
 * Assembles the hand-written WebAssembly kernels (src/core/kernels/*.wat) into TypeScript modules
 * holding their bytes, so the app and the CLI load them with no build step and no fetch.
 * Run after editing a .wat file: `npm run build:kernels`. A unit test checks that the committed
 * bytes match the source.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kernelModuleText, KERNELS } from './kernelAssembler.ts';

const dir = fileURLToPath(new URL('../src/core/kernels/', import.meta.url));

for (const kernel of KERNELS) {
  const text = await kernelModuleText(readFileSync(dir + kernel.source, 'utf8'), kernel.source, kernel.relaxed);
  writeFileSync(dir + kernel.output, text);
  console.log(`${kernel.source} -> ${kernel.output}`);
}
