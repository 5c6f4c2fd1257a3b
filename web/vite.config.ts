// Builds web/ into web/dist (never committed): `npm run build:web`, or `tfgrid explorer` when
// dist is missing. `vite --config web/vite.config.ts` serves it with hot reload, passing the
// API through to an explorer on EXPLORER_URL (default 127.0.0.1:8800).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = ['/health', '/stats', '/nodes', '/farms', '/twins', '/contracts', '/openapi.json'];
const target = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['EXPLORER_URL'] ?? 'http://127.0.0.1:8800';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { proxy: Object.fromEntries(api.map((path) => [path, target])) },
});
