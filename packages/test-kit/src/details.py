"""The error details of a failed grpcio call, one line each, for the interop clients.

Copied beside the generated code (python-codegen.ts), which it imports: google/rpc's status_pb2
and error_details_pb2. grpcio-status is not needed. The lines, after the client's own
`error <STATUS> <details>`:
  status <code> <message>          the google.rpc.Status in grpc-status-details-bin
  reason <reason> <domain>         an ErrorInfo
  field <field>: <description>     each field violation of a BadRequest
  retry <ms> ms                    a RetryInfo
  unknown <type url>               any other detail
"""

import grpc
from google.rpc import error_details_pb2, status_pb2

DETAILS_TRAILER = "grpc-status-details-bin"


def describe_details(err: grpc.RpcError) -> list[str]:
    """The error details of a failed call, one line each; none without the trailer."""
    trailer = dict(err.trailing_metadata() or ()).get(DETAILS_TRAILER)
    if trailer is None:
        return []
    status = status_pb2.Status.FromString(trailer)
    lines = [f"status {status.code} {status.message}"]
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            for violation in bad_request.field_violations:
                lines.append(f"field {violation.field}: {violation.description}")
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            lines.append(f"reason {info.reason} {info.domain}")
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            lines.append(f"retry {retry.retry_delay.ToMilliseconds()} ms")
        else:
            lines.append(f"unknown {detail.type_url}")
    return lines


def print_error(err: grpc.RpcError) -> None:
    """Prints `error <STATUS> <details>`, then the error's details, one line each."""
    print(f"error {err.code().name} {err.details()}")
    for line in describe_details(err):
        print(line)
