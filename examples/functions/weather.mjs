// A text tool on the original contract: answer { statusCode, body } with body = JSON text of an MCP result.
const CONDITIONS = ["sunny", "cloudy", "rainy", "windy", "foggy", "snowy"]

const seedOf = (text) => [...text.toLowerCase()].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 100_003, 7)

export const handler = async (event) => {
  const { city, days = 1 } = event.args
  const lines = Array.from({ length: days }, (_, day) => {
    const seed = seedOf(`${city}:${day}`)
    return `Day ${day + 1}: ${CONDITIONS[seed % CONDITIONS.length]}, ${5 + (seed % 25)}°C`
  })
  return {
    statusCode: 200,
    body: JSON.stringify({ content: [{ type: "text", text: `Weather for ${city}\n${lines.join("\n")}` }] })
  }
}
