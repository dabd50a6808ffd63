// A text tool on the original contract: answer { statusCode, body } with body = JSON text of an MCP result.
const CONDITIONS = ["sunny", "cloudy", "rainy", "windy", "foggy", "snowy"]

/** The function checks its own input: a forecast of 2^31 days would take the process's memory. */
const MAX_DAYS = 16

const seedOf = (text) => [...text.toLowerCase()].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 100_003, 7)

export const handler = async (event) => {
  const { city, days = 1 } = event.args
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    return { statusCode: 400, body: JSON.stringify({ message: `days must be a whole number from 1 to ${MAX_DAYS}` }) }
  }
  const lines = Array.from({ length: days }, (_, day) => {
    const seed = seedOf(`${city}:${day}`)
    return `Day ${day + 1}: ${CONDITIONS[seed % CONDITIONS.length]}, ${5 + (seed % 25)}°C`
  })
  return {
    statusCode: 200,
    body: JSON.stringify({ content: [{ type: "text", text: `Weather for ${city}\n${lines.join("\n")}` }] })
  }
}
