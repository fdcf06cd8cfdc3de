import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The same build serves the Tauri window (real host) and the browser tests (fake host, chosen
// at run time when there is no Tauri).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  // The Map screen's country shapes (world-atlas 1:50m, ~760 KB) are one chunk, loaded only
  // when the map opens: the limit is raised for it rather than warned about on every build.
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { port: 1420, strictPort: true },
});
