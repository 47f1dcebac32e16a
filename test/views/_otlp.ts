/**
 * An OTLP/HTTP trace receiver on loopback for the telemetry tests: every span posted to
 * `/v1/traces` (JSON encoding) is kept with the pid of the process that sent it.
 */
import { createServer, type Server } from 'node:http';

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** nanoseconds since the epoch, as OTLP/JSON sends them (strings) */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  /** `process.pid` of the sending process's resource */
  pid: number;
}

type Attributes = OtlpSpan['attributes'];
interface TracesRequest {
  resourceSpans: { resource: { attributes: Attributes }; scopeSpans: { spans: Omit<OtlpSpan, 'pid'>[] }[] }[];
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT */
  endpoint: string;
  spans: OtlpSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(host = '127.0.0.1'): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const data = JSON.parse(body) as TracesRequest;
        for (const rs of data.resourceSpans) {
          const pid = Number(rs.resource.attributes.find((a) => a.key === 'process.pid')?.value.intValue ?? 0);
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, pid });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { endpoint: `http://${host}:${port}`, spans, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** a span attribute's value (string, int or bool), undefined when absent */
export function attr(s: OtlpSpan, key: string): unknown {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? (v.stringValue ?? v.intValue ?? v.boolValue) : undefined;
}
