#!/usr/bin/env node
// The drmstate command: runs the built CLI (dist/, made by `npm install` or `npm run build`).

// A reader that stops early (`drmstate run … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/src/cli/main.js')) throw e;
  const root = new URL('..', import.meta.url).pathname;
  process.stderr.write(`drmstate: not built yet: run "npm run build" (or "npm install") in ${root}\n`);
  process.exit(2);
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
