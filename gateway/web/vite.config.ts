import { defineConfig } from 'vitest/config';

declare const process: { env: Record<string, string | undefined> };
const gateway = process.env.AFTERCARE_GATEWAY_URL ?? 'http://127.0.0.1:8080';

// Plain Vite + Preact through esbuild's automatic JSX runtime (no framework plugin needed).
// `npm run dev` proxies the API to a local gateway (deploy/local/up.sh: 127.0.0.1:8080).
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      '/v1': gateway,
      '/healthz': gateway,
    },
  },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
