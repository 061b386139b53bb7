// The build: two pages (the storefront `index.html`, the console `console/index.html`) sharing
// one set of hashed assets under `/assets/`, plus a `.br` and a `.gz` beside every text file so
// the gateway can send them precompressed (node's zlib; no plugin to download).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|map)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "precompress",
    apply: "build",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const path of files(outDir).filter((p) => COMPRESSIBLE.test(p))) {
        const body = readFileSync(path);
        if (body.length < 256) continue;
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No inline data: URLs for assets: the pages' CSP allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        storefront: resolve(import.meta.dirname, "index.html"),
        console: resolve(import.meta.dirname, "console/index.html"),
      },
    },
  },
  plugins: [precompress()],
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:5000", ws: true },
    },
  },
});
