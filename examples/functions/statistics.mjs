// A tool with an outputSchema: a plain JSON object answer becomes structuredContent (and text).
export const handler = async (event) => {
  const numbers = event.args.numbers
  const sum = numbers.reduce((total, n) => total + n, 0)
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return {
    count: numbers.length,
    sum,
    mean: numbers.length === 0 ? 0 : sum / numbers.length,
    median: numbers.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2,
    min: numbers.length === 0 ? 0 : sorted[0],
    max: numbers.length === 0 ? 0 : sorted[sorted.length - 1]
  }
}
