import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The same build serves the Tauri window (real host) and the browser tests (fake host, chosen
// at run time when there is no Tauri).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: { port: 1420, strictPort: true },
});
