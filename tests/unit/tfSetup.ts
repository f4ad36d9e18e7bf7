/** Starts the wasm backend in Node for unit tests (the CLI's backend). */
import * as tf from '@tensorflow/tfjs';
import { configureWasm, useBackend } from '../../src/core/backend.ts';
import { WASM_DIR } from '../../src/cli/nodeEngine.ts';

export async function setupWasm(): Promise<void> {
  tf.env().set('PROD', true);
  configureWasm(WASM_DIR);
  await useBackend('wasm');
}
