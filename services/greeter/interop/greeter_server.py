"""A helloworld.Greeter server on gRPC's C core (grpcio) that compresses its responses.

Usage: greeter_server.py <generated code dir>
Listens on 127.0.0.1 on a free port, prints `listening <port>`, and serves until stdin closes.
Every response is gzip-compressed (grpc-encoding: gzip), which a grpc-js server cannot do, so
that our client's reading of compressed responses is tested against another implementation.
"""

import sys
from concurrent import futures

import grpc

sys.path.insert(0, sys.argv[1])
import helloworld_pb2  # noqa: E402
import helloworld_pb2_grpc  # noqa: E402


class Greeter(helloworld_pb2_grpc.GreeterServicer):
    def SayHello(self, request, context):  # noqa: N802 (the generated method name)
        return helloworld_pb2.HelloReply(message=f"Hello {request.name}")


def main() -> int:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), compression=grpc.Compression.Gzip)
    helloworld_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening {port}", flush=True)
    sys.stdin.read()
    server.stop(grace=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
