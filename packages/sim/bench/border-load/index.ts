/** The border-load bench: one real agent process with D neighbours (see run.ts). */
export { runHighDegree, type HighDegreeOptions, type HighDegreeResult } from './run.js'
export { defaultIntervalMs } from './setup.js'
export { cryptoRates, cryptoLimit, type CryptoRates } from './crypto.js'
export { LoadNeighbour, type BorderTerms } from './neighbour.js'
