import { checkCommand } from './checkCommand.js';
import type { Command } from './Command.js';
import { pathsCommand } from './pathsCommand.js';
import { replayCommand } from './replayCommand.js';
import { runCommand } from './runCommand.js';
import { serveCommand } from './serveCommand.js';
import { traceCommand } from './traceCommand.js';
import { vizCommand } from './vizCommand.js';

/** Every `drmstate` command, in the order `drmstate --help` lists them. A new command is one line here. */
export const COMMANDS: readonly Command[] = [checkCommand, runCommand, replayCommand, pathsCommand, vizCommand, traceCommand, serveCommand];
