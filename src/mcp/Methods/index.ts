/**
 * Every MCP method the server answers. A new method is one `method(...)` entry in a file of
 * this folder (params schema, result schema, handler), added to this list.
 */
import type { Method } from "../Method.js"
import { complete } from "./completion.js"
import { discover, initialize, ping, setLevel } from "./lifecycle.js"
import * as Prompts from "./prompts.js"
import * as Resources from "./resources.js"
import * as Tasks from "./tasks.js"
import * as Tools from "./tools.js"

export const METHODS: ReadonlyArray<Method<any, any>> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
  initialize,
  discover,
  ping,
  setLevel,
  Tools.list,
  Tools.call,
  Resources.list,
  Resources.templates,
  Resources.read,
  Resources.subscribe,
  Resources.unsubscribe,
  Prompts.list,
  Prompts.get,
  complete,
  Tasks.get,
  Tasks.update,
  Tasks.cancel
]
