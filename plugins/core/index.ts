// Core hub: users, departments and partition settings.
import { defineHub } from "scopekeeper/catalog";

export default defineHub({
  id: "core",
  name: "Core",
  description: "Users, departments and the settings of the partition and its departments.",
  // No audience: tokens for this hub carry aud <ISSUER>/hubs/core unless the deployment sets
  // SCOPEKEEPER_API_BASE_URL or SCOPEKEEPER_HUB_AUDIENCE_CORE (docs/plugins.md).
  scopes: [
    {
      name: "core.users.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read user accounts: names, email addresses, roles, department membership and status.",
      consent: "See the users of your organization",
    },
    {
      name: "core.users.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Create, update, deactivate and delete user accounts, and change their roles and departments. Implies core.users.read.",
      consent: "Create and manage the users of your organization, including their roles",
      adminConsentRequired: true,
    },
    {
      name: "core.departments.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read departments: their names, descriptions, members and business hours.",
      consent: "See the departments of your organization",
    },
    {
      name: "core.departments.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Create, update and delete departments and change their members and business hours. Implies core.departments.read.",
      consent: "Create and manage the departments of your organization",
      adminConsentRequired: true,
    },
    {
      name: "core.settings.read",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Read partition and department settings, such as locales, security policies and feature switches.",
      consent: "See the settings of your organization",
    },
    {
      name: "core.settings.manage",
      kinds: ["DELEGATED", "APPLICATION"],
      description: "Change partition and department settings, including security policies. Implies core.settings.read.",
      consent: "Change the settings of your organization",
      adminConsentRequired: true,
    },
  ],
});
