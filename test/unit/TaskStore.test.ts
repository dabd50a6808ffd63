import { layerMemory } from "../../src/layers/MemoryTaskStore.js"
import { taskStoreContract } from "../contracts/TaskStoreContract.js"

taskStoreContract("memory", () => layerMemory)
