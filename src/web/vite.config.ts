/**
 * Builds the simulator page (src/web) into dist/web: the library bundled for the browser. Node
 * modules the library imports for files and workers (never called by the page) resolve to a stub
 * whose functions say they are not available in a browser.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const NODE_NAMES = [
  'MessageChannel', 'Worker', 'receiveMessageOnPort', 'workerData', 'availableParallelism', 'closeSync', 'fstatSync', 'fsyncSync',
  'ftruncateSync', 'openSync', 'writeSync', 'createRequire', 'existsSync', 'fileURLToPath', 'pathToFileURL', 'join', 'resolve',
  'mkdirSync', 'readdirSync', 'statSync', 'writeFileSync', 'readFileSync', 'realpathSync', 'parseArgs', 'dirname', 'relative',
  'isAbsolute', 'basename', 'extname', 'sep', 'tmpdir', 'cpus', 'createServer', 'createReadStream', 'lstatSync', 'readlinkSync',
];

function nodeStub(): Plugin {
  return {
    name: 'drmstate-node-stub',
    enforce: 'pre',
    resolveId(id) {
      return id.startsWith('node:') ? `\0stub:${id}` : null;
    },
    load(id) {
      if (!id.startsWith('\0stub:')) return null;
      const mod = id.slice('\0stub:'.length);
      const fn = (n: string): string => `export function ${n}() { throw new Error(${JSON.stringify(`${mod} ${n} is not available in a browser`)}); }`;
      return [...NODE_NAMES.filter((n) => n !== 'sep').map(fn), `export const sep = '/';`, 'export default {};'].join('\n');
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  plugins: [nodeStub()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
});
