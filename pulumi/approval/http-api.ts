import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { API_THROTTLE } from '../../src/approval/defaults';

export interface HttpApiArgs {
  /** Optional custom domain, with its ACM certificate (looked up by primary name when not given). */
  domain?: string;
  certificateArn?: string;
  /** API-wide throttling: bounds what junk traffic (forged links) can cost. */
  throttle?: { burstLimit: number; rateLimit: number };
  logRetentionDays: number;
}

export interface HttpApi {
  api: aws.apigatewayv2.Api;
  stage: aws.apigatewayv2.Stage;
  /** Base URL: the custom domain when there is one, else the API's own endpoint. */
  apiUrl: pulumi.Output<string>;
  /** Where the custom domain's DNS record points. */
  domainTarget?: pulumi.Output<string>;
}

/**
 * The service's HTTP API: one `$default` stage, throttled, with access logs that hold the path and
 * never the query string (review links carry their ciphertext and MAC there), and an optional
 * custom domain (TLS 1.2). Children of `parent`, named `${name}-…`.
 */
export function httpApi(name: string, args: HttpApiArgs, parent: pulumi.Resource): HttpApi {
  const opts = { parent };
  const api = new aws.apigatewayv2.Api(`${name}-api`, { protocolType: 'HTTP', description: 'Email-link approvals' }, opts);
  const accessLogs = new aws.cloudwatch.LogGroup(`${name}-api-logs`, { retentionInDays: args.logRetentionDays }, opts);
  const stage = new aws.apigatewayv2.Stage(
    `${name}-stage`,
    {
      apiId: api.id,
      name: '$default',
      autoDeploy: true,
      defaultRouteSettings: { throttlingBurstLimit: args.throttle?.burstLimit ?? API_THROTTLE.burstLimit, throttlingRateLimit: args.throttle?.rateLimit ?? API_THROTTLE.rateLimit },
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          routeKey: '$context.routeKey',
          path: '$context.path',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
        }),
      },
    },
    opts,
  );
  if (!args.domain) return { api, stage, apiUrl: api.apiEndpoint };
  // A lookup matches only a certificate's primary name; a wildcard or multi-name certificate is given by ARN.
  const certificateArn = args.certificateArn ?? aws.acm.getCertificateOutput({ domain: args.domain, statuses: ['ISSUED'], mostRecent: true }, opts).arn;
  const domainName = new aws.apigatewayv2.DomainName(
    `${name}-domain`,
    { domainName: args.domain, domainNameConfiguration: { certificateArn, endpointType: 'REGIONAL', securityPolicy: 'TLS_1_2' } },
    opts,
  );
  new aws.apigatewayv2.ApiMapping(`${name}-mapping`, { apiId: api.id, domainName: domainName.id, stage: stage.id }, opts);
  return { api, stage, apiUrl: pulumi.output(`https://${args.domain}`), domainTarget: domainName.domainNameConfiguration.targetDomainName };
}

/**
 * Serves `routeKeys` (by a short key each: `${name}-${key}`) of `api` with `fn`: one Lambda proxy
 * integration (payload format 2.0) named `${name}-integration`, and the permission for API
 * Gateway to invoke the function from this API only, `${name}-invoke`.
 */
export function lambdaRoutes(
  name: string,
  api: aws.apigatewayv2.Api,
  fn: aws.lambda.Function,
  routeKeys: Record<string, string>,
  parent: pulumi.Resource,
  integration: { timeoutMilliseconds?: number } = {},
): aws.apigatewayv2.Route[] {
  const opts = { parent };
  const target = new aws.apigatewayv2.Integration(
    `${name}-integration`,
    { apiId: api.id, integrationType: 'AWS_PROXY', integrationUri: fn.invokeArn, payloadFormatVersion: '2.0', ...integration },
    opts,
  );
  new aws.lambda.Permission(
    `${name}-invoke`,
    { action: 'lambda:InvokeFunction', function: fn.name, principal: 'apigateway.amazonaws.com', sourceArn: pulumi.interpolate`${api.executionArn}/*/*` },
    opts,
  );
  return Object.entries(routeKeys).map(([key, routeKey]) => new aws.apigatewayv2.Route(`${name}-${key}`, { apiId: api.id, routeKey, target: pulumi.interpolate`integrations/${target.id}` }, opts));
}
