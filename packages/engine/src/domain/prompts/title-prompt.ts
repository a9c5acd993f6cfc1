/** Prompt for the short conversation title (spec §3 "Title"). The reply must be JSON so it can be parsed strictly. */
export const titlePrompt = `Write a title for this conversation between a user and a Kubernetes/CI-CD operations assistant.
Use 3 to 6 words, no quotes, no trailing punctuation, no emojis.
Reply with JSON only, exactly: {"title": "<the title>"}`;
