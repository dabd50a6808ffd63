// A tool that fails: a thrown error reaches the client as a tool result with isError: true.
export const handler = async (event) => {
  throw new Error(`The inventory service is down (asked for ${JSON.stringify(event.args.sku ?? "nothing")})`)
}
