// Conversation Hub: customer conversations across channels, their messages, and live chat.
import { defineHub } from "scopekeeper/catalog";

export default defineHub({
  id: "conversation",
  name: "Conversation Hub",
  description: "Customer conversations across channels (chat, email, messaging), their messages, and live chat sessions.",
  // No audience: tokens for this hub carry aud <ISSUER>/hubs/conversation unless the deployment sets
  // SCOPEKEEPER_API_BASE_URL or SCOPEKEEPER_HUB_AUDIENCE_CONVERSATION (docs/plugins.md).
  scopes: [
    {
      name: "conversation.conversations.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read conversations and their details: channel, participants, queue, assignee, status and timestamps.",
      consent: "See the customer conversations you have access to",
    },
    {
      name: "conversation.conversations.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Create, assign, transfer, update and close conversations. Implies conversation.conversations.read.",
      consent: "Create, assign and close customer conversations",
    },
    {
      name: "conversation.messages.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read the messages of conversations, including transcripts and attachment metadata.",
      consent: "Read the messages in customer conversations you have access to",
    },
    {
      name: "conversation.messages.send",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Send messages (email, SMS, messaging) in existing conversations, as the user or as the application.",
      consent: "Send messages to customers in your name",
    },
    {
      name: "conversation.chat.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read live chat sessions and chat queues: waiting customers, active sessions and their participants.",
      consent: "See live chat sessions and queues",
    },
    {
      name: "conversation.chat.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Accept, transfer and end live chat sessions and change chat availability. Implies conversation.chat.read.",
      consent: "Accept, transfer and end live chats for you",
    },
    {
      name: "conversation.chat.send",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Send chat messages in live chat sessions, as the agent (delegated) or as a bot (application).",
      consent: "Send chat messages to customers in your name",
    },
  ],
});
