// Every GraphQL document the console sends; typed by graphql-codegen from ../schema.graphql.
import { graphql } from "./gql/index.ts";

// What any mutation that did not succeed says: its message and, for a broken rule, each field's.
export const MutationProblem = graphql(`
  fragment MutationProblem on Error {
    message
    ... on ValidationError {
      fieldErrors {
        path
        message
        code
      }
    }
  }
`);

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      id
      kind
      email
      memberships {
        role
        organization {
          id
          name
          isOperator
        }
      }
    }
  }
`);

export const ApplicationsQuery = graphql(`
  query Applications($organizationId: ID, $search: String, $applicationType: ApplicationType) {
    applications(first: 100, organizationId: $organizationId, search: $search, applicationType: $applicationType) {
      edges {
        node {
          id
          name
          applicationType
          platform
          clientId
          visibility
          isFirstParty
        }
      }
    }
  }
`);

export const ConsoleApplicationFields = graphql(`
  fragment ConsoleApplicationFields on ConnectApplication {
    id
    clientId
    name
    description
    applicationType
    platform
    confidential
    tokenEndpointAuthMethod
    jwks
    jwksUri
    redirectUris {
      uri
      default
    }
    postLogoutRedirectUris
    usesPkce
    isFirstParty
    organization {
      id
      name
    }
    clientCode
    logoUri
    termsOfServiceUri
    privacyPolicyUri
    visibility
    registeredDynamically
    onBehalfOfEnabled
    tokenExchange {
      enabled
      accessTokenTtlSeconds
    }
    clientSecrets {
      id
      description
      hint
      createdAt
      expiresAt
      lastUsedAt
      revokedAt
      active
    }
    scopeGrants {
      kind
      scope {
        name
        hub {
          id
          audience
        }
      }
    }
  }
`);

export const ApplicationQuery = graphql(`
  query Application($id: ID!) {
    application(id: $id) {
      ...ConsoleApplicationFields
    }
  }
`);

export const ScopeCatalogQuery = graphql(`
  query ScopeCatalog {
    scopeCatalog {
      id
      name
      description
      builtIn
      scopes {
        name
        description
        kinds
        onBehalfOf
      }
    }
  }
`);

export const AuditEventsQuery = graphql(`
  query AuditEvents($applicationId: ID!) {
    auditEvents(first: 100, filter: { applicationId: $applicationId }) {
      edges {
        node {
          id
          action
          actor {
            kind
            id
            name
            email
          }
          targetId
          details
          createdAt
        }
      }
    }
  }
`);

export const CreateApplicationMutation = graphql(`
  mutation CreateApplication($input: CreateConnectApplicationInput!) {
    createConnectApplication(input: $input) {
      __typename
      ... on CreateConnectApplicationSuccess {
        application {
          id
        }
      }
      ...MutationProblem
    }
  }
`);

export const UpdateApplicationMutation = graphql(`
  mutation UpdateApplication($input: UpdateConnectApplicationInput!) {
    updateConnectApplication(input: $input) {
      __typename
      ... on UpdateConnectApplicationSuccess {
        application {
          ...ConsoleApplicationFields
        }
      }
      ...MutationProblem
    }
  }
`);

export const DeleteApplicationMutation = graphql(`
  mutation DeleteApplication($id: ID!) {
    deleteConnectApplication(input: { id: $id }) {
      __typename
      ...MutationProblem
    }
  }
`);

export const AddSecretMutation = graphql(`
  mutation AddSecret($input: AddClientSecretInput!) {
    addClientSecret(input: $input) {
      __typename
      ... on AddClientSecretSuccess {
        plaintext
        clientSecret {
          id
        }
      }
      ...MutationProblem
    }
  }
`);

export const RevokeSecretMutation = graphql(`
  mutation RevokeSecret($id: ID!) {
    revokeClientSecret(input: { id: $id }) {
      __typename
      ...MutationProblem
    }
  }
`);

export const GrantScopesMutation = graphql(`
  mutation GrantScopes($input: GrantScopesInput!) {
    grantScopes(input: $input) {
      __typename
      ... on GrantScopesSuccess {
        application {
          id
        }
      }
      ...MutationProblem
    }
  }
`);

export const RevokeScopesMutation = graphql(`
  mutation RevokeScopes($input: RevokeScopesInput!) {
    revokeScopes(input: $input) {
      __typename
      ... on RevokeScopesSuccess {
        application {
          id
        }
      }
      ...MutationProblem
    }
  }
`);

export const MembersQuery = graphql(`
  query Members($organizationId: ID!) {
    organization(id: $organizationId) {
      id
      name
      members {
        userId
        email
        name
        role
        joinedAt
      }
    }
  }
`);

export const InviteMemberMutation = graphql(`
  mutation InviteMember($input: InviteMemberInput!) {
    inviteMember(input: $input) {
      __typename
      ... on InviteMemberSuccess {
        invitationUrl
      }
      ...MutationProblem
    }
  }
`);

export const UpdateMemberRoleMutation = graphql(`
  mutation UpdateMemberRole($input: UpdateMemberRoleInput!) {
    updateMemberRole(input: $input) {
      __typename
      ...MutationProblem
    }
  }
`);

export const RemoveMemberMutation = graphql(`
  mutation RemoveMember($input: RemoveMemberInput!) {
    removeMember(input: $input) {
      __typename
      ...MutationProblem
    }
  }
`);

export const PasswordResetLinkMutation = graphql(`
  mutation PasswordResetLink($input: CreatePasswordResetLinkInput!) {
    createPasswordResetLink(input: $input) {
      __typename
      ... on CreatePasswordResetLinkSuccess {
        resetUrl
      }
      ...MutationProblem
    }
  }
`);

export const ConnectedAppsQuery = graphql(`
  query ConnectedApps {
    viewer {
      id
      connectedApplications {
        application {
          id
          clientId
          name
          logoUri
        }
        scopes
        consents
        grantedAt
      }
    }
  }
`);

export const RevokeConsentMutation = graphql(`
  mutation RevokeConsent($applicationId: ID!) {
    revokeConsent(input: { applicationId: $applicationId }) {
      __typename
      ...MutationProblem
    }
  }
`);

export const IdentityProvidersQuery = graphql(`
  query IdentityProviders($organizationId: ID!) {
    identityProviders(organizationId: $organizationId) {
      id
      name
      issuer
      jwksUri
      audience
      subjectMapping
      clockSkewSeconds
      signIn {
        enabled
        clientId
        clientSecretSet
        emailDomains
        jitRole
      }
    }
    organization(id: $organizationId) {
      id
      members {
        userId
        email
      }
    }
  }
`);

export const RegisterIdentityProviderMutation = graphql(`
  mutation RegisterIdentityProvider($input: RegisterIdentityProviderInput!) {
    registerIdentityProvider(input: $input) {
      __typename
      ... on RegisterIdentityProviderSuccess {
        identityProvider {
          id
        }
      }
      ...MutationProblem
    }
  }
`);

export const RemoveIdentityProviderMutation = graphql(`
  mutation RemoveIdentityProvider($id: ID!) {
    removeIdentityProvider(input: { id: $id }) {
      __typename
      ...MutationProblem
    }
  }
`);

export const LinkExternalIdentityMutation = graphql(`
  mutation LinkExternalIdentity($input: LinkExternalIdentityInput!) {
    linkExternalIdentity(input: $input) {
      __typename
      ... on LinkExternalIdentitySuccess {
        subject
        userId
      }
      ...MutationProblem
    }
  }
`);

export const UpdateIdentityProviderMutation = graphql(`
  mutation UpdateIdentityProvider($input: UpdateIdentityProviderInput!) {
    updateIdentityProvider(input: $input) {
      __typename
      ... on UpdateIdentityProviderSuccess {
        identityProvider {
          id
          name
          issuer
          jwksUri
          audience
          subjectMapping
          clockSkewSeconds
          signIn {
            enabled
            clientId
            clientSecretSet
            emailDomains
            jitRole
          }
        }
      }
      ...MutationProblem
    }
  }
`);

// Publication: one shape of a request for the application's tab and the operators' review queue.
export const ConsolePublicationRequestFields = graphql(`
  fragment ConsolePublicationRequestFields on PublicationRequest {
    id
    revisionDigest
    status
    origin
    notes
    reason
    createdAt
    decidedAt
    application {
      id
      name
      visibility
      logoUri
      description
      termsOfServiceUri
      privacyPolicyUri
      organization {
        id
        name
      }
    }
    changes {
      field
      approved
      proposed
      added
      removed
    }
  }
`);

export const ApplicationPublicationQuery = graphql(`
  query ApplicationPublication($id: ID!) {
    application(id: $id) {
      id
      name
      visibility
      organization {
        id
        name
      }
      publicationReadiness {
        ready
        missing {
          path
          code
          message
        }
      }
      publicationRequest {
        ...ConsolePublicationRequestFields
      }
      publicationRequests {
        id
        status
        origin
        reason
        createdAt
        decidedAt
      }
    }
  }
`);

export const ReviewQueueQuery = graphql(`
  query ReviewQueue {
    publicationRequests(status: PENDING) {
      ...ConsolePublicationRequestFields
    }
  }
`);

export const PublicationRequestQuery = graphql(`
  query PublicationRequest($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on PublicationRequest {
        ...ConsolePublicationRequestFields
      }
    }
  }
`);

export const RequestPublicationMutation = graphql(`
  mutation RequestPublication($input: RequestPublicationInput!) {
    requestPublication(input: $input) {
      __typename
      ... on RequestPublicationSuccess {
        publicationRequest {
          ...ConsolePublicationRequestFields
        }
      }
      ...MutationProblem
    }
  }
`);

export const WithdrawPublicationMutation = graphql(`
  mutation WithdrawPublication($requestId: ID!) {
    withdrawPublication(input: { requestId: $requestId }) {
      __typename
      ... on WithdrawPublicationSuccess {
        publicationRequest {
          ...ConsolePublicationRequestFields
        }
      }
      ...MutationProblem
    }
  }
`);

export const ApprovePublicationMutation = graphql(`
  mutation ApprovePublication($requestId: ID!, $revisionDigest: String) {
    approvePublication(input: { requestId: $requestId, revisionDigest: $revisionDigest }) {
      __typename
      ... on ApprovePublicationSuccess {
        publicationRequest {
          ...ConsolePublicationRequestFields
        }
      }
      ...MutationProblem
    }
  }
`);

export const RejectPublicationMutation = graphql(`
  mutation RejectPublication($requestId: ID!, $reason: String!) {
    rejectPublication(input: { requestId: $requestId, reason: $reason }) {
      __typename
      ... on RejectPublicationSuccess {
        publicationRequest {
          ...ConsolePublicationRequestFields
        }
      }
      ...MutationProblem
    }
  }
`);

export const UnpublishApplicationMutation = graphql(`
  mutation UnpublishApplication($applicationId: ID!) {
    unpublishApplication(input: { applicationId: $applicationId }) {
      __typename
      ... on UnpublishApplicationSuccess {
        application {
          id
          visibility
        }
      }
      ...MutationProblem
    }
  }
`);

export const CreateOrganizationMutation = graphql(`
  mutation CreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) {
      __typename
      ... on CreateOrganizationSuccess {
        invitationUrl
        organization {
          id
          name
        }
      }
      ...MutationProblem
    }
  }
`);
