/**
 * What the topology composer and the docker tests assume of the agent and its image, in one
 * place: ports, paths and the user inside the image (docker/Dockerfile), and the commands that
 * run an agent or a clearer there. The config files it writes follow
 * packages/agent/src/config/schema.ts and packages/clearing/src/config.ts
 * (test/docker/topology.spec.ts checks them with checkConfig and checkClearerConfig).
 */
export const AGENT_CONTRACT = {
  /** libp2p TCP port every agent listens on inside its container. */
  p2pPort: 7000,
  /** HTTP API port (GET /health, /metrics, /v1/...; POST /v1/usage). */
  httpPort: 8080,
  /** Where an agent's config, key and tariff live inside the container. */
  configDir: '/etc/splitedge',
  /** The data volume. */
  dataDir: '/var/lib/splitedge',
  /** The non-root user of docker/Dockerfile; config files are handed over owned by it. */
  uid: 10001,
  gid: 10001,
  /** The image docker/build-image.sh builds by default. */
  image: 'splitedge/agent:dev',
  /** Arguments after the image's entrypoint (`node /app/packages/cli/bin/splitedge.js`). */
  agentArgs: ['agent', '--config', '/etc/splitedge/agent.yaml'] as readonly string[],
  /** The same for an operator with role clearer (`splitedge clearer`, packages/clearing). */
  clearerArgs: ['clearer', '--config', '/etc/splitedge/clearer.yaml'] as readonly string[],
  /** A clearer's margin when the topology's clearing entry names none. */
  clearerMargin: { percent: '0', fixed: '0' },
  /** The image's healthcheck command. */
  healthcheck: ['CMD', 'node', '/app/docker/healthcheck.mjs'] as readonly string[]
} as const
