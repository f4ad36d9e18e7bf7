import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  // Relative asset paths: the built app works from any folder (GitHub Pages, a USB stick, a sub-path).
  base: './',
  plugins: [svelte()],
  worker: {
    format: 'es',
    // Threaded tfjs-wasm breaks inside a minified module worker (its pthread blob refers to
    // minified names); keep the worker unminified so threads stay an option, minify the page.
    rolldownOptions: { output: { minify: false } },
  },
  optimizeDeps: {
    // Pre-bundle what the worker and the lazy chart import use, so the dev server does not
    // discover them mid-session and reload the page. The wasm backend gets its .wasm files
    // from the worker's `?url` imports, so pre-bundling it is safe (excluding it made the dev
    // worker fail to load).
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'comlink', 'dexie', 'plotly.js-dist-min'],
  },
  build: {
    target: 'es2022',
    // Two pages: the playground, and the benchmark page `npm run bench -- --browser` drives.
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
    chunkSizeWarningLimit: 5000,
  },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173, strictPort: false },
});
