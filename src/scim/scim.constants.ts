/** The SCIM 2.0 URNs Roster speaks (RFC 7643, RFC 7644). */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  bulkRequest: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest',
  bulkResponse: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** Limits advertised in /ServiceProviderConfig and enforced. */
export const LIMITS = { bulkMaxOperations: 1000, bulkMaxPayloadSize: 1_048_576, maxResults: 1000, defaultCount: 100 } as const;

/**
 * Most resources a list request may read to evaluate a filter or sort that SQL cannot answer
 * (beyond it: 400 `tooMany`, RFC 7644 §3.4.2.2). Filters and sorts on stored attributes never scan.
 */
export const SCAN_LIMIT = 5000;

/** Enterprise User members stored as tenant attributes of the same key, when the tenant defines them. */
export const ENTERPRISE_ATTRIBUTES = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;
