/**
 * SIGTERM to `npx splitedge agent` must not orphan the agent: npm runs the bin through `sh -c`,
 * signals only that shell, and the agent's node process used to stay behind with its ports and
 * its database. The launcher now shuts the agent down when npm's shell goes away.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { identityFromSeed, saveKeyFile } from '@splitedge/wire'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** PIDs of every descendant of `pid`, from /proc (Linux). */
async function descendants (pid: number): Promise<Array<{ pid: number, cmd: string }>> {
  const parents = new Map<number, number>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (Number.isInteger(ppid)) parents.set(Number(name), ppid)
  }
  const out: Array<{ pid: number, cmd: string }> = []
  const walk = async (p: number): Promise<void> => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue
      const cmd = (await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ')
      out.push({ pid: child, cmd })
      await walk(child)
    }
  }
  await walk(pid)
  return out
}

/** Is `pid` a running process (not gone, not a zombie waiting for a parent that never reaps)? */
async function alive (pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

async function until (what: string, fn: () => Promise<boolean> | boolean, tries = 200, everyMs = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('splitedge launcher under npx', function () {
  this.timeout(60_000)
  let dir: string
  let npx: ChildProcess | undefined
  let agentPid: number | undefined

  before(async function () {
    if (process.platform !== 'linux') this.skip()
    dir = await mkdtemp(join(tmpdir(), 'splitedge-launcher-'))
    const id = await identityFromSeed(createHash('sha256').update('splitedge-test/launcher').digest())
    await saveKeyFile(join(dir, 'a.key'), id)
    await writeFile(join(dir, 'a.yaml'), 'name: a\nkey: a.key\ndataDir: data\nlisten: ["/ip4/127.0.0.1/tcp/0"]\nneighbours: []\n')
  })

  after(async () => {
    // Only what this test started, by id.
    if (agentPid !== undefined && await alive(agentPid)) process.kill(agentPid, 'SIGKILL')
    if (npx?.pid !== undefined && await alive(npx.pid)) process.kill(npx.pid, 'SIGKILL')
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('stops the agent cleanly when npx is sent SIGTERM', async () => {
    let output = ''
    npx = spawn('npx', ['splitedge', 'agent', '--config', join(dir, 'a.yaml')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    npx.stdout?.on('data', (b: Buffer) => { output += b.toString() })
    npx.stderr?.on('data', (b: Buffer) => { output += b.toString() })
    await until('the agent is listening', () => /listening on/.test(output), 300)
    const agent = (await descendants(npx.pid as number)).find(p => /splitedge agent --config/.test(p.cmd) && !p.cmd.startsWith('sh '))
    assert.ok(agent, 'found the agent process under npx')
    agentPid = agent.pid
    npx.kill('SIGTERM')
    // A graceful stop: the agent closed its node and its database, then exited.
    await until('the agent logs its stop', () => /"msg":"agent stopped"/.test(output), 150)
    await until('the agent process exits', async () => !(await alive(agent.pid)), 150)
  })
})
