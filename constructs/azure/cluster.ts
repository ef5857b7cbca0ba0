/** What federated credentials and outputs need of a cluster, new or existing. */
export interface Cluster {
  /** The issuer URL, with its trailing `/`, that federated credentials must name exactly. */
  readonly oidcIssuerUrl: string;
  /** The cluster's name. */
  readonly clusterName: string;
}
