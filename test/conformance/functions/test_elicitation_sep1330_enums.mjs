// Elicitation with every enum form (SEP-1330): untitled, titled, legacy enumNames, and multi-select.
const options = (values, titles) => values.map((value, index) => ({ const: value, title: titles[index] }))

export const handler = async (event) => {
  const reply = event.inputResponses?.choices
  if (reply === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        choices: {
          method: "elicitation/create",
          params: {
            message: "Please select options from the enum fields",
            requestedSchema: {
              type: "object",
              properties: {
                untitledSingle: { type: "string", description: "Select one option", enum: ["option1", "option2", "option3"] },
                titledSingle: {
                  type: "string",
                  description: "Select one option with titles",
                  oneOf: options(["value1", "value2", "value3"], ["First Option", "Second Option", "Third Option"])
                },
                legacyEnum: {
                  type: "string",
                  description: "Select one option (legacy)",
                  enum: ["opt1", "opt2", "opt3"],
                  enumNames: ["Option One", "Option Two", "Option Three"]
                },
                untitledMulti: {
                  type: "array",
                  description: "Select multiple options",
                  minItems: 1,
                  maxItems: 3,
                  items: { type: "string", enum: ["option1", "option2", "option3"] }
                },
                titledMulti: {
                  type: "array",
                  description: "Select multiple options with titles",
                  minItems: 1,
                  maxItems: 3,
                  items: { anyOf: options(["value1", "value2", "value3"], ["First Choice", "Second Choice", "Third Choice"]) }
                }
              },
              required: []
            }
          }
        }
      }
    }
  }
  return { content: [{ type: "text", text: `Elicitation completed: action=${reply.action}, content=${JSON.stringify(reply.content)}` }] }
}
