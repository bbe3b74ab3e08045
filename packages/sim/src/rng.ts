/** The project's one seeded generator lives in the model package; the simulator's code imports it from here. */
export { seededRng, below, type Rng } from '@splitedge/model'
