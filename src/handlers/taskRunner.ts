/** The task-runner function (invoked with `Event` by the MCP function): one run of a task. */
import { taskRunnerHandler } from "../hosts/LambdaTaskRunner.js"

export const handler = taskRunnerHandler()
