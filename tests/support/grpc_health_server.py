"""A real gRPC server (grpcio, the reference implementation) serving the
standard grpc.health.v1 health service, for healthprobe's tests.

    python grpc_health_server.py PORT [CERT KEY [CLIENT_CA]]

With CLIENT_CA, clients must present a certificate signed by it (mTLS).

Prints "ready" once serving. Then reads commands on stdin, one per line:
    set SERVICE STATUS    (STATUS: SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN;
                           SERVICE "-" means the server as a whole, "")
and answers "ok" to each. Exits when stdin closes, or, with
HEALTH_SERVER_FOREVER=1 in the environment, serves until killed.
"""
import os
import sys
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def main():
    port = int(sys.argv[1])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    address = f"127.0.0.1:{port}"
    if len(sys.argv) > 3:
        with open(sys.argv[2], "rb") as c, open(sys.argv[3], "rb") as k:
            pair = (k.read(), c.read())
        if len(sys.argv) > 4:
            with open(sys.argv[4], "rb") as ca:
                creds = grpc.ssl_server_credentials(
                    [pair], root_certificates=ca.read(), require_client_auth=True
                )
        else:
            creds = grpc.ssl_server_credentials([pair])
        server.add_secure_port(address, creds)
    else:
        server.add_insecure_port(address)
    server.start()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    print("ready", flush=True)
    if os.environ.get("HEALTH_SERVER_FOREVER") == "1":
        server.wait_for_termination()
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "set":
            service = "" if parts[1] == "-" else parts[1]
            servicer.set(service, health_pb2.HealthCheckResponse.ServingStatus.Value(parts[2]))
            print("ok", flush=True)
    server.stop(0)


if __name__ == "__main__":
    main()
