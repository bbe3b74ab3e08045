/** `splitedge keygen`: create an operator's Ed25519 key file (0600) and print its PeerId. */
import type { Command } from 'commander'
import { access } from 'node:fs/promises'
import { generateKeyFile } from '@splitedge/wire'

export function register (program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 key file for an agent and print its PeerId')
    .option('-o, --out <file>', 'where to write the key', 'splitedge.key')
    .option('-f, --force', 'overwrite an existing key file (the old identity is lost)')
    .action(async (opts: { out: string, force?: boolean }) => {
      if (opts.force !== true) {
        const exists = await access(opts.out).then(() => true, () => false)
        if (exists) throw new Error(`${opts.out} already exists; refusing to replace an identity (use --force to overwrite)`)
      }
      const id = await generateKeyFile(opts.out)
      process.stdout.write(`${id.peerId}\n`)
      process.stderr.write(`key written to ${opts.out} (mode 0600); give the PeerId above to your neighbours\n`)
    })
}
