// A prompt whose argument completions come from the function itself (registration
// "completions": "function"): completion/complete calls it with action "complete".
const CITIES = ["Amsterdam", "Athens", "Barcelona", "Berlin", "Lisbon", "London", "Madrid", "Paris", "Prague", "Rome", "Vienna"]

export const handler = async (event) => {
  if (event.action === "complete") {
    const prefix = event.argument.value.toLowerCase()
    const values = CITIES.filter((city) => city.toLowerCase().startsWith(prefix))
    return { values, total: values.length, hasMore: false }
  }
  const { city, days = "3" } = event.args
  return {
    description: `A ${days}-day trip to ${city}`,
    messages: [{ role: "user", content: { type: "text", text: `Plan a ${days}-day trip to ${city}: one paragraph per day.` } }]
  }
}
