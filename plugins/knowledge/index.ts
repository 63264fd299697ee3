// Knowledge hub: the Knowledge Portal Manager, articles and search.
import { defineHub } from "scopekeeper/catalog";

export default defineHub({
  id: "knowledge",
  name: "Knowledge",
  description: "Knowledge portals, the articles published in them, and knowledge search.",
  // No audience: tokens for this hub carry aud <ISSUER>/hubs/knowledge unless the deployment sets
  // SCOPEKEEPER_API_BASE_URL or SCOPEKEEPER_HUB_AUDIENCE_KNOWLEDGE (docs/plugins.md).
  scopes: [
    {
      name: "knowledge.portalmgr.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read access to the Knowledge Portal Manager: portals, their settings, topics and the content published in them.",
      consent: "Read your knowledge portals",
    },
    {
      name: "knowledge.portalmgr.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description:
        "Write access to the Knowledge Portal Manager: create and configure portals, organize topics and publish content. Implies knowledge.portalmgr.read.",
      consent: "Create, change and publish your knowledge portals",
    },
    {
      name: "knowledge.portalmgr.onbehalfof.read",
      kinds: ["DELEGATED"],
      onBehalfOf: true,
      description:
        "Read On-Behalf-Of access to the Knowledge Portal Manager: what knowledge.portalmgr.read allows, for the user whose token a trusted service exchanges (on-behalf-of flow only).",
      consent: "Read your knowledge portals through services that act for you",
    },
    {
      name: "knowledge.portalmgr.onbehalfof.manage",
      kinds: ["DELEGATED"],
      onBehalfOf: true,
      description:
        "Write On-Behalf-Of access to the Knowledge Portal Manager: what knowledge.portalmgr.manage allows, for the user whose token a trusted service exchanges (on-behalf-of flow only).",
      consent: "Change and publish your knowledge portals through services that act for you",
    },
    {
      name: "knowledge.articles.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read knowledge articles, including drafts, earlier versions and attachments, in the portals the caller may see.",
      consent: "Read knowledge articles you have access to",
    },
    {
      name: "knowledge.articles.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Create, edit, publish, archive and delete knowledge articles and their attachments. Implies knowledge.articles.read.",
      consent: "Create, edit and publish knowledge articles",
    },
    {
      name: "knowledge.articles.search",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Search published knowledge articles across portals and get suggested answers; returns titles, snippets and links, not drafts.",
      consent: "Search knowledge articles for you",
    },
  ],
});
