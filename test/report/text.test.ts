import { describe, expect, it } from 'vitest';

import { finding } from '../../src/findings.ts';
import { escapeMarkdown } from '../../src/report/markdown.ts';
import { escapeText, joinTextLines, renderText } from '../../src/report/index.ts';
import { buildReport } from '../../src/report/report.ts';
import { HOSTILE, NOW } from './sample-report.ts';

// A field that tries to end its line and print a verdict of its own, then reverse the rest.
const FORGED = 'x.msi\nPASS artifact dist/evil.msi\r\u001b[32mPASS\u001b[0m: 1 of 1 passed';
const RLO = 'Any\u202eexe.kseD\u202c'; // a renamed tool that reads "AnyDesk.exe" right to left

describe('escapeText: the one escaping function of every text output', () => {
  // [input, output]: controls as \xNN, bidi and invisible format characters as \uNNNN.
  it.each([
    ['plain text, ünïcødé ✓', 'plain text, ünïcødé ✓'],
    ['a\nb', 'a\\x0ab'],
    ['a\r\nb', 'a\\x0d\\x0ab'],
    ['tab\there', 'tab\\x09here'],
    ['\u001b[31mred', '\\x1b[31mred'],
    ['\u0085\u009b', '\\x85\\x9b'],
    ['\u2028\u2029', '\\u2028\\u2029'],
    ['\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['Any\u200bDesk\ufeff', 'Any\\u200bDesk\\ufeff'],
  ])('%j → %j', (input, output) => {
    expect(escapeText(input)).toBe(output);
  });

  it('joinTextLines keeps only the renderer’s own line breaks', () => {
    expect(joinTextLines(['one', FORGED, 'three']).split('\n')).toHaveLength(4);
  });
});

describe('the text report', () => {
  const report = buildReport({
    command: 'verify',
    now: NOW,
    subjects: [{ subject: FORGED, kind: 'artifact', result: 'fail', facts: { tool: RLO } }],
    findings: [finding('DIGEST_MISMATCH', { subject: FORGED, message: `${FORGED} ${RLO} ${HOSTILE}` })],
  });

  it('cannot be given a forged line or raw bidi controls by an input field', () => {
    const text = renderText(report, { color: false });
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('PASS'))).toEqual([]);
    expect(lines.at(-2)).toMatch(/^FAIL: 0 of 1 passed/);
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('Any\\u202eexe.kseD\\u202c');
  });

  it('with colour, paints its own verdicts and still escapes the input', () => {
    const text = renderText(report, { color: true });
    expect(text).toContain('\u001b[31mFAIL\u001b[0m artifact x.msi\\x0aPASS');
    expect(text).toContain('\\x1b[32mPASS\\x1b[0m');
    expect(text.split('\n').filter((l) => l.includes('\u001b[32mPASS'))).toEqual([]);
  });
});

describe('Markdown escaping', () => {
  it('shows bidirectional and invisible characters instead of applying them', () => {
    expect(escapeMarkdown(RLO)).toBe('Any\\\\u202eexe.kseD\\\\u202c');
    expect(escapeMarkdown('a\u200bb')).toBe('a\\\\u200bb');
  });
});
