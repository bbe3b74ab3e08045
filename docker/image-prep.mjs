// Build-stage helper for the Dockerfile: the local base image has no shell, so node writes the
// user database (with the agent's non-root user) and the directories the final stage copies.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'

const UID = 10001
const out = '/out'
mkdirSync(`${out}/etc`, { recursive: true })
for (const [file, line] of [
  ['passwd', `splitedge:x:${UID}:${UID}:splitedge agent:/var/lib/splitedge:/usr/sbin/nologin\n`],
  ['group', `splitedge:x:${UID}:\n`],
]) {
  const current = readFileSync(`/etc/${file}`, 'utf8')
  writeFileSync(`${out}/etc/${file}`, current.endsWith('\n') ? current : current + '\n')
  if (!current.split('\n').some((l) => l.startsWith('splitedge:'))) appendFileSync(`${out}/etc/${file}`, line)
}
for (const dir of ['/var/lib/splitedge', '/etc/splitedge']) mkdirSync(out + dir, { recursive: true })
