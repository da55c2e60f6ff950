import { counterOf } from '../src/metrics-scrape';

const TEXT = `# HELP grpc_server_call_started_total Number of server calls started.
# TYPE grpc_server_call_started_total counter
grpc_server_call_started_total{grpc_method="helloworld.Greeter/SayHello"} 1200 1700000000000
grpc_server_call_started_total{grpc_method="grpc.health.v1.Health/Check"} 3
grpc_server_call_started_total{grpc_method="helloworld.Greeter/SayHello",extra="x"} 5
grpc_server_call_started_totals{grpc_method="helloworld.Greeter/SayHello"} 99
grpc_server_call_duration_seconds_count{grpc_method="helloworld.Greeter/SayHello",grpc_status="OK"} 1200
`;

describe('counterOf', () => {
  it("sums a counter's series for one grpc_method, whatever its other labels", () => {
    expect(counterOf(TEXT, 'grpc_server_call_started_total', 'helloworld.Greeter/SayHello')).toBe(1205);
    expect(counterOf(TEXT, 'grpc_server_call_started_total', 'grpc.health.v1.Health/Check')).toBe(3);
  });

  it('is 0 for a method or a counter it does not have', () => {
    expect(counterOf(TEXT, 'grpc_server_call_started_total', 'stream.v1.StreamService/AllStream')).toBe(0);
    expect(counterOf('', 'grpc_server_call_started_total', 'helloworld.Greeter/SayHello')).toBe(0);
  });
});
