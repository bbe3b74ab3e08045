export { ConfigError } from '@splitedge/node'
