/**
 * Errors at the agent's HTTP boundary. Domain errors (usage intake, dispute revision, a tariff
 * YAML in a body) carry a refusal code and a field, never a status: `answerHttp` maps any of them
 * through the one table (`@splitedge/node` http/status.ts).
 */
import { HttpError, answerHttp } from '@splitedge/node'

export { HttpError, answerHttp as answerFor }
