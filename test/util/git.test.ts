import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptHandedCodeIdentity, clearCodeIdentityCache, codeIdentity, handedCodeIdentity } from '../../src/util/git.js';

let dir: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  }).trim();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rts-git-'));
  clearCodeIdentityCache();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function repoWithCommit(): Promise<string> {
  git('init', '-q');
  await writeFile(join(dir, 'a.txt'), 'a');
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src/b.ts'), 'b');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  return git('rev-parse', 'HEAD');
}

describe('codeIdentity', () => {
  it('a clean repository without remote', async () => {
    const sha = await repoWithCommit();
    expect(await codeIdentity(dir)).toEqual({
      code_identifier: sha,
      code_identifier_type: 'git',
      code_identifier_dependable: true,
      code_identifier_url: '',
      code_identifier_message: '',
    });
  });

  it('a dirty tree lists the changed paths; untracked files do not count', async () => {
    const sha = await repoWithCommit();
    await writeFile(join(dir, 'a.txt'), 'changed');
    await writeFile(join(dir, 'src/b.ts'), 'changed');
    await writeFile(join(dir, 'untracked.txt'), 'new');
    git('mv', 'src/b.ts', 'src/c.ts');
    const id = await codeIdentity(dir);
    expect(id.code_identifier).toBe(sha);
    expect(id.code_identifier_dependable).toBe(false);
    expect(id.code_identifier_message).toBe('changes found in a.txt, src/c.ts');
  });

  it('bounds the message for many changes', async () => {
    git('init', '-q');
    for (let i = 0; i < 50; i++) await writeFile(join(dir, `f${i}.txt`), 'x');
    git('add', '.');
    git('commit', '-q', '-m', 'many');
    for (let i = 0; i < 50; i++) await writeFile(join(dir, `f${i}.txt`), 'y');
    const id = await codeIdentity(dir);
    expect(id.code_identifier_message).toMatch(/^changes found in f0\.txt, .* and 30 more$/);
  });

  it('records the remote, without credentials, and caches per directory', async () => {
    await repoWithCommit();
    git('remote', 'add', 'origin', 'https://user:s3cret@example.com/org/repo.git');
    const id = await codeIdentity(dir);
    expect(id.code_identifier_url).toBe('https://example.com/org/repo.git');
    git('remote', 'set-url', 'origin', 'git@example.com:org/other.git');
    expect(await codeIdentity(dir)).toBe(id); // cached for the process
    clearCodeIdentityCache();
    expect((await codeIdentity(dir)).code_identifier_url).toBe('git@example.com:org/other.git');
  });

  it('outside a repository: not dependable, no throw', async () => {
    // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the temp dir
    const before = process.env.GIT_CEILING_DIRECTORIES;
    process.env.GIT_CEILING_DIRECTORIES = tmpdir();
    try {
      expect(await codeIdentity(dir)).toEqual({
        code_identifier: '',
        code_identifier_type: 'git',
        code_identifier_dependable: false,
        code_identifier_url: '',
        code_identifier_message: 'not a git repository',
      });
    } finally {
      if (before === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
      else process.env.GIT_CEILING_DIRECTORIES = before;
    }
  });

  it('a repository without commits, and a directory that does not exist', async () => {
    git('init', '-q');
    expect(await codeIdentity(dir)).toMatchObject({ code_identifier: '', code_identifier_dependable: false, code_identifier_message: 'the git repository has no commit yet' });
    expect(await codeIdentity(join(dir, 'missing'))).toMatchObject({ code_identifier: '', code_identifier_message: 'not a git repository' });
  });
});

describe('a code identity handed to a step process', () => {
  const handed = { code_identifier: 'abc', code_identifier_type: 'git', code_identifier_dependable: true, code_identifier_url: 'u', code_identifier_message: '' };

  it('is taken for its directory only, and the variable is removed', async () => {
    const env: NodeJS.ProcessEnv = { ...handedCodeIdentity(dir, handed), OTHER: '1' };
    adoptHandedCodeIdentity(env);
    expect(env).toEqual({ OTHER: '1' });
    expect(await codeIdentity(dir)).toEqual(handed);
    // another directory asks git (here: no repository)
    expect((await codeIdentity(join(dir, 'elsewhere'))).code_identifier_dependable).toBe(false);
  });

  it('of another shape is ignored: git is asked', async () => {
    for (const value of ['not json', JSON.stringify({ cwd: dir }), JSON.stringify({ cwd: dir, identity: { ...handed, extra: 1 } })]) {
      clearCodeIdentityCache();
      const env: NodeJS.ProcessEnv = { RUNNABLE_CODE_IDENTITY: value };
      adoptHandedCodeIdentity(env);
      expect(env.RUNNABLE_CODE_IDENTITY).toBeUndefined();
      expect((await codeIdentity(dir)).code_identifier_message).toBe('not a git repository');
    }
  });
});
