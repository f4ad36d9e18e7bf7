/**
 * What every e2e script needs: the built app served by `vite preview` on a free port, and
 * Debian's Chromium (headless, WebGPU on SwiftShader) with a fresh profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Serves dist/ (run `vite build` first), or the folder named by E2E_DIST (`vite build --outDir X`). */
export async function startPreview(): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await freePort();
  const outDir = process.env.E2E_DIST;
  const server: PreviewServer = await preview({ logLevel: 'warn', ...(outDir ? { build: { outDir } } : {}), preview: { port, strictPort: true, host: '127.0.0.1', open: false } });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

export interface Browser {
  context: BrowserContext;
  close: () => Promise<void>;
}

/** A persistent context in a fresh profile folder (IndexedDB survives reloads within it). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'rlhf-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a test file drives: the preview server, Chromium, and one page of the app. */
export interface App {
  server: Awaited<ReturnType<typeof startPreview>>;
  browser: Browser;
  page: Page;
}

/**
 * Serves the build, opens the app in a fresh profile and collects the page's errors into
 * `pageErrors`; on the wasm backend straight away ('auto' would first time every backend, and
 * webgpu on SwiftShader is slow).
 */
export async function openApp(pageErrors: string[]): Promise<App> {
  const server = await startPreview();
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  return { server, browser, page };
}

export async function closeApp(app: Partial<App>): Promise<void> {
  await app.browser?.close();
  await app.server?.close();
}
