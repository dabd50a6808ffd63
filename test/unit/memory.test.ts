import { layerMemory as rateLimiterMemory } from "../../src/layers/MemoryRateLimiter.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import { rateLimiterContract } from "../contracts/RateLimiterContract.js"
import { registryContract } from "../contracts/RegistryContract.js"
import { sessionStoreContract } from "../contracts/SessionStoreContract.js"

registryContract("memory", () => registryMemory)
sessionStoreContract("memory", (ttl) => sessionsMemory({ ttl }))
rateLimiterContract("memory", rateLimiterMemory)
