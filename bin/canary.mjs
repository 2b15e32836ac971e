#!/usr/bin/env node
// The `canary` binary: runs the TypeScript CLI through tsx (a production dependency), so it works
// from a plain `npm install --omit=dev` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/index.ts');
process.exitCode = await main(process.argv);
