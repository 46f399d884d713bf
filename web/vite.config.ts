/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` (and `vite preview`) forward the API to a running server: FRONTLINE_URL or :8080.
const apiProxy = { '/api': { target: process.env.FRONTLINE_URL ?? 'http://127.0.0.1:8080', ws: true } };

export default defineConfig({
  plugins: [react()],
  server: { proxy: apiProxy },
  preview: { proxy: apiProxy },
  build: { outDir: 'dist', emptyOutDir: true },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/shared/test/setup.ts'],
  },
});
