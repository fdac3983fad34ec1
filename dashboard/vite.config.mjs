import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The server serves dist/ at /dashboard/ (no SPA fallback: the app routes by hash).
// `npm run dev` proxies the API to a running server: PROXIMADB_URL (default http://127.0.0.1:8080).
const target = process.env.PROXIMADB_URL || 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: {
      '/api': target,
      '/health': target,
      '/metrics': target,
    },
  },
});
