import { defineConfig, type Connect, type ProxyOptions } from 'vite';
import { readFileSync } from 'node:fs';

// Local stand-in for what nginx provides (the ports of inventories/local), for `npm run dev`
// and `vite preview` only; the built app knows nothing of them.
const nodes: Record<string, number> = { 'alpha-1': 8511, 'alpha-2': 8512, 'beta-1': 8513, 'beta-2': 8514, 'gamma-1': 8515 };
const health: Record<string, number> = { 'alpha-1': 8711, 'beta-1': 8713, 'gamma-1': 8715 };

function to(target: string, path = '/'): ProxyOptions {
  return { target, changeOrigin: true, rewrite: () => path };
}
const proxy: Record<string, ProxyOptions> = {
  '/rpc/home': to('http://127.0.0.1:8511'),
  '/rpc/foreign': to('http://127.0.0.1:8600'),
};
for (const [name, port] of Object.entries(nodes)) proxy[`/rpc/node/${name}`] = to(`http://127.0.0.1:${port}`);
for (const [name, port] of Object.entries(health)) proxy[`/bridge/${name}/health`] = to(`http://127.0.0.1:${port}`, '/health');

// manifest.json comes from dev/manifest.json (gitignored, made by scripts/dev-manifest.mjs),
// so it never lands in the build output.
const manifest: Connect.NextHandleFunction = (req, res, next) => {
  if (!req.url?.split('?')[0].endsWith('/manifest.json')) return next();
  res.setHeader('Content-Type', 'application/json');
  res.end(readFileSync(new URL('./dev/manifest.json', import.meta.url)));
};

export default defineConfig({
  base: './',
  build: { outDir: '../roles/web_ui/files/app', emptyOutDir: true },
  server: { host: '127.0.0.1', strictPort: true, proxy },
  preview: { host: '127.0.0.1', strictPort: true, proxy },
  plugins: [{
    name: 'dev-manifest',
    configureServer: (s) => { s.middlewares.use(manifest); },
    configurePreviewServer: (s) => { s.middlewares.use(manifest); },
  }],
});
