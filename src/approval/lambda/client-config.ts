/**
 * Per-service SDK client settings. Empty on AWS (the SDK finds region and credentials itself);
 * local mode passes loopback endpoints and dummy credentials. Nothing else differs.
 */
export interface ClientSettings {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export type ServiceName = 'dynamodb' | 'kms' | 'ses' | 'sfn' | 'secretsManager';
export type ClientConfig = Partial<Record<ServiceName, ClientSettings>>;
