/**
 * The GitHub Action's entry point (bundled into dist/action/index.js): read the inputs into a
 * typed RunInputs, mask the token, call run(), and turn every error into core.setFailed.
 */
import { resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';

import * as core from '@actions/core';

import { RmmVerifyError, errorMessage } from '../errors.ts';
import { escapeMarkdown } from '../report/markdown.ts';
import { readInputs } from './inputs.ts';
import { run, type ActionHost } from './run.ts';

function coreHost(): ActionHost {
  return {
    setOutput: (name, value) => {
      core.setOutput(name, value);
    },
    annotate: ({ level, title, message, file, startLine }) => {
      const properties = {
        title,
        ...(file === undefined ? {} : { file }),
        ...(startLine === undefined ? {} : { startLine }),
      };
      if (level === 'error') core.error(message, properties);
      else if (level === 'warning') core.warning(message, properties);
      else core.notice(message, properties);
    },
    appendSummary: async (markdown) => {
      // Outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write the summary.
      if (!process.env['GITHUB_STEP_SUMMARY']) return;
      await core.summary.addRaw(markdown).write();
    },
    info: (message) => {
      core.info(message);
    },
    setFailed: (message) => {
      core.setFailed(message);
    },
  };
}

async function main(): Promise<void> {
  // Mask before anything else can print: the runner replaces the value with *** in every log line.
  const token = core.getInput('github-token');
  if (token !== '' && !token.startsWith('${{')) core.setSecret(token);
  const host = coreHost();
  try {
    const workspace = resolve(process.env['GITHUB_WORKSPACE'] || process.cwd());
    const inputs = readInputs((name) => core.getInput(name), workspace);
    await run(inputs, { host, now: new Date() });
  } catch (error: unknown) {
    // Input errors name the file and place; anything else is unexpected and still fails closed.
    const message =
      error instanceof RmmVerifyError ? error.message : `internal error: ${errorMessage(error)}`;
    await host
      .appendSummary(`## ❌ rmm-verify: error\n\n${escapeMarkdown(message)}\n`)
      .catch((summaryError: unknown) => {
        // The step fails either way; a summary that cannot be written must not hide why.
        core.warning(`could not write the job summary: ${errorMessage(summaryError)}`);
      });
    host.setFailed(`rmm-verify: ${message}`);
  }
}

// The bundle is also the script of the inventory reader thread (fleet/reader-thread.ts), which
// starts itself when the bundle is loaded in a worker: the Action runs on the main thread only.
if (isMainThread) await main();
