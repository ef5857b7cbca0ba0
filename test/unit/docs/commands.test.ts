// Every command of the documentation is run by a test, so that none can drift: each command line of a ```bash block of
// README.md and docs/*.md appears, as written, in a test file under test/, or the tables below name the test that
// runs it (and that test must exist and mention what it runs). A command no test runs fails here, named; one that
// cannot run here (a placeholder a user fills in) belongs in prose or a ```text block, not in a bash block.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/helpers';

/** The documentation: the front page and every page of docs/. */
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** A command of a page: a line of a bash block that is neither blank nor a comment, its trailing `# comment` cut. */
interface Command {
  readonly page: string;
  /** Which bash block of the page, from 0. */
  readonly block: number;
  readonly command: string;
}

/** The command lines of the bash blocks of one page's text. */
function commandsOf(page: string, text: string): Command[] {
  return [...text.matchAll(/^```bash\n([\s\S]*?)^```/gm)].flatMap(([, body], block) =>
    body
      .split('\n')
      .map((line) => line.replace(/(^|\s+)#.*$/, '').trim())
      .filter((command) => command !== '')
      .map((command) => ({ page, block, command })),
  );
}

/**
 * Tests that read a bash block of a page and run every line of it, as written: each command of that block is theirs.
 * The test must mention the page and read bash blocks.
 */
const BLOCK_RUNNERS = [
  {
    page: 'docs/tflocal.md',
    block: 0,
    test: 'e2e/lab/demo-day-two.test.ts',
    how: 'runs npm start, then every line on the demo deployment, in one work directory',
  },
  {
    page: 'docs/teams.md',
    block: 0,
    test: 'e2e/docs/readme-teams.test.ts',
    how: 'runs each npm run cli line with the stand-ins and checks what its comment names',
  },
  {
    page: 'docs/deploy.md',
    block: 0,
    test: 'e2e/docs/deploy.test.ts',
    how: 'runs the export line in bash, then each command at a terminal with the stand-ins, as its comment says',
  },
  {
    page: 'docs/deploy.md',
    block: 1,
    test: 'e2e/docs/deploy.test.ts',
    how: 'runs each command at a terminal with the stand-ins, answering its question, as its comment says',
  },
] as const;

/**
 * Commands that appear in no test as written, each with the tests that run it and what each must mention. The
 * set-up commands run the whole suite or install it: CI runs them on a fresh clone, and a test holds CI to that.
 */
const COMMANDS: Record<string, { runs: { test: string; mentions: string }[]; how: string }> = {
  'npm ci && npm start': {
    runs: [
      { test: 'e2e/ci.test.ts', mentions: 'npm ci' },
      { test: 'e2e/lab/demo-signals.test.ts', mentions: "spawn('npm', ['start'" },
    ],
    how: '.ci/run and .ci/production-install run npm ci on a fresh clone (ci.test.ts checks both); demo-signals.test.ts runs npm start through npm',
  },
  'npm test': {
    runs: [{ test: 'e2e/ci.test.ts', mentions: "'npm test'" }],
    how: 'the suite itself: .ci/run runs it with CI=true, and ci.test.ts checks that it does',
  },
  'npm run lint': {
    runs: [{ test: 'e2e/ci.test.ts', mentions: "'npm run lint'" }],
    how: '.ci/run runs it before the tests, and ci.test.ts checks that it does',
  },
};

/** Every test file under test/, by its path from there (`e2e/lab/demo-day-two.test.ts`). */
function testFiles(dir = join(ROOT, 'test')): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '__snapshots__')
      for (const [name, file] of testFiles(path)) files.set(name, file);
    else if (entry.name.endsWith('.test.ts')) files.set(relative(join(ROOT, 'test'), path), path);
  }
  return files;
}

const TESTS = testFiles();
const text = (test: string) => readFileSync(TESTS.get(test) ?? '', 'utf8');
const commands = PAGES.flatMap((page) => commandsOf(page, readFileSync(join(ROOT, page), 'utf8')));

describe('the commands of README.md and docs/', () => {
  it('reads a command as the shell does: blank lines and comments skipped, a trailing comment cut', () => {
    const page = [
      'text',
      '```bash',
      '# a comment',
      '',
      'npm run cli -- logs        # prints the logs',
      "export A=1 B='two words'",
      '  # an indented comment',
      '```',
      '```text',
      'not a command',
      '```',
    ].join('\n');
    expect(commandsOf('p.md', page).map((c) => c.command)).toEqual([
      'npm run cli -- logs',
      "export A=1 B='two words'",
    ]);
  });

  it('finds the commands of every page, the set-up commands of the front page first', () => {
    expect(commands.slice(0, 2).map((c) => c.command)).toEqual(['npm ci && npm start', 'npm test']);
    expect(commands.length).toBeGreaterThanOrEqual(20);
  });

  it.each(BLOCK_RUNNERS.map((r) => [r.test, r.page, r.block, r]))(
    '%s runs every line of %s, bash block %i',
    (test, page, block, runner) => {
      expect(TESTS.has(test), `${test} is not under test/`).toBe(true);
      expect(text(test)).toContain(basename(page));
      expect(text(test)).toContain('```bash');
      expect(
        commands.filter((c) => c.page === page && c.block === block).length,
        `${page} has no bash block ${block} (${runner.how})`,
      ).toBeGreaterThan(0);
    },
  );

  it.each(Object.entries(COMMANDS).map(([command, entry]) => [command, entry.how, entry.runs]))(
    '"%s" is run: %s',
    (command, _how, runs) => {
      expect(commands.map((c) => c.command)).toContain(command);
      for (const { test, mentions } of runs) {
        expect(TESTS.has(test), `${test} is not under test/`).toBe(true);
        expect(text(test)).toContain(mentions);
      }
    },
  );

  it('runs every command of the documentation in some test', () => {
    const self = relative(join(ROOT, 'test'), import.meta.filename);
    const others = [...TESTS].filter(([name]) => name !== self).map(([, file]) => file);
    const tests = others.map((file) => readFileSync(file, 'utf8'));
    const unrun = commands.filter(
      ({ page, block, command }) =>
        !BLOCK_RUNNERS.some((r) => r.page === page && r.block === block) &&
        !(command in COMMANDS) &&
        !tests.some((test) => test.includes(command)),
    );
    expect(
      unrun.map((c) => `${c.page}: ${c.command}`),
      'commands that no test runs: run each in a test, or take it out of the bash block',
    ).toEqual([]);
  });
});
